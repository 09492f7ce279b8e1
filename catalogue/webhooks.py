"""Payment notifications: Stripe (contract §5), the bank feeds (§7), every redirect rail (`/webhooks/<rail>`:
VNPay, MoMo, ZaloPay…, §7–8); marketplace order pushes (Shopee, Lazada, TikTok Shop).

Each verifies its provider's signature before anything is read, answers what its provider
expects (Stripe 400, bank feed 401/400, a redirect rail in its own format), and changes an
order only through the order services. The return pages the gateways send the buyer to show
the order; they never record anything.
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, jsonify, redirect, request, url_for
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from catalogue import clock
from catalogue.carriers import registry as carrier_registry
from catalogue.carriers.port import CarrierError, CarrierRefused, ForgedCallback, InboundCall
from catalogue.delivery import tracking
from catalogue.delivery.wiring import carriers
from catalogue.orders import refunds, settlement
from catalogue.payments import payment_gateway, payment_rails
from catalogue.payments.port import DUPLICATE, Answer, BadSignature, Inbound, MalformedNotification, NotificationRefused
from catalogue.payments.stripe_rail import StripeRail
from catalogue.sync import pushes
from catalogue.urls import absolute_url

log = logging.getLogger(__name__)
webhooks = Blueprint("webhooks", __name__, url_prefix="/webhooks")


@webhooks.post("/stripe")
def stripe_webhook():
    """Stripe's signed events, through the same settlement path as every rail (contract §5).

    400 for a signature that does not verify or is older than five minutes (and while Stripe is off:
    nothing can verify); 503 when a refund the event calls for could not start (Stripe sends it again);
    else 200 `{"received": true, "outcome": …}`, a refused event (another PaymentIntent, another amount) too.
    """
    rails = payment_rails()
    if not rails.stripe:
        abort(400, description="Stripe is not configured in this shop: the event was not applied.")
    return _settled(StripeRail(payment_gateway()), rails)


# --- the domestic rails (contract §7) -------------------------------------------------------


@webhooks.post("/bank-transfer")
def bank_transfer_webhook():
    """SePay (`Authorization: Apikey …`) or Casso v2 (`X-Casso-Signature`): 401 bad key or a stale Casso
    signature, 400 malformed, else each incoming transfer recorded once and `{"success": true}`."""
    rails = payment_rails()
    keys = rails.bank_feeds
    body = request.get_data(cache=False)
    try:
        if keys is None:
            raise BadSignature("no bank feed is configured")
        transfers = keys.verify(request.headers, body, clock.now())
    except BadSignature:
        abort(401, description="Invalid bank-webhook key or signature: nothing was recorded.")
    except MalformedNotification as error:
        abort(400, description=f"Malformed bank-webhook body: {error}")
    shop_accounts = [rails.vietqr.account.account_no] if rails.vietqr is not None else []
    try:
        outcomes = _once_more_if_raced(lambda: settlement.record_bank_transfers(transfers, shop_accounts))
    except SQLAlchemyError:
        log.exception("Bank transfers %s could not be recorded", [transfer.id for transfer in transfers])
        abort(503, description="Not recorded; the feed will send it again.")
    return jsonify({"success": True, "outcomes": outcomes})


@webhooks.route("/<rail_name>", methods=["GET", "POST"])
def rail_notification(rail_name: str):
    """A redirect rail's notification (VNPay's IPN, MoMo's IPN, ZaloPay's callback…), answered in its own format.

    The rail verifies it before anything is read; the one settlement path records it once; the rail
    words the outcome as its provider expects (VNPay's RspCode, MoMo's 204, ZaloPay's return_code).
    """
    if rail_name in carrier_registry.NAMES:  # a carrier's status callback (contract §8), never a payment rail
        return carrier_callback(rail_name)
    rails = payment_rails()
    rail = rails.redirect_rail(rail_name)
    if rail is None:
        abort(404, description=f"No payment rail {rail_name!r} takes notifications here.")
    if request.method not in rail.notification_methods:
        abort(405)
    return _settled(rail, rails)


def _settled(rail, rails):
    """Verify the notice, record it through the one settlement path, answer in the rail's own format."""
    try:
        notice = rail.read_notification(_inbound())
    except NotificationRefused as error:
        return _answered(rail.answer(None, error))
    providers = refunds.RefundRails(rails, payment_gateway())
    keep_strays = getattr(rail, "keeps_strays", False)
    try:
        outcome = settlement.record_notice(notice, providers, clock.now(), keep_strays=keep_strays)
    except IntegrityError:  # the same notice recorded by a concurrent delivery
        outcome = DUPLICATE
    except Exception as error:  # every provider has an answer for our own fault ("send it again"); never a 500
        log.exception("%s notice for %s could not be recorded", rail.name, notice.reference)
        return _answered(rail.answer(None, error))
    return _answered(rail.answer(outcome))


def _inbound() -> Inbound:
    return Inbound(request.method, request.args.to_dict(), dict(request.headers), request.get_data(cache=False))


def _answered(answer: Answer):
    """The rail's answer as HTTP: JSON for a body the provider reads, the shop's error shape for a refusal."""
    if answer.status >= 400:
        abort(answer.status, description=str(answer.body))
    if not answer.body:
        return "", answer.status
    return jsonify(answer.body), answer.status


# --- carriers' status callbacks (contract §8) ----------------------------------------------------


def carrier_callback(name: str):
    """A carrier's status callback (`/webhooks/ghn`, `/webhooks/viettelpost`): 401 forged (nothing read further),
    400 malformed, 503 when the carrier's API cannot confirm it now (it sends again), else 200 — a callback for
    an unknown parcel too (acknowledged and logged). The status counts once the carrier's API confirms it."""
    if request.method != "POST":
        abort(405)
    carrier = carriers().get(name)
    if carrier is None:
        abort(404, description=f"The carrier {name!r} is not configured in this shop: nothing was applied.")
    call = InboundCall(request.args.to_dict(), dict(request.headers), request.get_data(cache=False))
    try:
        outcome = tracking.confirm_callback(carrier, call)
    except ForgedCallback:
        abort(401, description=f"Invalid {carrier.labels.brand} callback token: nothing was applied.")
    except CarrierRefused as error:
        abort(400, description=f"Malformed {carrier.labels.brand} callback: {error}")
    except CarrierError as error:
        log.warning("%s callback not confirmed: %s", name, error)
        abort(503, description=f"{carrier.labels.brand} could not confirm the status now; send it again.")
    except SQLAlchemyError:
        log.exception("%s callback could not be recorded", name)
        abort(503, description="Not recorded; send it again.")
    return jsonify({"received": True, "outcome": outcome})


# --- marketplace order pushes (contract §7) -------------------------------------------------


@webhooks.post("/shopee")
def shopee_push():
    """Shopee's order-status push (code 3): verified and fresh, reported once; 2xx with an empty body, as Shopee
    asks. A forged or stale push is 401."""
    settings = current_app.config["MARKETPLACE_SETTINGS"]
    callback_url = settings.get("SHOPEE_PUSH_URL") or absolute_url("/webhooks/shopee")
    body = request.get_data(cache=False)
    try:
        message = pushes.verify_shopee(settings, callback_url, body, request.headers.get("Authorization"), clock.now())
    except BadSignature:
        abort(401, description="Invalid Shopee push signature: nothing was recorded.")
    except MalformedNotification as error:
        abort(400, description=f"Malformed Shopee push: {error}")
    return _apply_push("shopee", message, settings)


@webhooks.post("/lazada")
def lazada_push():
    """Lazada's trade-order message (type 0): verified, reported once; 200 with an empty body."""
    settings = current_app.config["MARKETPLACE_SETTINGS"]
    body = request.get_data(cache=False)
    try:
        message = pushes.verify_lazada(settings, body, request.headers.get("Authorization"))
    except BadSignature:
        abort(401, description="Invalid Lazada push signature: nothing was recorded.")
    except MalformedNotification as error:
        abort(400, description=f"Malformed Lazada push: {error}")
    return _apply_push("lazada", message, settings)


@webhooks.post("/tiktok")
def tiktok_push():
    """TikTok Shop's webhook: the signature checked over the raw body before it is parsed; an order status change
    (type 1) is read back from TikTok's API and counts only as TikTok says; 200 with an empty body. Forged → 401."""
    settings = current_app.config["MARKETPLACE_SETTINGS"]
    body = request.get_data(cache=False)
    try:
        message = pushes.verify_tiktok(settings, body, request.headers.get("Authorization"))
    except BadSignature:
        abort(401, description="Invalid TikTok Shop push signature: nothing was recorded.")
    except MalformedNotification as error:
        abort(400, description=f"Malformed TikTok Shop push: {error}")
    return _apply_push("tiktok", message, settings)


def _apply_push(marketplace: str, message: dict, settings) -> tuple[str, int]:
    try:
        order = pushes.order_of(marketplace, message)
    except MalformedNotification as error:
        abort(400, description=f"Malformed {marketplace} push: {error}")
    if order is None:
        return "", 200  # a push we do not act on
    try:
        outcome = _once_more_if_raced(lambda: pushes.apply_order_push(marketplace, *order, settings))
    except (pushes.PushUnavailable, SQLAlchemyError):
        log.exception("%s push for order %s not recorded", marketplace, order[0])
        abort(503, description="Not recorded; the marketplace will push it again.")
    log.info("%s push for order %s: %s", marketplace, order[0], outcome)
    return "", 200


def _once_more_if_raced(record):
    """A copy of the same transfer recorded concurrently fails on the ledger's unique key: run again, it is skipped."""
    try:
        return record()
    except IntegrityError:
        return record()


# --- where VNPay and MoMo send the buyer back: shows, never records ----------------------------

payment_returns = Blueprint("payment_returns", __name__, url_prefix="/payments")


@payment_returns.get("/<rail_name>/return")
def rail_return(rail_name: str):
    """The buyer's browser back from a gateway: its word checked, then the order page (only notices record)."""
    rail = payment_rails().redirect_rail(rail_name)
    if rail is None:
        abort(404, description="Không có cổng thanh toán này.")
    try:
        result = rail.read_return(_inbound())
    except NotificationRefused:
        abort(400, description=f"Không đọc được kết quả thanh toán từ {rail.labels.brand}.")
    return redirect(
        url_for("checkout.order", code=result.order_code, payment=rail_name, result=result.result), code=303
    )
