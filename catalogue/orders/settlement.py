"""Money landing on an order: bank transfers, the redirect rails' notices, and the office's assignments.

Every notice is recorded in the payments ledger and the order's state follows from the
sums: the exact amount (or more) pays it, less leaves it partly paid with the rest due, more
flags the surplus for the office to return. Money after the reservation expired takes the
stock again when it is there; else it goes back through the one refund planner
(catalogue.orders.refunds): by the rail's API where it has one (Stripe, MoMo, ZaloPay, VNPay's
refund API), flagged for the office's hand path otherwise (bank transfers). Every rail's notice,
Stripe's too, is recorded by `record_notice`: deduplicated on the ledger's provider transaction key.
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

from catalogue import events
from catalogue.accounts.principal import Principal
from catalogue.errors import Conflict, NotFound, PermissionDenied
from catalogue.extensions import db
from catalogue.models_base import utcnow
from catalogue.orders import refund_notices, refunds
from catalogue.orders.locking import lock_order, lock_order_by_id
from catalogue.orders.models import RESERVING_STATUSES, Order
from catalogue.orders.services import transition
from catalogue.payments import ledger
from catalogue.payments.bank_feeds import BankTransfer, find_order_codes, same_account
from catalogue.payments.models import Payment
from catalogue.payments.port import (
    DUPLICATE,
    PAYMENT,
    REFUND,
    REFUND_STATUS,
    STRAY,
    UNKNOWN_ATTEMPT,
    WRONG_AMOUNT,
    PaymentNotice,
    notice_refusal,
)
from catalogue.payments.registry import BANK_TRANSFER
from catalogue.products.stock import return_stock, take_stock
from catalogue.transactions import calls_out, use_case

log = logging.getLogger(__name__)


SOLD_OUT_REASON = "paid after expiry, sold out"


def settle(order: Order, method: str, providers: refunds.RefundRails | None = None, plans: list | None = None) -> str:
    """Bring the order's status in line with its ledger after money came in; what happened, in one word.

    paid, partly_paid (still due, or held on a cancelled order), refund_pending (paid after expiry,
    sold out: the refund planner returns it by the rail's API where `providers` has one, the plan
    appended to `plans` to ask once committed; by hand otherwise), surplus (more than the order
    needs: flagged to return).
    An order turned paid records `method` as the rail that settled it: the money that completed
    it, whatever rail the buyer chose last (a later surplus never changes it).
    """
    money = ledger.order_money(order)
    if order.status in RESERVING_STATUSES:
        if money.received_vnd < order.total_vnd:
            return "partly_paid"
        _paid(order, method, f"paid by {method}")
        return "paid"
    if order.status == "cancelled":
        if money.received_vnd < order.total_vnd:
            return "partly_paid"
        if retake_stock(order):
            _paid(order, method, f"paid by {method} after expiry; stock taken again")
            return "paid"
        transition(order, "refund_pending", f"paid by {method} after expiry but sold out; refunding")
        plan = refunds.plan_refunds(
            order, providers or refunds.RefundRails(None), SOLD_OUT_REASON, restore="cancelled", cancelled_by="sold_out"
        )
        if plan is not None and plans is not None:
            plans.append(plan)
        return "refund_pending"
    ledger.claim_excess(order, method)
    return "surplus"


def _paid(order: Order, method: str, reason: str) -> None:
    """The money completed the order: paid by `method` (its `order_paid` mails the buyer), a shop sale landed."""
    transition(order, "paid", reason, by=method)
    order.settled_by = method
    ledger.claim_excess(order, method)
    sold: dict[int, int] = {}
    for line in order.lines:
        sold[line.product_id] = sold.get(line.product_id, 0) + line.quantity
    events.publish(events.SaleRecorded("shop", order.code, tuple(sorted(sold.items()))))


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
                None, method=BANK_TRANSFER, provider=transfer.feed, reference=transfer.bank_reference or transfer.id,
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
            method=BANK_TRANSFER,
            provider=transfer.feed,
            reference=transfer.bank_reference or transfer.id,
            transaction_id=transfer.id,
            amount_vnd=transfer.amount_vnd,
            occurred_at=transfer.occurred_at,
            details={"content": transfer.content, "account_no": transfer.account_no},
        )
        outcomes.append(settle(order, BANK_TRANSFER) if order is not None else "unmatched")
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
    refunds.complete_refund(order, "returned by hand", by="hand")
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
        method=order.settled_by or order.payment_method or BANK_TRANSFER,
        amount_vnd=held,
        reason="returned by hand",
        state="done",
        reference=reference,
    )
    row.resolved_by, row.resolved_at = principal.label[:200], now
    return row


# --- every rail's notices (VNPay, MoMo, ZaloPay, Stripe) ----------------------------------


@dataclass(frozen=True)
class _Attempt:
    order: Order
    row: Payment


def _attempt_for(notice: PaymentNotice) -> _Attempt | None:
    """The attempt the notice names by its reference (VNPay's TxnRef, MoMo's orderId, a PaymentIntent), its order
    locked: a cancel and this payment serialise. The reference decides, never an order code the notice carries."""
    found = ledger.attempt_by_reference(notice.provider, notice.reference)
    if found is None or found.order_id is None:
        return None
    order = lock_order_by_id(found.order_id)
    row = db.session.scalar(select(Payment).where(Payment.id == found.id).execution_options(populate_existing=True))
    return _Attempt(order, row)


def _reject(order: Order, notice: PaymentNotice, reason: str) -> bool:
    """Keep money a notice says came, not applied, on `order` (once per notice); False when kept already."""
    transaction_id = f"{notice.raw_id}#{notice.amount_vnd}"
    if ledger.already_recorded(notice.provider, transaction_id):
        return False
    amount = notice.amount_vnd if notice.currency == "vnd" else 0  # another currency is not dong
    details = {**notice.details, "currency": notice.currency} if notice.currency != "vnd" else dict(notice.details)
    ledger.add_money_in(
        order, method=notice.provider, provider=notice.provider, reference=notice.reference,
        transaction_id=transaction_id, amount_vnd=amount, state="rejected", reason=reason, details=details,
    )  # fmt: skip
    log.warning("%s notice %s for %s not applied: %s", notice.provider, notice.raw_id, order.code, reason)
    return True


def _apply_result(attempt: _Attempt, notice: PaymentNotice, providers, plans: list) -> str:
    if notice.succeeded:
        attempt.row.state = "succeeded"
        ledger.add_money_in(
            attempt.order, method=notice.provider, provider=notice.provider, reference=notice.reference,
            transaction_id=notice.raw_id, amount_vnd=notice.amount_vnd, details=dict(notice.details),
        )  # fmt: skip
        return settle(attempt.order, notice.provider, providers, plans)
    if attempt.row.state == "started":
        attempt.row.state = "failed"
        _mark_failed(attempt.order, notice.provider,
                     notice.error_code or f"{notice.provider}_{notice.message or 'failed'}")  # fmt: skip
        return "payment_failed"
    return "unchanged"  # a late failure never undoes a success


def _stray(notice: PaymentNotice) -> str:
    """A genuine notice naming an order but none of its attempts (another PaymentIntent): kept there as rejected."""
    order = lock_order(notice.order_code) if notice.order_code else None
    if order is None:
        return UNKNOWN_ATTEMPT
    if notice.succeeded and notice.kind == PAYMENT:
        if not _reject(order, notice, f"{notice.reference} is not a payment attempt of order {order.code}"):
            return DUPLICATE
    else:
        log.warning("%s notice %s names %s but none of its attempts", notice.provider, notice.raw_id, order.code)
    return STRAY


@use_case
def _record_notice(notice: PaymentNotice, providers, keep_strays: bool, now: datetime) -> tuple[str, str | None, list]:
    attempt = _attempt_for(notice)
    if attempt is None:
        return (_stray(notice) if keep_strays else UNKNOWN_ATTEMPT), None, []
    code, plans = attempt.order.code, []
    if notice.kind == REFUND:  # what went back of the payment so far (Stripe's charge.refunded)
        return refund_notices.apply_refunded_total(attempt.order, notice, now), code, plans
    if notice.kind == REFUND_STATUS:  # one refund, by the provider's id (Stripe's refund.*)
        return refund_notices.apply_refund_status(attempt.order, notice, now), code, plans
    refusal = notice_refusal(
        notice, attempt.row.amount_vnd, attempt.row.state, ledger.already_recorded(notice.provider, notice.raw_id)
    )
    if refusal == WRONG_AMOUNT:
        reason = f"{notice.amount_vnd} {notice.currency} does not match the attempt's {attempt.row.amount_vnd} vnd"
        if not _reject(attempt.order, notice, reason):
            return DUPLICATE, code, plans  # this refused notice again
    if refusal == DUPLICATE and notice.succeeded and _holds_unsettled_money(attempt.order):
        # The first delivery's refund could not start (the order went back to cancelled): this one retries it.
        return settle(attempt.order, notice.provider, providers, plans), code, plans
    if refusal is not None:
        return refusal, code, plans
    return _apply_result(attempt, notice, providers, plans), code, plans


def _holds_unsettled_money(order: Order) -> bool:
    """A cancelled order holding its whole total, nothing flagged to return: a late payment not yet settled."""
    money = ledger.order_money(order)
    claimed = any(row.kind == "refund" for row in money.rows)
    return order.status == "cancelled" and money.received_vnd >= order.total_vnd and not claimed


@calls_out
def record_notice(
    notice: PaymentNotice,
    providers: refunds.RefundRails | None = None,
    now: datetime | None = None,
    keep_strays: bool = False,
) -> str:
    """Any rail's verified notice (VNPay, MoMo, ZaloPay, Stripe), settled once on the attempt it names.

    In the order every provider's contract checks it: the attempt (unknown_attempt; with `keep_strays`,
    a genuine notice naming an order but another attempt is kept there as rejected: stray), its amount
    and currency (wrong_amount: kept as rejected, not applied), a result already recorded (duplicate,
    already_settled), then the money lands and the order settles (paid, partly_paid, surplus,
    refund_pending) or the attempt fails (payment_failed). A success after a recorded failure still
    counts: money came. A refund notice (REFUND: the provider's total returned; REFUND_STATUS: one refund by its
    id) is recorded once on the refund it names (catalogue.orders.refund_notices), whoever told first.

    Money after expiry with the stock gone is refunded through the refund planner once the notice is
    committed, by the rail's API where `providers` has one; when the provider cannot take it, the
    order goes back to cancelled holding the money and this raises (the rail answers "send it
    again"), so the provider's next delivery retries the same refund.
    """
    outcome, code, plans = _record_notice(notice, providers, keep_strays, now or utcnow())
    for plan in plans:
        refunds.ask_refunds(code, plan, providers, SOLD_OUT_REASON, now or utcnow())
    return outcome
