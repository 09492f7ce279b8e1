"""Payment notifications: Stripe (contract §5), the bank feeds, VNPay and MoMo (§7); marketplace order pushes.

Each verifies its provider's signature before anything is read, answers what its provider
expects (Stripe 400, bank feed 401/400, VNPay's RspCode, MoMo 204), and changes an order
only through the order services. The return pages VNPay and MoMo send the buyer to show the
order; they never record anything.
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, jsonify, redirect, request, url_for
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from catalogue import clock
from catalogue.orders import settlement
from catalogue.orders.payment_events import apply_payment_event
from catalogue.payments import payment_gateway, payment_rails
from catalogue.payments.gateway import InvalidSignature, PaymentUnavailable
from catalogue.payments.port import BadSignature, MalformedNotification, order_code_of
from catalogue.payments.vnpay import IpnAnswer, decide_ipn
from catalogue.sync import pushes
from catalogue.urls import absolute_url

log = logging.getLogger(__name__)
webhooks = Blueprint("webhooks", __name__, url_prefix="/webhooks")


@webhooks.post("/stripe")
def stripe_webhook():
    """Verify the signature over the raw body, apply the event once (its service mails the buyer), answer 200.

    While Stripe is off (no keys) nothing can verify: 400, as for any event whose signature does not.
    """
    if not payment_rails().stripe:
        abort(400, description="Stripe is not configured in this shop: the event was not applied.")
    gateway = payment_gateway()
    try:
        event = gateway.parse_webhook(request.get_data(cache=False), request.headers.get("Stripe-Signature"))
    except InvalidSignature:
        abort(400, description="Invalid Stripe-Signature: the event was not applied.")
    try:
        applied = apply_payment_event(event, clock.now(), gateway)
    except PaymentUnavailable:
        # A refund for a late payment could not start; Stripe will retry the event.
        log.exception("Refund after late payment failed for %s", event.payment_intent_id)
        abort(503, description="Payment provider unavailable; retry later.")
    return jsonify({"received": True, "outcome": applied.outcome})


# --- the domestic rails (contract §7) -------------------------------------------------------


@webhooks.post("/bank-transfer")
def bank_transfer_webhook():
    """SePay (`Authorization: Apikey …`) or Casso v2 (`X-Casso-Signature`): 401 bad key, 400 malformed,
    else each incoming transfer recorded once and `{"success": true}`."""
    rails = payment_rails()
    keys = rails.bank_feeds
    body = request.get_data(cache=False)
    try:
        if keys is None:
            raise BadSignature("no bank feed is configured")
        transfers = keys.verify(request.headers, body)
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


@webhooks.get("/vnpay")
def vnpay_ipn():
    """VNPay's IPN: always 200 with `{"RspCode", "Message"}` as VNPay's contract says (97 forged, 99 any fault)."""
    provider = payment_rails().vnpay
    try:
        if provider is None:
            raise BadSignature("VNPay is not configured")
        notice = provider.verify(request.args)
    except BadSignature:
        return jsonify(decide_ipn(None, None).body())
    except MalformedNotification:
        return jsonify(IpnAnswer.UNKNOWN_ERROR.body())
    try:
        decision = settlement.record_vnpay_ipn(notice)
    except IntegrityError:  # the same IPN recorded by a concurrent delivery
        return jsonify(IpnAnswer.ALREADY_CONFIRMED.body())
    except Exception:  # VNPay's contract has an answer for every fault; never a 500
        log.exception("VNPay IPN for %s failed", notice.reference)
        return jsonify(IpnAnswer.UNKNOWN_ERROR.body())
    return jsonify(decision.body())


@webhooks.post("/momo")
def momo_ipn():
    """MoMo's IPN: verified, its amount checked against the attempt, recorded once, answered 204."""
    provider = payment_rails().momo
    try:
        if provider is None:
            raise BadSignature("MoMo is not configured")
        notice = provider.verify(request.get_data(cache=False))
    except BadSignature:
        abort(401, description="Invalid MoMo signature: nothing was recorded.")
    except MalformedNotification as error:
        abort(400, description=f"Malformed MoMo IPN: {error}")
    try:
        settlement.record_momo_ipn(notice)
    except IntegrityError:
        pass  # the same IPN recorded by a concurrent delivery
    except SQLAlchemyError:
        log.exception("MoMo IPN for %s could not be recorded", notice.reference)
        abort(503, description="Not recorded; MoMo will send it again.")
    return "", 204


# --- marketplace order pushes (contract §7) -------------------------------------------------


@webhooks.post("/shopee")
def shopee_push():
    """Shopee's order-status push (code 3): verified, reported once; 2xx with an empty body, as Shopee asks."""
    settings = current_app.config["MARKETPLACE_SETTINGS"]
    callback_url = settings.get("SHOPEE_PUSH_URL") or absolute_url("/webhooks/shopee")
    body = request.get_data(cache=False)
    try:
        message = pushes.verify_shopee(settings, callback_url, body, request.headers.get("Authorization"))
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


@payment_returns.get("/vnpay/return")
def vnpay_return():
    """The buyer's browser back from VNPay: check the hash and show the order (only the IPN records)."""
    provider = payment_rails().vnpay
    try:
        if provider is None:
            raise BadSignature("VNPay is not configured")
        notice = provider.verify(request.args)
    except (BadSignature, MalformedNotification):
        abort(400, description="This VNPay result cannot be read.")
    result = "succeeded" if notice.succeeded else "failed"
    return redirect(url_for("checkout.order", code=notice.order_code, payment="vnpay", result=result), code=303)


@payment_returns.get("/momo/return")
def momo_return():
    """The buyer's browser back from MoMo: back to the order page, which shows what the IPN recorded."""
    try:
        code = order_code_of(request.args.get("orderId", ""))
    except MalformedNotification:
        abort(400, description="This MoMo result cannot be read.")
    result = "succeeded" if request.args.get("resultCode") == "0" else "pending"
    return redirect(url_for("checkout.order", code=code, payment="momo", result=result), code=303)
