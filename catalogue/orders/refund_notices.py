"""A provider's word on its refunds, recorded once in the ledger (Stripe's refund events and charge.refunded).

Runs inside the settlement's use case (catalogue.orders.settlement.record_notice), the order locked.

One refund (REFUND_STATUS: Stripe's refund.created / refund.updated / refund.failed, named by the refund's
id) is found among the order's refund rows by that id (kept when the provider's answer was recorded) or
by the request id its metadata carries (the shop's idempotency key, the row's transaction id), so the
answer and the event record it once, whichever lands first:

- succeeded: the row is done (`refunds.finish_refund`: a refund_pending order turns refunded once
  nothing is left to return); done already: a duplicate;
- pending: the row is taken, never asked again;
- failed or canceled: the row goes back to `due` ("Stripe refund failed") for the office's money desk,
  also after it had succeeded (a closed card); a later word on that refund changes nothing.

A refund the shop did not ask for (made in the provider's dashboard) settles a `due` refund of the same
amount on that rail (the office returned it there); else it is recorded done, never beyond what the
payment still holds, so what charge.refunded counted already is not counted again.

The running total (REFUND: charge.refunded's `amount_refunded`, `fully_refunded`) finishes the asked
refunds it covers, oldest first; once the charge is all refunded, what the ledger does not know yet is
recorded as one refund (deduplicated on the charge). An order whose money all went back by a refund
made outside the shop turns refunded, its stock back; a returned parcel's refund never does (its
other parcels may be delivered).
"""

from __future__ import annotations

import logging
from datetime import datetime

from catalogue.extensions import db
from catalogue.orders.models import Order
from catalogue.orders.refunds import (
    ACCEPTED_KEY,
    CANCELLED_BY_KEY,
    PART_KEY,
    PART_RETURNED,
    REFUND_ID_KEY,
    TRANSACTION_PREFIX,
    complete_refund,
    finish_refund,
    unrefunded,
)
from catalogue.payments import ledger
from catalogue.payments.models import Payment
from catalogue.payments.port import DUPLICATE, PaymentNotice
from catalogue.payments.registry import rail_brand

log = logging.getLogger(__name__)

REFUNDED_STATUSES = ("paid", "shipped", "delivered", "refund_pending")  # a provider's refund finishes these
FAILED_KEY = "failed_refund"  # on a refund row: the provider's id of its refund that failed
UNDONE = ("failed", "canceled")  # the refund returned nothing
TAKEN = ("pending", "requires_action")  # the provider has it; its next word finishes it
REFUNDED, REFUND_PENDING, REFUND_FAILED, UNCHANGED = "refunded", "refund_pending", "refund_failed", "unchanged"


def apply_refund_status(order: Order, notice: PaymentNotice, now: datetime) -> str:
    """One refund's status, by the provider's id: recorded on the shop's own refund row once, or as a refund
    made outside the shop; what it did, in one word."""
    rows = _refunds_of(order, notice.provider)
    status = notice.details.get("status", "")
    row = _row_of(rows, notice.raw_id, notice.details.get("request_id", ""))
    if row is None:
        return _outside_refund(order, notice, rows, now) if status == "succeeded" else UNCHANGED
    details = ledger.details_of(row)
    if details.get(FAILED_KEY) == notice.raw_id:
        return DUPLICATE  # a failed refund stays failed: a late `succeeded` or `pending` changes nothing
    if status in UNDONE:
        row.state, row.resolved_at = "due", None
        row.reason = f"{rail_brand(row.method)} refund failed"
        row.details = ledger.json_details({**details, FAILED_KEY: notice.raw_id, "failure_reason": notice.message})
        log.warning("Order %s: %s refund %s failed (%s); the office returns %s ₫ by hand", order.code,
                    rail_brand(row.method), notice.raw_id, notice.message or "no reason", row.amount_vnd)  # fmt: skip
        return REFUND_FAILED
    if status == "succeeded":
        if row.state == "done":
            return DUPLICATE
        told = row.state != "requested" or bool(details.get(ACCEPTED_KEY))  # the buyer heard of it already
        finish_refund(order, row, notice.raw_id, now, _cancelled_by(details), announce=not told)
        return REFUNDED
    if status in TAKEN and row.state == "requested" and not details.get(ACCEPTED_KEY):
        row.details = ledger.json_details({**details, ACCEPTED_KEY: notice.raw_id})
        return REFUND_PENDING
    return DUPLICATE if row.state == "done" or details.get(ACCEPTED_KEY) else UNCHANGED


def apply_refunded_total(order: Order, notice: PaymentNotice, now: datetime) -> str:
    """What the provider has returned of the payment so far (`amount_refunded`, `fully_refunded`): the shop's
    asked refunds it covers are done, and once all of it went back, what the ledger lacks is recorded."""
    payment = _payment_of(order, notice)
    if payment is None:
        return UNCHANGED  # before the payment it returns (out of order): that payment settles first
    fully = bool(notice.details.get("fully_refunded"))
    told = notice.details.get("amount_refunded", "")
    target = payment.amount_vnd if fully else (int(told) if told.isdigit() else 0)
    rows = _refunds_of(order, notice.provider)
    gap = target - sum(row.amount_vnd for row in rows if row.state == "done")
    if gap <= 0:
        return DUPLICATE
    if order.status not in REFUNDED_STATUSES:
        return UNCHANGED
    changed = False
    for row in rows:
        details = ledger.details_of(row)
        closable = row.state == "requested" or (fully and row.state == "due" and not details.get(FAILED_KEY))
        if closable and row.amount_vnd <= gap:
            told_buyer = row.state != "requested" or bool(details.get(ACCEPTED_KEY))
            finish_refund(order, row, details.get(ACCEPTED_KEY, ""), now, _cancelled_by(details),
                          announce=not told_buyer)  # fmt: skip
            gap -= row.amount_vnd
            changed = True
    # A refund Stripe said failed is known to it: a total sent before that failure does not bring it back.
    gap -= sum(row.amount_vnd for row in rows if row.state == "due" and ledger.details_of(row).get(FAILED_KEY))
    if fully and gap > 0 and _record_outside(order, notice, payment, gap, notice.raw_id):
        _refunded_when_all_back(order, notice.provider)
        changed = True
    return REFUNDED if changed else UNCHANGED


def _outside_refund(order: Order, notice: PaymentNotice, rows: list[Payment], now: datetime) -> str:
    """A refund the shop did not ask for (the provider's dashboard): a due refund of that amount it returned,
    else a refund of its own, up to what the payment still holds."""
    payment = _payment_of(order, notice)
    if payment is None:
        return UNCHANGED  # before the payment it returns
    due = next((row for row in rows if row.state == "due" and row.amount_vnd == notice.amount_vnd), None)
    if due is not None:  # the office returned it in the provider's dashboard
        due.state, due.resolved_at, due.resolved_by = "done", now, f"{rail_brand(due.method)} ({notice.raw_id})"
        due.details = ledger.json_details({**ledger.details_of(due), REFUND_ID_KEY: notice.raw_id})
        _refunded_when_all_back(order, notice.provider)
        return REFUNDED
    if not _record_outside(order, notice, payment, notice.amount_vnd, notice.raw_id):
        return DUPLICATE  # counted already (charge.refunded's total came first)
    _refunded_when_all_back(order, notice.provider)
    return REFUNDED


def _record_outside(order: Order, notice: PaymentNotice, payment: Payment, amount_vnd: int, key: str) -> bool:
    """Record `amount_vnd` returned by the provider outside the shop, never beyond what the payment and the
    order still hold (money is never counted twice); False when nothing was left to record."""
    rows = ledger.rows_of(order.id)
    refunds = [row for row in rows if row.kind == "refund"]
    received = sum(row.amount_vnd for row in rows if row.kind == "payment" and row.state == "received")
    amount = min(amount_vnd, unrefunded(payment, refunds), received - sum(row.amount_vnd for row in refunds))
    if amount <= 0:
        return False
    ledger.add_refund(
        order, method=notice.provider, amount_vnd=amount, state="done",
        reason=f"refunded in {rail_brand(notice.provider)}", reference=notice.reference, transaction_id=key,
        details={"payment_id": payment.id, REFUND_ID_KEY: key},
    )  # fmt: skip
    db.session.flush()
    log.info("Order %s: %s ₫ refunded in %s outside the shop (%s)", order.code, amount, notice.provider, key)
    return True


def _refunded_when_all_back(order: Order, provider: str) -> None:
    """All the order received went back and nothing is left to return: the order is refunded, its stock back."""
    money = ledger.order_money(order)
    if money.received_vnd and money.refunded_vnd >= money.received_vnd:
        complete_refund(order, f"refunded by {provider}", by=provider, from_statuses=REFUNDED_STATUSES)


def _refunds_of(order: Order, method: str) -> list[Payment]:
    """The order's refunds on rail `method`, oldest first."""
    return [row for row in ledger.rows_of(order.id) if row.kind == "refund" and row.method == method]


def _row_of(rows: list[Payment], refund_id: str, request_id: str) -> Payment | None:
    """The refund row of the provider's refund `refund_id`, or of the shop's request `request_id`."""
    for row in rows:
        details = ledger.details_of(row)
        if row.provider_transaction_id == refund_id or refund_id in (
            details.get(REFUND_ID_KEY),
            details.get(ACCEPTED_KEY),
            details.get(FAILED_KEY),
        ):
            return row
    if request_id:
        return next((row for row in rows if row.provider_transaction_id == TRANSACTION_PREFIX + request_id), None)
    return None


def _payment_of(order: Order, notice: PaymentNotice) -> Payment | None:
    """The payment the provider's refund returns: the order's received payment of that attempt."""
    return next(
        (row for row in ledger.rows_of(order.id) if row.kind == "payment" and row.state == "received"
         and row.provider == notice.provider and row.reference == notice.reference),
        None,
    )  # fmt: skip


def _cancelled_by(details: dict) -> str:
    """Whose refund a row is, as the buyer's email words it: a returned part's, or the cancellation's."""
    return PART_RETURNED if details.get(PART_KEY) else str(details.get(CANCELLED_BY_KEY) or "office")
