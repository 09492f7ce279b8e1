"""Payment events from Stripe's signed webhooks: the only way an order's payment state changes.

Each event is applied once (its id is recorded), and the rules below make replays
and out-of-order deliveries harmless: a late `payment_failed` never undoes
`succeeded`, and `charge.refunded` gives stock back only if the order holds it.

A signature proves Stripe sent the event, not that it is this order's payment: any
PaymentIntent in the account can carry any `metadata.order_code`, for any amount. So an
event changes an order only when its PaymentIntent is the order's own, and a success only
when it received the order's total in VND; anything else is recorded as rejected, not applied.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from catalogue import notifications
from catalogue.extensions import db
from catalogue.orders.locking import lock_order, lock_order_by_id
from catalogue.orders.models import RESERVING_STATUSES, Order, ProcessedWebhookEvent
from catalogue.orders.services import release_stock, transition
from catalogue.payments import ledger
from catalogue.payments.gateway import PaymentEvent, PaymentGateway, PaymentUnavailable
from catalogue.products.stock import return_stock, take_stock
from catalogue.transactions import calls_out, use_case

log = logging.getLogger(__name__)


ACTED_ON = ("payment_intent.succeeded", "payment_intent.payment_failed", "charge.refunded")


@dataclass(frozen=True)
class AppliedEvent:
    """What an event did (paid, payment_failed, refunded, refund_pending, unchanged, rejected, ignored,
    duplicate) and to which order."""

    outcome: str
    order: Order | None


@calls_out
def apply_payment_event(event: PaymentEvent, now: datetime, gateway: PaymentGateway) -> AppliedEvent:
    """Apply a verified webhook once; replays and out-of-order events leave the right state.

    The event is applied and recorded in one use case, committed before anything is
    asked of Stripe. A refund it calls for (a payment after expiry, its stock sold)
    starts after that commit; if Stripe cannot be reached, a second use case puts the
    order back and forgets the event, the caller answers 5xx and Stripe sends it
    again; the idempotency key makes a repeated refund the same refund.
    """
    try:
        applied, refund = _record(event)
    except IntegrityError:  # the same event delivered twice at once: the other delivery applied it
        return AppliedEvent("duplicate", None)
    if refund is not None:
        try:
            gateway.refund(refund.payment_intent_id, idempotency_key=f"refund-{refund.code}")
        except PaymentUnavailable:
            _forget(event.id, refund.code)
            raise
        if refund.email is not None:
            notifications.send(refund.email)
    return applied


@dataclass(frozen=True)
class _Refund:
    code: str
    payment_intent_id: str
    email: EmailMessage | None


@use_case
def _record(event: PaymentEvent) -> tuple[AppliedEvent, _Refund | None]:
    if db.session.scalar(select(ProcessedWebhookEvent.id).where(ProcessedWebhookEvent.event_id == event.id)):
        return AppliedEvent("duplicate", None), None
    order, own = _order_for_event(event)
    refusal = _refusal(order, event, own) if order is not None else None
    if order is None:
        outcome, refund = "ignored", False
    elif refusal is not None:
        outcome, refund = "rejected", False
        _reject(order, event, refusal)
    else:
        outcome, refund = _apply(order, event)
        _ledger(order, event, outcome)
    db.session.add(
        ProcessedWebhookEvent(
            provider="stripe", event_id=event.id, event_type=event.type, order_code=order.code if order else None
        )
    )
    db.session.flush()  # a concurrent delivery of the same event fails here, before anything is announced
    if outcome == "paid":
        order.settled_by = "stripe"  # the rail that settled it, as settlement.settle records for the others
        notifications.announce("paid", order)
    if not refund:
        return AppliedEvent(outcome, order), None
    email = notifications.compose("cancelled", order, cancelled_by="sold_out", refund=True)
    return AppliedEvent(outcome, order), _Refund(order.code, event.payment_intent_id, email)


@use_case
def _forget(event_id: str, code: str) -> None:
    """The refund could not start: back to cancelled and the event unrecorded, so Stripe's resend retries it."""
    order = lock_order(code)
    if order is not None and order.status == "refund_pending":
        transition(order, "cancelled", "refund could not start; waiting for the event again")
        ledger.drop_requested_refunds(order, "stripe")
    db.session.execute(delete(ProcessedWebhookEvent).where(ProcessedWebhookEvent.event_id == event_id))


def _ledger(order: Order, event: PaymentEvent, outcome: str) -> None:
    """Stripe's side of the order's ledger: its PaymentIntent is one attempt, its charge one payment."""
    intent_id = event.payment_intent_id or order.payment_intent_id
    if not intent_id:
        return
    attempt = ledger.attempt_by_reference("stripe", intent_id)
    if event.type == "payment_intent.succeeded":
        if attempt is not None:
            attempt.state = "succeeded"
        if ledger.already_recorded("stripe", intent_id):
            return
        ledger.add_money_in(order, method="stripe", provider="stripe", reference=intent_id,
                            transaction_id=intent_id, amount_vnd=order.total_vnd)  # fmt: skip
        if outcome == "refund_pending":  # paid after expiry, sold out: refunded by API
            ledger.add_refund(order, method="stripe", amount_vnd=order.total_vnd, state="requested",
                              reason="paid after expiry, sold out", reference=intent_id)  # fmt: skip
        elif outcome == "unchanged":  # already paid by another rail: the card payment is a surplus
            ledger.claim_excess(order, "stripe", reason="paid twice (card after another rail)")
    elif event.type == "payment_intent.payment_failed" and attempt is not None and attempt.state == "started":
        attempt.state = "failed"
    elif event.type == "charge.refunded" and outcome == "refunded":
        ledger.settle_stripe_refund(order, intent_id)


def _order_for_event(event: PaymentEvent) -> tuple[Order | None, bool]:
    """The event's order, its row locked (a buyer's cancel and this payment serialise), and whether
    the event's PaymentIntent is that order's own.

    The PaymentIntent decides: the order holding it, or the order whose ledger recorded it as a
    Stripe attempt. `metadata.order_code` alone only names the order a rejected event is kept under.
    """
    if event.payment_intent_id:
        order_id = db.session.scalar(select(Order.id).where(Order.payment_intent_id == event.payment_intent_id))
        if order_id is None:
            attempt = ledger.attempt_by_reference("stripe", event.payment_intent_id)
            order_id = attempt.order_id if attempt is not None else None
        if order_id is not None:
            return lock_order_by_id(order_id), True
    if event.order_code:
        return lock_order(event.order_code), False
    return None, False


def _refusal(order: Order, event: PaymentEvent, own: bool) -> str | None:
    """Why a verified event must not change its order, or None when it may."""
    if event.type not in ACTED_ON:
        return None
    if not own:
        return f"PaymentIntent {event.payment_intent_id} is not order {order.code}'s"
    if event.type == "payment_intent.succeeded" and (event.amount, event.currency) != (order.total_vnd, "vnd"):
        return f"received {event.amount} {event.currency}, the order expects {order.total_vnd} vnd"
    return None


def _reject(order: Order, event: PaymentEvent, reason: str) -> None:
    """Keep a refused event in the order's ledger without applying it; money it says came in is a rejected row.

    A failure or a refund of another PaymentIntent moved no money of this order: only the warning is kept.
    An amount in another currency is not dong: the row says 0 ₫ and keeps Stripe's amount and currency.
    """
    log.warning("Stripe event %s (%s) for order %s not applied: %s", event.id, event.type, order.code, reason)
    if event.type != "payment_intent.succeeded" or not event.payment_intent_id:
        return
    transaction_id = f"{event.payment_intent_id}#{event.amount}"
    if ledger.already_recorded("stripe", transaction_id):
        return
    amount_vnd = max(event.amount or 0, 0) if event.currency == "vnd" else 0
    details = {"event": event.id, "amount": str(event.amount), "currency": event.currency or ""}
    ledger.add_money_in(order, method="stripe", provider="stripe", reference=event.payment_intent_id,
                        transaction_id=transaction_id, amount_vnd=amount_vnd, state="rejected", reason=reason,
                        details=details)  # fmt: skip


def _apply(order: Order, event: PaymentEvent) -> tuple[str, bool]:
    if event.type == "payment_intent.succeeded":
        if order.status in RESERVING_STATUSES:
            transition(order, "paid", "payment succeeded")
            return "paid", False
        if order.status == "cancelled":  # paid after its reservation expired
            if retake_stock(order):
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


def retake_stock(order: Order) -> bool:
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
