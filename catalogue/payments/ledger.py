"""Reading and writing the payments ledger: attempts, money in, money out, and what they add up to.

These functions run inside the caller's use case and change no order status; the order's
side (paid, partly paid, surplus, after expiry) is catalogue.orders.settlement.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from catalogue.clock import VIETNAM
from catalogue.extensions import db
from catalogue.orders.models import Order
from catalogue.payments.models import Payment

log = logging.getLogger(__name__)
PAID_STATUSES = ("paid", "shipped", "delivered")


@dataclass(frozen=True)
class OrderMoney:
    """What an order's ledger adds up to, in dong: what the buyer and the office read."""

    total_vnd: int
    received_vnd: int  # every payment counted for the order
    refunded_vnd: int  # returned (refund rows done)
    to_return_vnd: int  # due or requested, plus money held on a cancelled order
    due_vnd: int  # still to pay while the order waits for its payment
    surplus_vnd: int  # received beyond the total
    state: str  # unpaid, partly_paid, paid, overpaid, refunding, refunded
    rows: tuple[Payment, ...] = field(default=(), repr=False)

    def as_dict(self) -> dict:
        """The summary as the API shows it (no rows)."""
        return {
            "state": self.state,
            "total_vnd": self.total_vnd,
            "paid_vnd": self.received_vnd,
            "due_vnd": self.due_vnd,
            "surplus_vnd": self.surplus_vnd,
            "to_return_vnd": self.to_return_vnd,
            "refunded_vnd": self.refunded_vnd,
        }


def rows_of(order_id: int) -> list[Payment]:
    """An order's ledger, oldest first."""
    return list(db.session.scalars(select(Payment).where(Payment.order_id == order_id).order_by(Payment.id)))


def order_money(order: Order, rows: list[Payment] | None = None) -> OrderMoney:
    """Paid, still due, surplus and to return, derived from the order's rows (and its status).

    `rows`: the order's ledger, oldest first, when the caller has just read it in this transaction."""
    if rows is None:
        rows = rows_of(order.id) if order.id is not None else ()
    rows = tuple(rows)
    received = sum(row.amount_vnd for row in rows if row.kind == "payment" and row.state == "received")
    refunded = sum(row.amount_vnd for row in rows if row.kind == "refund" and row.state == "done")
    claimed = sum(row.amount_vnd for row in rows if row.kind == "refund")
    to_return = claimed - refunded
    if order.status == "cancelled":  # held for an order that will not ship: the office returns it
        to_return += max(received - claimed, 0)
    waiting = order.status in ("pending_payment", "payment_failed", "cancelled")
    due = max(order.total_vnd - received, 0) if waiting and order.status != "cancelled" else 0
    surplus = max(received - order.total_vnd, 0) if order.status in PAID_STATUSES else 0
    return OrderMoney(
        total_vnd=order.total_vnd,
        received_vnd=received,
        refunded_vnd=refunded,
        to_return_vnd=to_return,
        due_vnd=due,
        surplus_vnd=surplus,
        state=_state(order, received, refunded, surplus, to_return),
        rows=rows,
    )


def _state(order: Order, received: int, refunded: int, surplus: int, to_return: int) -> str:
    if order.status == "refunded" or (received and refunded >= received):
        return "refunded"
    if order.status == "refund_pending":
        return "refunding"
    if order.status in PAID_STATUSES:
        return "overpaid" if surplus else "paid"
    return "partly_paid" if received else "unpaid"


def add_attempt(
    order: Order, method: str, reference: str, amount_vnd: int, details: Mapping | None = None, unique: bool = True
) -> Payment:
    """Record that the buyer started paying `amount_vnd` by `method` (the attempt a notice will name).

    `unique`: the reference names one attempt only (VNPay's TxnRef, MoMo's orderId, a PaymentIntent),
    so two starts racing for the same reference cannot both be recorded. VietQR's content repeats.
    """
    row = Payment(
        provider_transaction_id=f"attempt:{reference}" if unique else None,
        order_id=order.id,
        kind="attempt",
        state="started",
        method=method,
        provider=method,
        reference=reference,
        amount_vnd=amount_vnd,
        details=json_details(details),
    )
    order.payment_method = method
    db.session.add(row)
    return row


def attempts_of(order_id: int, method: str | None = None) -> list[Payment]:
    """An order's attempts, oldest first (only those of `method` when given)."""
    query = select(Payment).where(Payment.order_id == order_id, Payment.kind == "attempt")
    if method:
        query = query.where(Payment.method == method)
    return list(db.session.scalars(query.order_by(Payment.id)))


def attempt_by_reference(provider: str, reference: str) -> Payment | None:
    """The attempt a provider's notice names (VNPay's TxnRef, MoMo's orderId, a PaymentIntent id)."""
    return db.session.scalar(
        select(Payment).where(Payment.kind == "attempt", Payment.provider == provider, Payment.reference == reference)
    )


def already_recorded(provider: str, transaction_id: str) -> bool:
    """True when this provider's transaction is in the ledger already (a replay)."""
    return bool(
        db.session.scalar(
            select(Payment.id).where(Payment.provider == provider, Payment.provider_transaction_id == transaction_id)
        )
    )


def add_money_in(
    order: Order | None,
    *,
    method: str,
    provider: str,
    reference: str,
    transaction_id: str | None,
    amount_vnd: int,
    occurred_at: datetime | None = None,
    state: str | None = None,
    reason: str = "",
    details: Mapping | None = None,
) -> Payment:
    """Record money that came in: for `order` (received), for no order yet (unmatched), or `rejected`."""
    row = Payment(
        order_id=order.id if order is not None else None,
        kind="payment",
        state=state or ("received" if order is not None else "unmatched"),
        method=method,
        provider=provider,
        reference=reference[:100],
        provider_transaction_id=transaction_id,
        amount_vnd=amount_vnd,
        reason=reason[:200],
        details=json_details(details),
    )
    if occurred_at is not None:
        row.occurred_at = occurred_at.astimezone(UTC)  # SQLite keeps no zone: every stored moment is UTC
    db.session.add(row)
    db.session.flush()  # a concurrent copy of the same transaction fails here, on the unique constraint
    return row


def add_refund(
    order: Order,
    *,
    method: str,
    amount_vnd: int,
    reason: str,
    state: str = "due",
    reference: str = "",
    transaction_id: str | None = None,
    details: Mapping | None = None,
) -> Payment:
    """Money to go back: `due` (the office returns it by hand), `requested` (by API) or `done`.

    `transaction_id`: the provider's id of this refund request (MoMo's requestId), unique per provider,
    so one refund can be asked for only once.
    """
    row = Payment(
        order_id=order.id,
        kind="refund",
        state=state,
        method=method,
        provider=method,
        reference=reference[:100],
        provider_transaction_id=transaction_id,
        amount_vnd=amount_vnd,
        reason=reason[:200],
        details=json_details(details),
    )
    db.session.add(row)
    return row


def claim_excess(order: Order, method: str, reason: str = "surplus") -> int:
    """Flag what the order holds beyond what it keeps as a refund the office makes by hand; the amount."""
    rows = rows_of(order.id)
    received = sum(row.amount_vnd for row in rows if row.kind == "payment" and row.state == "received")
    claimed = sum(row.amount_vnd for row in rows if row.kind == "refund")
    kept = order.total_vnd if order.status in PAID_STATUSES else 0
    excess = received - kept - claimed
    if excess > 0:
        add_refund(order, method=method, amount_vnd=excess, reason=reason)
        db.session.flush()
        log.info("Order %s holds %s ₫ more than it keeps (%s): flagged for the office", order.code, excess, reason)
    return max(excess, 0)


def drop_requested_refunds(order: Order, method: str) -> None:
    """A refund asked of a provider could not start: it is no longer on its way."""
    for row in rows_of(order.id):
        if row.kind == "refund" and row.state == "requested" and row.method == method:
            db.session.delete(row)


def unmatched_transfers() -> list[Payment]:
    """Bank transfers no order claimed (no code, or an unknown one), oldest first, for the office to assign."""
    return list(
        db.session.scalars(
            select(Payment).where(Payment.kind == "payment", Payment.state == "unmatched").order_by(Payment.id)
        )
    )


def other_account_transfers(day: date) -> list[Payment]:
    """Transfers on `day` (Vietnam time) a feed reported into an account that is not the shop's: never counted,
    listed for the office (a feed watching another account, or a buyer who sent the money elsewhere)."""
    start = datetime.combine(day, time.min, tzinfo=VIETNAM).astimezone(UTC)
    return list(
        db.session.scalars(
            select(Payment)
            .where(Payment.kind == "payment", Payment.state == "rejected", Payment.order_id.is_(None),
                   Payment.occurred_at >= start, Payment.occurred_at < start + timedelta(days=1))
            .order_by(Payment.id)
        )
    )  # fmt: skip


def refunds_due() -> list[Payment]:
    """Refunds the office must make by hand (surpluses, transfers after an order sold out), oldest first."""
    return list(
        db.session.scalars(select(Payment).where(Payment.kind == "refund", Payment.state == "due").order_by(Payment.id))
    )


@dataclass(frozen=True)
class DayTotals:
    """What came in on one Vietnamese day, by rail, and what waits for the office."""

    day: date
    received_by_method: dict[str, int]
    payments_by_method: dict[str, int]
    unmatched_vnd: int
    unmatched_count: int
    refunded_vnd: int
    refunds_due_vnd: int  # outstanding now, whatever day they arose


def day_totals(day: date) -> DayTotals:
    """The office's day sheet: money in per rail on `day` (Vietnam time), unmatched, refunded, still to return."""
    start = datetime.combine(day, time.min, tzinfo=VIETNAM).astimezone(UTC)
    end = start + timedelta(days=1)
    on_day = (Payment.occurred_at >= start, Payment.occurred_at < end)
    received = db.session.execute(
        select(Payment.method, func.sum(Payment.amount_vnd), func.count(Payment.id))
        .where(Payment.kind == "payment", Payment.state == "received", *on_day)
        .group_by(Payment.method)
    ).all()
    unmatched_vnd, unmatched_count = db.session.execute(
        select(func.coalesce(func.sum(Payment.amount_vnd), 0), func.count(Payment.id)).where(
            Payment.kind == "payment", Payment.state == "unmatched", *on_day
        )
    ).one()
    refunded = db.session.scalar(
        select(func.coalesce(func.sum(Payment.amount_vnd), 0)).where(
            Payment.kind == "refund", Payment.state == "done", *on_day
        )
    )
    due = db.session.scalar(
        select(func.coalesce(func.sum(Payment.amount_vnd), 0)).where(Payment.kind == "refund", Payment.state == "due")
    )
    return DayTotals(
        day=day,
        received_by_method={method: int(total) for method, total, _ in received},
        payments_by_method={method: count for method, _, count in received},
        unmatched_vnd=int(unmatched_vnd),
        unmatched_count=unmatched_count,
        refunded_vnd=int(refunded),
        refunds_due_vnd=int(due),
    )


def details_of(row: Payment) -> dict:
    """The provider's words kept with a row (transfer content, codes)."""
    try:
        return json.loads(row.details) if row.details else {}
    except ValueError:
        return {}


def json_details(details: Mapping | None) -> str:
    """Details as the ledger keeps them (JSON text)."""
    return json.dumps(dict(details), ensure_ascii=False, sort_keys=True) if details else ""
