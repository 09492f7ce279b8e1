"""Money landing on an order: bank transfers, the redirect rails' notices, and the office's assignments.

Every notice is recorded in the payments ledger and the order's state follows from the
sums: the exact amount (or more) pays it, less leaves it partly paid with the rest due, more
flags the surplus for the office to return. Money after the reservation expired takes the
stock again when it is there, else the order waits for the office to return it by hand.
Each use case locks the order row first (`SELECT … FOR UPDATE`), so two notices racing for
one order on PostgreSQL settle it once; the ledger's unique (provider, transaction id)
makes a replay, or the same notice twice at once, land once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from catalogue import notifications
from catalogue.accounts.principal import Principal
from catalogue.errors import Conflict, NotFound, PermissionDenied
from catalogue.extensions import db
from catalogue.orders.locking import lock_order, lock_order_by_id
from catalogue.orders.models import RESERVING_STATUSES, Order
from catalogue.orders.payment_events import retake_stock
from catalogue.orders.services import release_stock, transition
from catalogue.payments import ledger
from catalogue.payments.bank_feeds import BankTransfer, find_order_codes, same_account
from catalogue.payments.models import Payment
from catalogue.payments.port import WRONG_AMOUNT, PaymentNotice, notice_refusal
from catalogue.transactions import use_case

log = logging.getLogger(__name__)


def settle(order: Order, method: str) -> str:
    """Bring the order's status in line with its ledger after money came in; what happened, in one word.

    paid, partly_paid (still due, or held on a cancelled order), refund_pending (paid after expiry,
    sold out: the office returns it), surplus (more than the order needs: flagged to return).
    An order turned paid records `method` as the rail that settled it: the money that completed
    it, whatever rail the buyer chose last (a later surplus never changes it).
    """
    money = ledger.order_money(order)
    if order.status in RESERVING_STATUSES:
        if money.received_vnd < order.total_vnd:
            return "partly_paid"
        transition(order, "paid", f"paid by {method}")
        order.settled_by = method
        notifications.announce("paid", order)
        ledger.claim_excess(order, method)
        return "paid"
    if order.status == "cancelled":
        if money.received_vnd < order.total_vnd:
            return "partly_paid"
        if retake_stock(order):
            transition(order, "paid", f"paid by {method} after expiry; stock taken again")
            order.settled_by = method
            notifications.announce("paid", order)
            ledger.claim_excess(order, method)
            return "paid"
        transition(order, "refund_pending", f"paid by {method} after expiry but sold out; returned by hand")
        amount = ledger.claim_excess(order, method, reason="paid after expiry, sold out")
        notifications.announce("cancelled", order, cancelled_by="sold_out", refund=True, refund_by_hand=amount)
        return "refund_pending"
    ledger.claim_excess(order, method)
    return "surplus"


def _mark_failed(order: Order, method: str, code: str) -> None:
    if order.status in RESERVING_STATUSES:
        order.payment_error = code[:500]
        transition(order, "payment_failed", f"payment by {method} failed")


# --- bank transfers ------------------------------------------------------------------------


@use_case
def record_bank_transfers(transfers: list[BankTransfer], shop_accounts: Iterable[str]) -> list[str]:
    """Record each incoming transfer once, on the order its content names (else unmatched); outcomes in order.

    `shop_accounts`: the shop's own account numbers (VietQR's). A feed may watch other accounts
    too, and anyone can send money with an order's code to any account: a transfer that did not
    land in the shop's account pays nothing. It is kept as `rejected` with the account it went
    to, for the office to see, and deduplicated like the rest (outcome `other_account`).
    """
    ours = {same_account(number) for number in shop_accounts} - {""}
    outcomes = []
    for transfer in transfers:
        if not transfer.incoming:
            outcomes.append("outgoing")  # money the shop sent: not a payment
            continue
        if ledger.already_recorded(transfer.feed, transfer.id):
            outcomes.append("duplicate")
            continue
        if same_account(transfer.account_no) not in ours:
            ledger.add_money_in(
                None, method="vietqr", provider=transfer.feed, reference=transfer.bank_reference or transfer.id,
                transaction_id=transfer.id, amount_vnd=transfer.amount_vnd, occurred_at=transfer.occurred_at,
                state="rejected", reason=f"to account {transfer.account_no or '(none)'}, not the shop's",
                details={"content": transfer.content, "account_no": transfer.account_no},
            )  # fmt: skip
            log.warning("Bank transfer %s went to account %r, not the shop's: recorded, not counted",
                        transfer.id, transfer.account_no)  # fmt: skip
            outcomes.append("other_account")
            continue
        order = next(filter(None, (lock_order(code) for code in find_order_codes(transfer.content))), None)
        ledger.add_money_in(
            order,
            method="vietqr",
            provider=transfer.feed,
            reference=transfer.bank_reference or transfer.id,
            transaction_id=transfer.id,
            amount_vnd=transfer.amount_vnd,
            occurred_at=transfer.occurred_at,
            details={"content": transfer.content, "account_no": transfer.account_no},
        )
        outcomes.append(settle(order, "vietqr") if order is not None else "unmatched")
    return outcomes


@use_case
def assign_transfer(principal: Principal, transfer_id: int, order_code: str, now: datetime) -> str:
    """The office puts an unmatched transfer on the order it pays; the order settles as if it named it."""
    if not principal.is_admin:
        raise PermissionDenied("Only the OCOP office assigns bank transfers.")
    order = lock_order(order_code)
    if order is None:
        raise NotFound(f"No order {order_code}.", {"order_code": ["No such order."]})
    row = db.session.scalar(
        select(Payment).where(Payment.id == transfer_id, Payment.kind == "payment").with_for_update()
    )
    if row is None:
        raise NotFound(f"No bank transfer {transfer_id}.")
    if row.state != "unmatched":
        raise Conflict(f"Transfer {transfer_id} is already on an order.")
    row.order_id, row.state = order.id, "received"
    row.reason = f"assigned to {order.code} by the office"
    row.resolved_by, row.resolved_at = principal.label[:200], now
    db.session.flush()
    return settle(order, row.method)


# --- refunds the office makes by hand --------------------------------------------------------


@use_case
def mark_refund_returned(principal: Principal, refund_id: int, reference: str, now: datetime) -> Payment:
    """The office returned a due refund (bank transfer, VNPay portal); a refund_pending order then turns refunded."""
    if not principal.is_admin:
        raise PermissionDenied("Only the OCOP office records refunds.")
    row = db.session.scalar(select(Payment).where(Payment.id == refund_id, Payment.kind == "refund").with_for_update())
    if row is None:
        raise NotFound(f"No refund {refund_id}.")
    if row.state != "due":
        raise Conflict(f"Refund {refund_id} is {row.state}; only a due refund is returned by hand.")
    row.state, row.reference = "done", reference[:100]
    row.resolved_by, row.resolved_at = principal.label[:200], now
    order = lock_order_by_id(row.order_id)
    db.session.flush()
    outstanding = [r for r in ledger.rows_of(order.id) if r.kind == "refund" and r.state != "done"]
    if order.status == "refund_pending" and not outstanding:
        transition(order, "refunded", "returned by hand")
        release_stock(order)
    return row


@use_case
def return_held_money(principal: Principal, order_code: str, reference: str, now: datetime) -> Payment:
    """The office returned what a cancelled order held (a partial transfer that never completed it)."""
    if not principal.is_admin:
        raise PermissionDenied("Only the OCOP office records refunds.")
    order = lock_order(order_code)
    if order is None:
        raise NotFound(f"No order {order_code}.")
    money = ledger.order_money(order)
    held = money.to_return_vnd - sum(r.amount_vnd for r in money.rows if r.kind == "refund" and r.state != "done")
    if order.status != "cancelled" or held <= 0:
        raise Conflict(f"Order {order_code} holds no money to return.")
    row = ledger.add_refund(
        order,
        method=order.settled_by or order.payment_method or "vietqr",
        amount_vnd=held,
        reason="returned by hand",
        state="done",
        reference=reference,
    )
    row.resolved_by, row.resolved_at = principal.label[:200], now
    return row


def refund_by_hand(order: Order, reason: str, method: str | None = None) -> int:
    """A paid order cancelled by the office: flag all it holds that no API refund claims (bank transfers, VNPay)."""
    return ledger.claim_excess(order, method or order.settled_by or order.payment_method or "vietqr", reason=reason)


# --- the redirect rails' notices (VNPay, MoMo, ZaloPay) -----------------------------------


@dataclass(frozen=True)
class _Attempt:
    order: Order
    row: Payment


def _attempt_for(notice: PaymentNotice) -> _Attempt | None:
    order = lock_order(notice.order_code) if notice.order_code else None
    if order is None:
        return None
    row = db.session.scalar(
        select(Payment)
        .where(Payment.order_id == order.id, Payment.kind == "attempt", Payment.provider == notice.provider,
               Payment.reference == notice.reference)
        .execution_options(populate_existing=True)
    )  # fmt: skip
    return _Attempt(order, row) if row is not None else None


def _reject(attempt: _Attempt, notice: PaymentNotice) -> None:
    """Record an amount that does not match its attempt, without applying it (once per notice)."""
    transaction_id = f"{notice.raw_id}#{notice.amount_vnd}"
    if not ledger.already_recorded(notice.provider, transaction_id):
        ledger.add_money_in(
            attempt.order, method=notice.provider, provider=notice.provider, reference=notice.reference,
            transaction_id=transaction_id, amount_vnd=notice.amount_vnd, state="rejected",
            reason=f"amount {notice.amount_vnd} does not match the attempt's {attempt.row.amount_vnd}",
            details=dict(notice.details),
        )  # fmt: skip
        log.warning("%s notice for %s: amount %s ≠ %s; recorded, not applied", notice.provider,
                    notice.reference, notice.amount_vnd, attempt.row.amount_vnd)  # fmt: skip


def _apply_result(attempt: _Attempt, notice: PaymentNotice) -> str:
    if notice.succeeded:
        attempt.row.state = "succeeded"
        ledger.add_money_in(
            attempt.order, method=notice.provider, provider=notice.provider, reference=notice.reference,
            transaction_id=notice.raw_id, amount_vnd=notice.amount_vnd, details=dict(notice.details),
        )  # fmt: skip
        return settle(attempt.order, notice.provider)
    if attempt.row.state == "started":
        attempt.row.state = "failed"
        _mark_failed(attempt.order, notice.provider, f"{notice.provider}_{notice.message or 'failed'}")
        return "payment_failed"
    return "unchanged"  # a late failure never undoes a success


@use_case
def record_notice(notice: PaymentNotice) -> str:
    """A redirect rail's verified notice (VNPay, MoMo, ZaloPay…), settled once on the attempt it names.

    In the order every provider's contract checks it: the attempt (unknown_attempt), its amount
    (wrong_amount: kept as rejected, not applied), a result already recorded (duplicate), then
    the money lands and the order settles (paid, partly_paid, surplus, refund_pending) or the
    attempt fails (payment_failed). A success after a recorded failure still counts: money came.
    """
    attempt = _attempt_for(notice)
    refusal = notice_refusal(
        notice,
        attempt.row.amount_vnd if attempt else None,
        attempt.row.state if attempt else None,
        ledger.already_recorded(notice.provider, notice.raw_id),
    )
    if refusal == WRONG_AMOUNT:
        _reject(attempt, notice)  # kept as rejected, not applied
    if refusal is not None:
        return refusal
    return _apply_result(attempt, notice)
