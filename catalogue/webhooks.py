"""`POST /webhooks/stripe`: the only way an order's payment state changes (contract §5)."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, jsonify, request

from catalogue import clock
from catalogue.orders.payment_events import apply_payment_event
from catalogue.payments import payment_gateway
from catalogue.payments.gateway import InvalidSignature, PaymentUnavailable

log = logging.getLogger(__name__)
webhooks = Blueprint("webhooks", __name__, url_prefix="/webhooks")


@webhooks.post("/stripe")
def stripe_webhook():
    """Verify the signature over the raw body, apply the event once (its service mails the buyer), answer 200."""
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
