"""Cancelling an order: who may, and how stock, Stripe, MoMo and the buyer's email follow.

The buyer may cancel while the order waits for its payment; the OCOP office may
cancel any order, a paid one through a refund: at Stripe (`charge.refunded` finishes
it), at MoMo (its refund answer finishes it, catalogue.orders.refunds), or by hand for
bank transfers and VNPay. Each path commits its change before it talks to Stripe or
MoMo, so no row stays locked while they answer; a refund that cannot start puts the
order back as it was.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

from catalogue import notifications
from catalogue.accounts.principal import Principal
from catalogue.errors import NotFound, PermissionDenied
from catalogue.orders import refunds, settlement
from catalogue.orders.locking import lock_order
from catalogue.orders.models import RESERVING_STATUSES, Order
from catalogue.orders.services import (
    PaymentServiceUnavailable,
    find_order,
    order_for_buyer,
    release_stock,
    transition,
)
from catalogue.payments import ledger
from catalogue.payments.gateway import PaymentGateway, PaymentUnavailable
from catalogue.payments.registry import Rails
from catalogue.transactions import calls_out, use_case

log = logging.getLogger(__name__)
FINISHED = ("cancelled", "refunded", "refund_pending")  # cancelling these again changes nothing


def buyer_may_cancel(order: Order) -> bool:
    """The buyer cancels alone only while the order waits for its payment."""
    return order.status in RESERVING_STATUSES


@calls_out
def cancel_order(
    code: str,
    principal: Principal | None,
    buyer_token: str | None,
    now: datetime,
    gateway: PaymentGateway,
    rails: Rails | None = None,
) -> Order:
    """Cancel for whoever asks: the buyer with the order's token, or the OCOP office; nobody else."""
    if principal is None:
        return cancel_by_buyer(code, buyer_token, now, gateway)
    if not principal.is_admin:
        raise PermissionDenied("Only the buyer (before paying) or the OCOP office may cancel an order.")
    return cancel_by_admin(code, now, gateway, f"cancelled by {principal.label}", rails)


@calls_out
def cancel_by_buyer(code: str, access_token: str | None, now: datetime, gateway: PaymentGateway) -> Order:
    """The buyer may cancel before paying; stock comes back at once."""
    intent_id = _cancel_for_buyer(code, access_token, now)
    _cancel_intent(code, intent_id, gateway)
    return find_order(code)


@use_case
def _cancel_for_buyer(code: str, access_token: str | None, now: datetime) -> str | None:
    """Cancel and release; the PaymentIntent to close afterwards (None: nothing changed)."""
    order_for_buyer(code, access_token, now)  # the token first: never confirm a code to a stranger
    order = lock_order(code)  # a payment being recorded finishes first; then this sees it paid
    if order.status == "cancelled":
        return None
    if not buyer_may_cancel(order):
        raise PermissionDenied(f"Order {code} is {order.status}; ask the shop to cancel and refund it.")
    transition(order, "cancelled", "cancelled by buyer")
    release_stock(order)
    notifications.announce("cancelled", order, cancelled_by="buyer", refund=False)
    return order.payment_intent_id


@dataclass(frozen=True)
class _AdminCancel:
    """What is left to do at Stripe or MoMo once the office's cancellation is committed."""

    payment_intent_id: str | None
    refund_from: str | None = None  # the paid status to go back to if the refund cannot start
    email: EmailMessage | None = None  # sent once the refund has started
    momo: refunds.RefundPlan | None = None  # refunds to ask MoMo for


@calls_out
def cancel_by_admin(
    code: str,
    now: datetime,
    gateway: PaymentGateway,
    reason: str = "cancelled by admin",
    rails: Rails | None = None,
) -> Order:
    """Unpaid: cancel and release. Paid: refund through Stripe (`charge.refunded` finishes it), through
    MoMo (its answer finishes it) when `rails` has MoMo on, else by hand."""
    plan = _cancel_for_office(code, reason, rails)
    if plan.momo is not None:
        refunds.refund_by_momo(code, plan.momo, rails.get("momo") if rails else None, reason, now)
        return find_order(code)
    if plan.refund_from is None:  # unpaid, already finished, or refunded by hand
        _cancel_intent(code, plan.payment_intent_id, gateway)
        return find_order(code)
    try:
        gateway.refund(plan.payment_intent_id, idempotency_key=f"refund-{code}")
    except PaymentUnavailable as error:
        _refund_not_started(code, plan.refund_from, error)
        raise PaymentServiceUnavailable("The refund could not be started; the order is unchanged.") from error
    if plan.email is not None:
        notifications.send(plan.email)
    return find_order(code)


@use_case
def _cancel_for_office(code: str, reason: str, rails: Rails | None) -> _AdminCancel:
    order = lock_order(code)  # two cancels at once: the second sees the first's refund
    if order is None:
        raise NotFound(f"No order {code}.")
    if order.status == "refund_pending" and rails is not None and rails.get("momo") is not None:
        unfinished = refunds.unfinished_momo_refunds(order)  # MoMo never answered: ask again, the same refund
        if unfinished is not None:
            return _AdminCancel(None, momo=unfinished)
    if order.status in FINISHED:
        return _AdminCancel(None)
    if order.status in RESERVING_STATUSES:
        transition(order, "cancelled", reason)
        release_stock(order)
        notifications.announce("cancelled", order, cancelled_by="office", refund=False)
        return _AdminCancel(order.payment_intent_id)
    previous = order.status
    transition(order, "refund_pending", reason)
    if settlement.paid_outside_stripe(order):  # MoMo by its API; bank transfers and VNPay by hand
        by_api = refunds.plan_momo_refunds(order, rails, reason)
        flagged = {row.id for row in ledger.rows_of(order.id) if row.kind == "refund"}
        amount = settlement.refund_by_hand(order, reason, refunds.by_hand_method(order, by_api))
        if by_api:
            by_hand = tuple(row.id for row in ledger.rows_of(order.id)
                            if row.kind == "refund" and row.id not in flagged)  # fmt: skip
            return _AdminCancel(None, momo=refunds.RefundPlan(by_api, restore=previous, by_hand_ids=by_hand))
        notifications.announce("cancelled", order, cancelled_by="office", refund=True, refund_by_hand=amount)
        return _AdminCancel(None)
    ledger.add_refund(order, method="stripe", amount_vnd=order.total_vnd, state="requested", reason=reason,
                      reference=order.payment_intent_id or "")  # fmt: skip
    email = notifications.compose("cancelled", order, cancelled_by="office", refund=True)
    return _AdminCancel(order.payment_intent_id, refund_from=previous, email=email)


@use_case
def _refund_not_started(code: str, previous: str, error: Exception) -> None:
    order = lock_order(code)
    transition(order, previous, f"refund failed: {error}")
    ledger.drop_requested_refunds(order, "stripe")


def _cancel_intent(code: str, payment_intent_id: str | None, gateway: PaymentGateway) -> None:
    """Best effort: a PaymentIntent left open is harmless, a late payment is handled by the webhook."""
    if not payment_intent_id:
        return
    try:
        gateway.cancel_payment_intent(payment_intent_id, idempotency_key=f"cancel-{code}")
    except PaymentUnavailable as error:
        log.warning("Could not cancel PaymentIntent of %s: %s", code, error)
