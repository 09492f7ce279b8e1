"""A parcel that came back (`returned`): its stock goes back once, and its lines and fee go back to the buyer.

Settled inside the tracking use case that records the `returned` status, with the order locked, and
only once (`return_settled_at`): a replayed callback or a poll after it finds it settled.

The money: the parcel's lines plus its fee, never more than the order (and each payment) still
holds after what is already refunded or claimed, is planned by the one refund planner
(catalogue.orders.refunds.plan_part_refund): a rail that refunds by API (Stripe, MoMo, ZaloPay,
VNPay with VNPAY_API) gets a `requested` refund whose request id is derived from the payment, the
parcel (`P<id>`) and, for the rails whose ids carry it, the amount; it is asked once the tracking use
case has committed (`refund_return`, no transaction open), so a callback that repeats or a poll asks
the same refund, never a second one. A bank transfer is flagged `due` for the office, and so is a
refund its provider refuses, does not answer, or (Stripe) reports failed later. The order's status is
then decided from all its parcels (catalogue.delivery.tracking.follow_parcels): still `shipped` while
another parcel is on its way, `delivered` when another was delivered, `refund_pending` (then `refunded`
once these refunds are made) when every parcel came back. A whole-order refund later never returns this
parcel's stock again (`release_stock` skips the lines of a settled return). ParcelReturned, after
the commit, lets invoicing issue the adjustment of that producer's invoice: its parcel's lines and
fee, or what the refund returns when the order held less (`refund_of`).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from catalogue import clock, events
from catalogue.delivery.models import Parcel
from catalogue.errors import Conflict
from catalogue.extensions import db
from catalogue.orders import refunds
from catalogue.orders.models import Order
from catalogue.payments import payment_gateway, payment_rails
from catalogue.products.stock import return_stock
from catalogue.transactions import calls_out

log = logging.getLogger(__name__)


def returned_amount(order: Order, parcel: Parcel) -> int:
    """What the buyer paid for this parcel: its lines and its fee."""
    lines = sum(line.line_total_vnd for line in order.lines if line.producer_id == parcel.producer_id)
    return lines + parcel.fee_vnd


def refund_of(order: Order, parcel: Parcel) -> int:
    """What a settled return gives back: its refunds as planned (made, on their way or the office's), in dong."""
    return refunds.part_refund_vnd(order, part_of(parcel))


_RETURN_PREFIX, _RETURN_SUFFIX = "parcel ", " returned"


def return_reason(reference: str) -> str:
    """Why a returned parcel's money goes back, as the ledger keeps it (the office reads `returned_reference`'s)."""
    return f"{_RETURN_PREFIX}{reference}{_RETURN_SUFFIX}"


def returned_reference(reason: str) -> str | None:
    """The parcel reference of a `return_reason`, None for any other reason."""
    if reason.startswith(_RETURN_PREFIX) and reason.endswith(_RETURN_SUFFIX):
        return reason[len(_RETURN_PREFIX) : -len(_RETURN_SUFFIX)] or None
    return None


def part_of(parcel: Parcel | int) -> str:
    """The part of the order a parcel's refund returns, in its refund rows and its request ids: `P<id>`."""
    return f"P{parcel if isinstance(parcel, int) else parcel.id}"


def refund_rails() -> refunds.RefundRails:
    return refunds.RefundRails(payment_rails(), payment_gateway())


def settle_return(order: Order, parcel: Parcel, now: datetime) -> int:
    """Stock back and the refund planned, once; the amount planned (0 when settled before or nothing is held)."""
    if parcel.return_settled_at is not None:
        return 0
    parcel.return_settled_at = now
    if order.stock_held:
        for line in order.lines:
            if line.producer_id == parcel.producer_id:
                return_stock(line.product_id, line.quantity)
    reason = return_reason(parcel.reference)
    amount = refunds.plan_part_refund(order, refund_rails(), returned_amount(order, parcel), reason, part_of(parcel))
    if amount > 0:
        log.info("Order %s: parcel %s came back; %s ₫ to go back to the buyer", order.code, parcel.reference, amount)
    events.publish(events.ParcelReturned(order.id, order.code, parcel.id, parcel.producer_id))
    return amount


@calls_out
def refund_return(parcel_id: int) -> None:
    """Ask the providers for a returned parcel's refunds still `requested` (none: nothing is asked).

    After the tracking use case committed, with no transaction open. A provider that refuses or does
    not answer leaves the refund `due` for the office (never a second request under another id).
    """
    row = db.session.execute(
        select(Order.code, Order.id).join(Parcel, Parcel.order_id == Order.id).where(Parcel.id == parcel_id)
    ).first()
    order = db.session.get(Order, row.id) if row is not None else None
    plan = refunds.part_refunds(order, part_of(parcel_id)) if order is not None else None
    db.session.rollback()  # nothing held while the providers answer
    if plan is None:
        return
    reason = f"parcel returned ({part_of(parcel_id)})"
    try:
        refunds.ask_refunds(row.code, plan, refund_rails(), reason, clock.now())
    except Conflict as error:  # refused or unreachable: the refund is the office's now (money desk)
        log.warning("Order %s: the returned parcel's refund was not made by API: %s", row.code, error)
