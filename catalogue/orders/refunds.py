"""Refunds through MoMo's API when the office cancels a paid order.

What MoMo took goes back by MoMo's signed refund (`POST /v2/gateway/api/refund`); money that
came by a bank transfer or VNPay is still returned by hand (catalogue.orders.settlement). The
cancellation's use case writes one `requested` refund row per MoMo payment and commits; MoMo is
asked afterwards, with no transaction open (`@calls_out`). The request id is made from the
payment and the amount (`momo.refund_reference`) and is the row's unique provider transaction
id, so asking again after no answer (or a second cancel) is the same refund at MoMo, never a
second one.

MoMo sends no notification for a refund: its answer with resultCode 0 is the confirmation, as
charge.refunded is Stripe's. The row is then `done`, and the order turns `refunded` (its stock
back) once nothing is left to return. A refusal (another resultCode) or no answer puts the
order back as it was and drops what the cancellation wrote, unless MoMo already returned part
of it: the rest is then left for the office to return by hand. MoMo answering that it already
has the request (40, 41) may mean it refunded before we heard: that row, too, waits for the
office (checked in MoMo's portal), and is never asked again under another id.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from catalogue import notifications
from catalogue.errors import NotFound
from catalogue.extensions import db
from catalogue.orders.locking import lock_order
from catalogue.orders.models import Order
from catalogue.orders.services import PaymentServiceUnavailable, RefundRefused, release_stock, transition
from catalogue.payments import ledger, momo
from catalogue.payments.models import Payment
from catalogue.payments.momo import MoMo
from catalogue.payments.port import PaymentNotice, ProviderRefused, ProviderUnavailable
from catalogue.payments.registry import Rails
from catalogue.transactions import calls_out, use_case

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MoMoRefund:
    """One refund row to ask MoMo for: the payment it returns and how much of it."""

    refund_id: int
    payment: PaymentNotice
    amount_vnd: int
    request_id: str  # MoMo's orderId and requestId of this refund


@dataclass(frozen=True)
class RefundPlan:
    """What a committed cancellation leaves to ask of MoMo, and how to undo it if MoMo says no."""

    refunds: tuple[MoMoRefund, ...]
    restore: str | None  # the paid status the order goes back to when nothing could be returned
    by_hand_ids: tuple[int, ...] = ()  # refunds by hand flagged by the same cancellation, dropped with it


def plan_momo_refunds(order: Order, rails: Rails | None, reason: str) -> tuple[MoMoRefund, ...]:
    """Inside the cancellation's use case: a `requested` refund for each MoMo payment MoMo can return.

    None while MoMo is off (the office then returns it by hand, as before), nor for a payment
    without MoMo's transId or below MoMo's minimum. Never more than the order still holds.
    """
    if rails is None or rails.get("momo") is None:
        return ()
    rows = ledger.rows_of(order.id)
    received = [row for row in rows if row.kind == "payment" and row.state == "received"]
    left = sum(row.amount_vnd for row in received) - sum(row.amount_vnd for row in rows if row.kind == "refund")
    planned = []
    for row in received:
        amount = min(row.amount_vnd, left)
        details = ledger.details_of(row)
        trans_id = str(details.get("transId") or "")
        if row.method != "momo" or amount < momo.MIN_AMOUNT_VND or not trans_id.isdigit():
            continue
        request_id = momo.refund_reference(row.reference, amount, int(details.get(REFUSALS_KEY) or 0))
        refund = ledger.add_refund(
            order, method="momo", amount_vnd=amount, state="requested", reason=reason, reference=request_id,
            transaction_id=f"refund:{request_id}", details={"payment_id": row.id, "transId": trans_id},
        )  # fmt: skip
        db.session.flush()
        planned.append(MoMoRefund(refund.id, _payment_notice(row, order.code), amount, request_id))
        left -= amount
    return tuple(planned)


def unfinished_momo_refunds(order: Order) -> RefundPlan | None:
    """A refund_pending order's MoMo refunds still `requested` (the process stopped before MoMo answered)."""
    rows = ledger.rows_of(order.id)
    requested = [row for row in rows if row.kind == "refund" and row.method == "momo" and row.state == "requested"]
    refunds = []
    for row in requested:
        payment = db.session.get(Payment, ledger.details_of(row).get("payment_id"))
        if payment is not None:
            refunds.append(MoMoRefund(row.id, _payment_notice(payment, order.code), row.amount_vnd, row.reference))
    if not refunds:
        return None
    first, reasons = min(row.id for row in requested), {row.reason for row in requested}
    by_hand = tuple(
        row.id
        for row in rows
        if row.kind == "refund" and row.state == "due" and row.id > first and row.reason in reasons
    )  # flagged by the same cancellation, right after its MoMo rows
    before = [event.from_status for event in order.events if event.to_status == "refund_pending"]
    return RefundPlan(tuple(refunds), restore=before[-1] if before else None, by_hand_ids=by_hand)


def by_hand_method(order: Order, planned: tuple[MoMoRefund, ...]) -> str:
    """The rail the rest is returned by: the latest payment that MoMo does not refund, else the order's."""
    by_api = {refund.payment.raw_id for refund in planned}
    others = [
        row.method
        for row in ledger.rows_of(order.id)
        if row.kind == "payment" and row.state == "received" and row.provider_transaction_id not in by_api
    ]
    return others[-1] if others else (order.payment_method or "vietqr")


REASON_FAILED = "MoMo refund failed"  # the ledger's words; the office's page says them in Vietnamese
REASON_UNCONFIRMED = "MoMo refund to check"
REFUSALS_KEY = "refund_refusals"  # on a MoMo payment's details: how often MoMo refused to refund it


@calls_out
def refund_by_momo(code: str, plan: RefundPlan, provider: MoMo | None, reason: str, now: datetime) -> None:
    """Ask MoMo for each planned refund and record its answer; RefundRefused (409) or 503 when it says no."""
    for refund in plan.refunds:
        try:
            if provider is None:  # MoMo was turned off since: nothing can be asked
                raise ProviderUnavailable("MoMo is not configured")
            outcome = provider.refund(refund.payment, refund.amount_vnd, reason, request_id=refund.request_id)
        except ProviderUnavailable as error:
            log.warning("MoMo refund %s of %s failed: %s", refund.refund_id, code, error)
            said_no = isinstance(error, ProviderRefused)
            unconfirmed = said_no and error.code in momo.UNCONFIRMED_REFUND_CODES
            status = _not_refunded(code, plan, refund.refund_id, str(error), unconfirmed, said_no and not unconfirmed)
            raise _refusal(error, status, unconfirmed) from error
        _refunded(code, refund.refund_id, outcome.reference, now)


def _refusal(error: ProviderUnavailable, status: str, unconfirmed: bool) -> Exception:
    said = f"{error.code} {error.provider_message}".strip() if isinstance(error, ProviderRefused) else ""
    if unconfirmed:  # asked before or still processing, perhaps refunded: a person checks, never a new id
        return RefundRefused(
            f"MoMo did not confirm the refund ({said}): it may have been made. Check it in MoMo's merchant "
            "portal and record it among the refunds to make by hand; the order stays refund_pending.",
            {"refund": [f"MoMo answered {said}."]},
        )
    if status == "refund_pending":
        left = "MoMo returned part of it; the rest is listed for the office to return by hand."
    else:
        left = f"nothing was returned and the order is still {status}."
    if said:
        return RefundRefused(f"MoMo refused the refund ({said}); {left}", {"refund": [f"MoMo answered {said}."]})
    return PaymentServiceUnavailable(
        f"MoMo could not be reached; {left} Asking again later asks MoMo for the same refund, never a second one.",
        {"refund": ["MoMo did not answer."]},
    )


@use_case
def _refunded(code: str, refund_id: int, momo_reference: str, now: datetime) -> None:
    """MoMo confirmed: the row is done; the order is refunded once nothing is left to return."""
    order = _locked(code)
    row = db.session.get(Payment, refund_id, with_for_update=True, populate_existing=True)
    if row is None or row.state != "requested":
        return  # recorded already (a concurrent retry of the same refund)
    row.state, row.resolved_at = "done", now
    row.details = ledger.json_details({**ledger.details_of(row), "refund_trans_id": momo_reference})
    db.session.flush()
    rows = ledger.rows_of(order.id)
    if any(r.kind == "refund" and r.method == "momo" and r.state == "requested" for r in rows):
        return  # more of this order's MoMo refunds to ask for
    by_hand = sum(r.amount_vnd for r in rows if r.kind == "refund" and r.state == "due")
    if order.status == "refund_pending" and not by_hand:
        transition(order, "refunded", "refunded by MoMo")
        release_stock(order)
    returned = sum(r.amount_vnd for r in rows if r.kind == "refund" and r.method == "momo" and r.state == "done")
    notifications.announce("cancelled", order, cancelled_by="office", refund=True, refund_momo=returned,
                           refund_by_hand=by_hand)  # fmt: skip


@use_case
def _not_refunded(code: str, plan: RefundPlan, refund_id: int, error: str, unconfirmed: bool, refused: bool) -> str:
    """MoMo said no (or nothing): undo the cancellation if nothing went back; else the rest is the office's.

    `unconfirmed`: MoMo already has this request, or is processing it, so it may have refunded: the row
    waits for the office (checked in MoMo's portal, then recorded by hand), the order stays refund_pending.
    `refused`: MoMo said no, so nothing went back: the next try is a new request (a new id).
    """
    order = _locked(code)
    planned = {refund.refund_id for refund in plan.refunds}
    rows = [row for row in ledger.rows_of(order.id) if row.kind == "refund"]
    keep = unconfirmed or any(row.id in planned and row.state == "done" for row in rows)
    for row in rows:
        if row.id in planned and row.state == "requested":
            if keep:  # the office returns it by hand (or records that MoMo did)
                row.state = "due"
                row.reason = REASON_UNCONFIRMED if unconfirmed and row.id == refund_id else REASON_FAILED
            else:
                db.session.delete(row)
        elif row.id in plan.by_hand_ids and row.state == "due" and not keep:
            db.session.delete(row)
    if not keep and refused:
        _count_refusal(next(refund.payment.raw_id for refund in plan.refunds if refund.refund_id == refund_id))
    if not keep and order.status == "refund_pending" and plan.restore:
        transition(order, plan.restore, f"refund failed: {error}")
    return order.status


def _count_refusal(payment_transaction_id: str) -> None:
    payment = db.session.scalar(
        select(Payment).where(Payment.provider == "momo", Payment.kind == "payment",
                              Payment.provider_transaction_id == payment_transaction_id)
    )  # fmt: skip
    if payment is not None:
        details = ledger.details_of(payment)
        payment.details = ledger.json_details({**details, REFUSALS_KEY: int(details.get(REFUSALS_KEY) or 0) + 1})


def _locked(code: str) -> Order:
    order = lock_order(code)
    if order is None:
        raise NotFound(f"No order {code}.")
    return order


def _payment_notice(row: Payment, code: str) -> PaymentNotice:
    """A MoMo payment in the ledger as the adapter reads it (its reference is MoMo's orderId)."""
    details = {key: str(value) for key, value in ledger.details_of(row).items()}
    return PaymentNotice(provider="momo", reference=row.reference, order_code=code, amount_vnd=row.amount_vnd,
                         succeeded=True, raw_id=row.provider_transaction_id or "", details=details)  # fmt: skip
