"""Payment events from Stripe's signed webhooks: the only way an order's payment state changes.

Each event is applied once (its id is recorded), and the rules below make replays
and out-of-order deliveries harmless: a late `payment_failed` never undoes
`succeeded`, and `charge.refunded` gives stock back only if the order holds it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from catalogue.extensions import db
from catalogue.orders.models import RESERVING_STATUSES, Order, ProcessedWebhookEvent
from catalogue.orders.services import release_stock, transition
from catalogue.payments.gateway import PaymentEvent, PaymentGateway, PaymentUnavailable
from catalogue.products.stock import return_stock, take_stock

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AppliedEvent:
    """What an event did (paid, payment_failed, refunded, refund_pending, unchanged, ignored, duplicate)
    and to which order."""

    outcome: str
    order: Order | None


def apply_payment_event(event: PaymentEvent, now: datetime, gateway: PaymentGateway) -> AppliedEvent:
    """Apply a verified webhook once; replays and out-of-order events leave the right state.

    A refund the event calls for is started before the event is recorded: if Stripe
    cannot be reached, nothing is recorded, the caller answers 5xx and Stripe sends the
    event again; the idempotency key makes a repeated refund the same refund.
    """
    if db.session.scalar(select(ProcessedWebhookEvent.id).where(ProcessedWebhookEvent.event_id == event.id)):
        return AppliedEvent("duplicate", None)
    order = _order_for_event(event)
    outcome, refund = _apply(order, event) if order is not None else ("ignored", False)
    if refund:
        try:
            gateway.refund(order.payment_intent_id, idempotency_key=f"refund-{order.code}")
        except PaymentUnavailable:
            db.session.rollback()
            raise
    db.session.add(
        ProcessedWebhookEvent(
            provider="stripe", event_id=event.id, event_type=event.type, order_code=order.code if order else None
        )
    )
    try:
        db.session.commit()
    except IntegrityError:  # the same event delivered twice at once: the other delivery applied it
        db.session.rollback()
        return AppliedEvent("duplicate", None)
    return AppliedEvent(outcome, order)


def _order_for_event(event: PaymentEvent) -> Order | None:
    if event.payment_intent_id:
        order = db.session.scalar(select(Order).where(Order.payment_intent_id == event.payment_intent_id))
        if order is not None:
            return order
    if event.order_code:
        return db.session.scalar(select(Order).where(Order.code == event.order_code))
    return None


def _apply(order: Order, event: PaymentEvent) -> tuple[str, bool]:
    if event.type == "payment_intent.succeeded":
        if order.status in RESERVING_STATUSES:
            transition(order, "paid", "payment succeeded")
            return "paid", False
        if order.status == "cancelled":  # paid after its reservation expired
            if _retake_stock(order):
                transition(order, "paid", "payment succeeded after expiry; stock taken again")
                return "paid", False
            transition(order, "refund_pending", "paid after expiry but sold out; refunding")
            return "refund_pending", True
        return "unchanged", False
    if event.type == "payment_intent.payment_failed":
        if order.status in RESERVING_STATUSES:
            # The order keeps the provider's reason code; the buyer reads the shop's wording of it.
            log.info("Payment of %s failed: %s (%s)", order.code, event.failure_message, event.failure_code)
            order.payment_error = (event.failure_code or "card_declined")[:500]
            transition(order, "payment_failed", "payment failed")
            return "payment_failed", False
        return "unchanged", False  # a late failure never undoes a success
    if event.type == "charge.refunded":
        if order.status in ("paid", "shipped", "delivered", "refund_pending"):
            transition(order, "refunded", "refunded")
            release_stock(order)
            return "refunded", False
        return "unchanged", False
    return "ignored", False


def _retake_stock(order: Order) -> bool:
    """Reserve an expired order's stock again (its payment arrived late); all lines or none."""
    taken = []
    for line in order.lines:
        if not take_stock(line.product_id, line.quantity):
            for product_id, quantity in taken:
                return_stock(product_id, quantity)
            return False
        taken.append((line.product_id, line.quantity))
    order.stock_held = True
    return True
