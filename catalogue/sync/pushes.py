"""Marketplace order pushes: Shopee's, Lazada's and TikTok Shop's signed messages, reported through the same
sale services.

A push names an order and its status only. From Shopee and Lazada a cancellation gives our
stock back at once; any other status — and every TikTok Shop push, whatever status it
names — has the order read back from the marketplace (the worker's own adapter, with short
timeouts, outside any transaction), and what the marketplace says counts: recorded as a
sale, once per order id, or cancelled, as the worker's import would. A replayed TikTok push
therefore changes nothing the marketplace does not confirm. A push that cannot be fetched
is answered 503, so the marketplace sends it again; the worker's cursor import finds the
order anyway (a lost push is found the same way). An order the marketplace does not know is
acknowledged and logged.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping
from datetime import datetime

from catalogue import clock, json_input
from catalogue.errors import Conflict
from catalogue.payments.port import BadSignature, MalformedNotification, check_fresh, epoch_time
from catalogue.sync import orders, services
from catalogue.transactions import calls_out
from marketplace_sync import lazada, shopee, tiktok
from marketplace_sync.marketplace import MarketplaceError, Tuning
from marketplace_sync.settings import SettingsMissing, adapter_from_env

log = logging.getLogger(__name__)
PUSH_TUNING = Tuning(read_timeout=10, attempts=2, backoff_base=0.2)  # the marketplace waits for our answer
CANCELLED = {"shopee": "CANCELLED", "lazada": "canceled", "tiktok": tiktok.CANCELLED}
READ_BACK_ALWAYS = {"tiktok"}  # even a cancellation counts only once the marketplace's API confirms it


class PushUnavailable(Exception):
    """The order could not be fetched or recorded now; the marketplace will push it again."""


def _json(body: bytes) -> dict:
    try:
        message = json_input.loads(body)
    except ValueError as error:
        raise MalformedNotification("not JSON") from error
    if not isinstance(message, dict) or not isinstance(message.get("data", {}), dict):
        raise MalformedNotification("not a push message")
    return message


def _same(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected, given.strip().lower())


def verify_shopee(
    settings: Mapping[str, str], callback_url: str, body: bytes, authorization: str | None, now: datetime
) -> dict:
    """Shopee signs a push with hex(HMAC-SHA256(partner key, callback URL + "|" + raw body)).

    The signature covers the body's `timestamp` (Unix seconds) but has no expiry of its own: a push
    signed outside the freshness window is a captured one played again, refused like a forged one.
    """
    key = settings.get("SHOPEE_PARTNER_KEY")
    if not key:
        raise BadSignature("Shopee is not configured")
    if not _same(shopee.push_signature(key, callback_url, body), authorization):
        raise BadSignature("wrong Shopee push signature")
    message = _json(body)
    check_fresh(epoch_time(message.get("timestamp"), "Shopee's timestamp"), now, "The Shopee push")
    return message


def verify_lazada(settings: Mapping[str, str], body: bytes, authorization: str | None) -> dict:
    """Lazada signs a push with hex(HMAC-SHA256(app secret, app key + raw body))."""
    app_key, secret = settings.get("LAZADA_APP_KEY"), settings.get("LAZADA_APP_SECRET")
    if not app_key or not secret:
        raise BadSignature("Lazada is not configured")
    if not _same(lazada.push_signature(app_key, secret, body), authorization):
        raise BadSignature("wrong Lazada push signature")
    return _json(body)


def verify_tiktok(settings: Mapping[str, str], body: bytes, authorization: str | None) -> dict:
    """TikTok Shop signs a webhook with hex(HMAC-SHA256(app secret, app key + raw body)); checked before parsing."""
    app_key, secret = settings.get("TIKTOK_APP_KEY"), settings.get("TIKTOK_APP_SECRET")
    if not app_key or not secret:
        raise BadSignature("TikTok Shop is not configured")
    if not _same(tiktok.push_signature(app_key, secret, body), authorization):
        raise BadSignature("wrong TikTok Shop push signature")
    return _json(body)


def order_of(marketplace: str, message: dict) -> tuple[str, bool] | None:
    """(order id, cancelled) of an order-status push; None for any other push."""
    data = message.get("data") or {}
    if marketplace == "shopee":
        if message.get("code") != 3:
            return None
        order_id, status = data.get("ordersn"), data.get("status")
    elif marketplace == "tiktok":
        if message.get("type") != 1:  # 1: order status change
            return None
        order_id, status = data.get("order_id"), data.get("order_status")
    else:
        if message.get("message_type") != 0:
            return None
        order_id, status = data.get("trade_order_id"), data.get("order_status")
    if not order_id or not isinstance(status, str):
        raise MalformedNotification("an order push names its order and status")
    return str(order_id)[:80], status == CANCELLED[marketplace]


@calls_out
def apply_order_push(marketplace: str, order_id: str, cancelled: bool, settings: Mapping[str, str]) -> str:
    """Report the pushed order: 'cancelled', 'recorded', 'repeat' (the same sale again) or 'unknown' (the
    marketplace does not know it)."""
    if cancelled and marketplace not in READ_BACK_ALWAYS:
        _, changed = orders.cancel_marketplace_sale(marketplace, order_id, [], clock.now())
        return "cancelled" if changed else "repeat"
    try:
        adapter = adapter_from_env(marketplace, settings, PUSH_TUNING)
        sales = adapter.order_details([order_id])
    except SettingsMissing as error:
        raise PushUnavailable(f"{marketplace} API not configured: {error}") from error
    except MarketplaceError as error:
        raise PushUnavailable(f"{marketplace} order {order_id}: {error}") from error
    if not sales:
        log.warning("%s push for order %s: the marketplace does not know it; acknowledged", marketplace, order_id)
        return "unknown"
    outcome = "repeat"
    for sale in sales:
        if sale.cancelled:
            _, changed = orders.cancel_marketplace_sale(marketplace, sale.external_order_id, sale.lines, clock.now())
            outcome = "cancelled" if changed else outcome
            continue
        try:
            _, created = services.record_marketplace_sale(marketplace, sale.external_order_id, sale.lines)
        except Conflict:
            log.warning("%s order %s pushed with other lines than recorded; kept", marketplace, order_id)
            continue
        outcome = "recorded" if created else outcome
    return outcome
