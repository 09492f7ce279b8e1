"""Cancelling an order: who may, and how stock and the refunds follow (the buyer's email reacts to its events).

The buyer may cancel while the order waits for its payment; the OCOP office may cancel any
order, a paid one through one refund plan for every rail (catalogue.orders.refunds): by the
provider's API where the rail has one (a card's refund is done on Stripe's `succeeded`, or by its
refund event when Stripe takes it `pending`), by hand for bank transfers. The plan is committed
before any provider is asked, so no row stays locked while they answer; a refund that cannot start
puts the order back as it was.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from catalogue.accounts.principal import Principal
from catalogue.errors import NotFound, PermissionDenied
from catalogue.orders import refunds
from catalogue.orders.locking import lock_order
from catalogue.orders.models import RESERVING_STATUSES, Order
from catalogue.orders.services import (
    find_order,
    order_for_buyer,
    release_stock,
    transition,
)
from catalogue.payments.registry import Rails
from catalogue.payments.stripe_rail.gateway import PaymentGateway, PaymentUnavailable
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
        raise PermissionDenied(
            f"Order {code} is {order.status}; ask the shop to cancel and refund it.", code="order.not_cancellable"
        )
    transition(order, "cancelled", "cancelled by buyer", by="buyer")  # its order_cancelled mails the buyer
    release_stock(order)
    return order.payment_intent_id


@dataclass(frozen=True)
class _AdminCancel:
    """What is left to do once the office's cancellation is committed: close a PaymentIntent, or ask refunds."""

    payment_intent_id: str | None
    refunds: refunds.RefundPlan | None = None  # refunds to ask the providers for (catalogue.orders.refunds)


@calls_out
def cancel_by_admin(
    code: str,
    now: datetime,
    gateway: PaymentGateway,
    reason: str = "cancelled by admin",
    rails: Rails | None = None,
) -> Order:
    """Unpaid: cancel and release. Paid: one refund plan for every rail (catalogue.orders.refunds): each
    payment back by its provider's API where it has one (Stripe's refund event finishes a card's `pending`
    one), the rest flagged for the office to return by hand."""
    providers = refunds.RefundRails(rails, gateway)
    plan = _cancel_for_office(code, reason, providers)
    if plan.refunds is not None:
        refunds.ask_refunds(code, plan.refunds, providers, reason, now)
        return find_order(code)
    _cancel_intent(code, plan.payment_intent_id, gateway)  # unpaid, already finished, or refunded by hand
    return find_order(code)


@use_case
def _cancel_for_office(code: str, reason: str, providers: refunds.RefundRails) -> _AdminCancel:
    order = lock_order(code)  # two cancels at once: the second sees the first's refund
    if order is None:
        raise NotFound(f"No order {code}.")
    if order.status == "refund_pending":
        unfinished = refunds.unfinished_refunds(order)  # a provider never answered: ask again, the same refund
        if unfinished is not None:
            return _AdminCancel(None, refunds=unfinished)
    if order.status in FINISHED:
        return _AdminCancel(None)
    if order.status in RESERVING_STATUSES:
        transition(order, "cancelled", reason, by="office")
        release_stock(order)
        return _AdminCancel(order.payment_intent_id)
    previous = order.status
    transition(order, "refund_pending", reason)
    return _AdminCancel(None, refunds=refunds.plan_refunds(order, providers, reason, restore=previous))


def _cancel_intent(code: str, payment_intent_id: str | None, gateway: PaymentGateway) -> None:
    """Best effort: a PaymentIntent left open is harmless, a late payment is handled by the webhook."""
    if not payment_intent_id:
        return
    try:
        gateway.cancel_payment_intent(payment_intent_id, idempotency_key=f"cancel-{code}")
    except PaymentUnavailable as error:
        log.warning("Could not cancel PaymentIntent of %s: %s", code, error)
