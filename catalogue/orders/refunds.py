"""One refund planner for every rail: what the office's cancellation returns by API, and what by hand.

For each payment the order received, by its rail: when the rail's provider refunds by API
(`refunds_by_api`: MoMo, ZaloPay, VNPay with VNPAY_API set, Stripe through its gateway) a
`requested` refund row is written whose unique provider transaction id is the request id the
provider derives from the payment and the amount (`refund_reference`); the rest (bank
transfers, VNPay without its refund API, a provider that is off) is flagged `due` for the
office to return by hand (catalogue.orders.settlement). The cancellation's use case writes the
plan and commits; each provider is asked afterwards, with no transaction open (`@calls_out`),
under the stored id, so asking again after no answer (or a second cancel) is the same refund,
never a second one. ZaloPay's id carries the day it is asked: it is stored, never made again.

A provider's yes is its confirmation (MoMo, VNPay, ZaloPay once query_refund says made, Stripe's
refund `succeeded`): the row is `done` and the order turns `refunded` (its stock back) once nothing
is left to return. A Stripe refund still `pending` is only taken: its event finishes it
(catalogue.orders.refund_notices, which records it once whichever comes first). A
refusal or no answer puts the order back as it was and drops what the cancellation wrote,
unless part already went back: the rest is then the office's to return by hand. An answer
that neither confirms nor refuses (`unconfirmed_refund_codes`: asked before, still
processing) may mean the money went back: that row waits for the office (checked in the
provider's portal) and is never asked again under another id. Nothing here names a rail: the
provider of a row is `RefundRails.get(row.method)`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from catalogue import events
from catalogue.errors import NotFound
from catalogue.extensions import db
from catalogue.orders.locking import lock_order
from catalogue.orders.models import Order
from catalogue.orders.services import PaymentServiceUnavailable, RefundRefused, release_stock, transition
from catalogue.payments import ledger
from catalogue.payments.models import Payment
from catalogue.payments.port import PaymentNotice, ProviderRefused, ProviderUnavailable, RefundsByApi
from catalogue.payments.registry import BANK_TRANSFER, STRIPE, Rails, rail_brand
from catalogue.payments.stripe_rail import StripeRail
from catalogue.payments.stripe_rail.gateway import PaymentGateway
from catalogue.transactions import calls_out, use_case

log = logging.getLogger(__name__)

REFUSALS_KEY = "refund_refusals"  # on a payment's details: how often its provider refused to refund it
ACCEPTED_KEY = "accepted"  # on a refund's details: the provider took it; its notification finishes it (Stripe)
TRANSACTION_PREFIX = "refund:"  # a refund asked by API: its row's provider transaction id is this + the request id
PART_KEY = "part"  # on a refund's details: the part of the order it returns (a returned parcel, `P12`)
PART_RETURNED = "part_returned"  # `cancelled_by` of a part's refund: the order is not cancelled, no email says so
CANCELLED_BY_KEY = "cancelled_by"  # on a refund's details: who cancelled (office, sold_out), what the email says
REFUND_ID_KEY = "refund_trans_id"  # on a done refund's details: the provider's id of the refund it made


class RefundRails:
    """The providers that return money by API, by rail: the registry's, and Stripe's gateway."""

    def __init__(self, rails: Rails | None, gateway: PaymentGateway | None = None):
        self._rails, self._gateway = rails, gateway

    def get(self, method: str) -> RefundsByApi | None:
        """The provider that refunds rail `method` by API now, or None (off, or the office returns it by hand)."""
        if method == STRIPE:
            return StripeRail(self._gateway) if self._gateway is not None else None
        provider = self._rails.get(method) if self._rails is not None else None
        return provider if getattr(provider, "refunds_by_api", False) else None


@dataclass(frozen=True)
class ApiRefund:
    """One refund row to ask a provider for: the payment it returns, how much, under which request id."""

    refund_id: int
    payment_id: int | None  # None: a card order paid before the ledger kept payments
    method: str
    payment: PaymentNotice
    amount_vnd: int
    request_id: str


@dataclass(frozen=True)
class RefundPlan:
    """What a committed cancellation leaves to ask of the providers, and how to undo it if they say no."""

    refunds: tuple[ApiRefund, ...]
    restore: str | None  # the status the order goes back to when nothing could be returned
    by_hand_ids: tuple[int, ...] = ()  # refunds by hand flagged by the same cancellation, dropped with it
    cancelled_by: str = "office"  # what the buyer's email says: the office cancelled, or it sold out (a late payment)
    keep_on_failure: bool = False  # a part's refund (nothing to undo): a refusal leaves it `due` for the office


def plan_part_refund(order: Order, providers: RefundRails, amount_vnd: int, reason: str, part: str) -> int:
    """Inside a use case (the order locked): return `amount_vnd` of the order's money, a part of it (`part`:
    a returned parcel's lines and fee), through the rails that took it; the amount planned (≤ what it holds).

    Latest payment first: a `requested` row (asked afterwards by `part_refunds` + `ask_refunds`) for what a
    rail refunds by API (Stripe, MoMo, ZaloPay, VNPay with its API), never more than that payment still
    holds, its request id derived from the payment, the amount and `part` (so the same part asked again is
    one refund at the provider, and two parts are two); the rest flagged `due` for the office.
    The order's status is untouched (its other parts may be delivered).
    """
    rows = ledger.rows_of(order.id)
    received = [row for row in rows if row.kind == "payment" and row.state == "received"]
    refunds = [row for row in rows if row.kind == "refund"]
    left = min(amount_vnd, sum(row.amount_vnd for row in received) - sum(row.amount_vnd for row in refunds))
    planned = max(left, 0)
    for row in reversed(received):
        amount, provider = min(unrefunded(row, refunds), left), providers.get(row.method)
        if amount <= 0 or provider is None:
            continue
        payment = _payment_notice(row, order.code)
        if not provider.refundable(payment, amount):
            continue
        refusals = int(ledger.details_of(row).get(REFUSALS_KEY) or 0)
        try:
            request_id = provider.refund_reference(payment, amount, refusals, part=part)
        except ValueError as error:  # the provider's id cannot carry it (too long): the office returns it
            log.warning("Order %s: no %s refund id for %s (%s); left to the office", order.code, row.method, part,
                        error)  # fmt: skip
            continue
        ledger.add_refund(
            order, method=row.method, amount_vnd=amount, state="requested", reason=reason, reference=request_id,
            transaction_id=TRANSACTION_PREFIX + request_id, details={"payment_id": row.id, PART_KEY: part},
        )  # fmt: skip
        left -= amount
    if left > 0:
        method = received[-1].method if received else (order.settled_by or order.payment_method or BANK_TRANSFER)
        ledger.add_refund(order, method=method, amount_vnd=left, reason=reason, details={PART_KEY: part})
    db.session.flush()
    return planned


def unrefunded(payment: Payment, refunds: list[Payment]) -> int:
    """What a payment still holds: its amount less the refunds claimed on it (asked, made or left to the office)."""
    claimed = (r.amount_vnd for r in refunds if ledger.details_of(r).get("payment_id") == payment.id)
    return payment.amount_vnd - sum(claimed)


def part_refund_rows(order: Order, part: str) -> list[Payment]:
    """The refunds of a part of the order (planned, made or left to the office), oldest first."""
    return [
        row for row in ledger.rows_of(order.id) if row.kind == "refund" and ledger.details_of(row).get(PART_KEY) == part
    ]


def part_refund_vnd(order: Order, part: str) -> int:
    """What the refunds of a part of the order return (planned, made or left to the office), in dong."""
    return sum(row.amount_vnd for row in part_refund_rows(order, part))


def part_refunds(order: Order, part: str) -> RefundPlan | None:
    """A part's refunds still to ask of their providers (`requested`, not taken yet): asked under their stored ids."""
    refunds = []
    for row in ledger.rows_of(order.id):
        details = ledger.details_of(row)
        if row.kind != "refund" or row.state != "requested" or details.get(PART_KEY) != part or not _by_api(row):
            continue
        if details.get(ACCEPTED_KEY):
            continue
        payment = db.session.get(Payment, details.get("payment_id"))
        if payment is not None:
            notice = _payment_notice(payment, order.code)
            refunds.append(ApiRefund(row.id, payment.id, row.method, notice, row.amount_vnd, row.reference))
    if not refunds:
        return None
    return RefundPlan(tuple(refunds), restore=None, cancelled_by=PART_RETURNED, keep_on_failure=True)


def plan_refunds(
    order: Order, providers: RefundRails, reason: str, restore: str, cancelled_by: str = "office"
) -> RefundPlan | None:
    """Inside the cancellation's use case (the order locked, now refund_pending): the refunds to ask for.

    Also for money that came after the order's stock was gone (catalogue.orders.settlement: `restore`
    cancelled, `cancelled_by` sold_out): the same plan, by API where the rail has one, else by hand.

    A `requested` row per payment its provider can return by API, never more than the order still
    holds; the rest flagged for the office. None when everything goes back by hand (RefundStarted says so now).
    """
    rows = ledger.rows_of(order.id)
    received = [row for row in rows if row.kind == "payment" and row.state == "received"]
    claimed = [row for row in rows if row.kind == "refund"]
    left = sum(row.amount_vnd for row in received) - sum(row.amount_vnd for row in claimed)
    payments = [(row.id, row.method, _payment_notice(row, order.code), unrefunded(row, claimed)) for row in received]
    if not received and order.payment_intent_id:  # a card order paid before the ledger: its PaymentIntent
        left = order.total_vnd
        payments = [(None, STRIPE, _card_payment(order), order.total_vnd)]
    planned = []
    for payment_id, method, payment, holds in payments:
        amount, provider = min(holds, left), providers.get(method)
        if amount <= 0 or provider is None or not provider.refundable(payment, amount):
            continue
        row = db.session.get(Payment, payment_id) if payment_id is not None else None
        refusals = int(ledger.details_of(row).get(REFUSALS_KEY) or 0) if row is not None else 0
        request_id = provider.refund_reference(payment, amount, refusals)
        refund = ledger.add_refund(
            order, method=method, amount_vnd=amount, state="requested", reason=reason, reference=request_id,
            transaction_id=TRANSACTION_PREFIX + request_id,
            details={"payment_id": payment_id, CANCELLED_BY_KEY: cancelled_by},
        )  # fmt: skip
        db.session.flush()
        planned.append(ApiRefund(refund.id, payment_id, method, payment, amount, request_id))
        left -= amount
    flagged = {row.id for row in ledger.rows_of(order.id) if row.kind == "refund"}
    by_hand = refund_by_hand(order, reason, _by_hand_method(order, planned))
    if not planned:
        events.publish(events.RefundStarted(order.id, order.code, cancelled_by, by_hand_vnd=by_hand))
        return None
    added = tuple(row.id for row in ledger.rows_of(order.id) if row.kind == "refund" and row.id not in flagged)
    return RefundPlan(tuple(planned), restore=restore, by_hand_ids=added, cancelled_by=cancelled_by)


def refund_by_hand(order: Order, reason: str, method: str | None = None) -> int:
    """Flag all the order holds that no API refund claims (bank transfers, VNPay without its API) for the office."""
    return ledger.claim_excess(
        order, method or order.settled_by or order.payment_method or BANK_TRANSFER, reason=reason
    )


def unfinished_refunds(order: Order) -> RefundPlan | None:
    """A refund_pending order's refunds still `requested` and not taken yet (the process stopped before the
    provider answered): asked again under the same ids. A returned parcel's (an order whose every parcel came
    back) is never undone: refused, it is the office's."""
    rows = ledger.rows_of(order.id)
    requested = [row for row in rows if row.kind == "refund" and row.state == "requested" and _by_api(row)
                 and not ledger.details_of(row).get(ACCEPTED_KEY)]  # fmt: skip
    refunds = []
    for row in requested:
        payment_id = ledger.details_of(row).get("payment_id")
        payment = db.session.get(Payment, payment_id) if payment_id is not None else None
        notice = _payment_notice(payment, order.code) if payment is not None else _card_payment(order)
        refunds.append(ApiRefund(row.id, payment_id, row.method, notice, row.amount_vnd, row.reference))
    if not refunds:
        return None
    first, reasons = min(row.id for row in requested), {row.reason for row in requested}
    by_hand = tuple(
        row.id
        for row in rows
        if row.kind == "refund" and row.state == "due" and row.id > first and row.reason in reasons
    )  # flagged by the same cancellation, right after its rows asked by API
    if any(ledger.details_of(row).get(PART_KEY) for row in requested):
        # A returned parcel's refund (the order came back): nothing to undo, a refusal leaves it to the office.
        return RefundPlan(tuple(refunds), restore=None, cancelled_by=PART_RETURNED, keep_on_failure=True)
    before = [event.from_status for event in order.events if event.to_status == "refund_pending"]
    return RefundPlan(tuple(refunds), restore=before[-1] if before else None, by_hand_ids=by_hand)


def _by_hand_method(order: Order, planned: list[ApiRefund]) -> str:
    """The rail the rest is returned by: the latest payment no API refunds, else the order's."""
    by_api = {refund.payment_id for refund in planned}
    others = [row.method for row in ledger.rows_of(order.id)
              if row.kind == "payment" and row.state == "received" and row.id not in by_api]  # fmt: skip
    return others[-1] if others else (order.payment_method or BANK_TRANSFER)


@calls_out
def ask_refunds(code: str, plan: RefundPlan, providers: RefundRails, reason: str, now: datetime) -> None:
    """Ask each planned refund of its provider and record the answer; RefundRefused (409) or 503 when one says no."""
    for refund in plan.refunds:
        provider, brand = providers.get(refund.method), rail_brand(refund.method)
        try:
            if provider is None:  # the rail was turned off since: nothing can be asked
                raise ProviderUnavailable(f"{brand} is not configured")
            outcome = provider.refund(refund.payment, refund.amount_vnd, reason, request_id=refund.request_id)
        except ProviderUnavailable as error:
            log.warning("%s refund %s of %s failed: %s", brand, refund.refund_id, code, error)
            said_no = isinstance(error, ProviderRefused)
            unconfirmed = said_no and provider is not None and error.code in provider.unconfirmed_refund_codes
            status = _not_refunded(code, plan, refund.refund_id, str(error), unconfirmed, said_no and not unconfirmed)
            raise _refusal(brand, error, status, unconfirmed) from error
        if outcome.pending:
            _accepted(code, refund.refund_id, outcome.reference, plan.cancelled_by)
        else:
            _refunded(code, refund.refund_id, outcome.reference, now, plan.cancelled_by)


def _refusal(brand: str, error: ProviderUnavailable, status: str, unconfirmed: bool) -> Exception:
    said = f"{error.code} {error.provider_message}".strip() if isinstance(error, ProviderRefused) else ""
    if unconfirmed:  # asked before or still processing, perhaps refunded: a person checks, never a new id
        return RefundRefused(
            f"{brand} did not confirm the refund ({said}): it may have been made. Check it in {brand}'s merchant "
            "portal and record it among the refunds to make by hand; the order stays refund_pending.",
            {"refund": [f"{brand} answered {said}."]},
        )
    if status == "refund_pending":
        left = f"{brand} returned part of it; the rest is listed for the office to return by hand."
    else:
        left = f"nothing was returned and the order is still {status}."
    if said:
        return RefundRefused(f"{brand} refused the refund ({said}); {left}", {"refund": [f"{brand} answered {said}."]})
    return PaymentServiceUnavailable(
        f"{brand} could not be reached; {left} The order is otherwise unchanged: asking again later asks {brand} "
        "for the same refund, never a second one.",
        {"refund": [f"{brand} did not answer."]},
    )


@use_case
def _refunded(code: str, refund_id: int, provider_reference: str, now: datetime, cancelled_by: str = "office") -> None:
    """The provider confirmed: the row is done; the order is refunded once nothing is left to return."""
    order = _locked(code)
    row = db.session.get(Payment, refund_id, with_for_update=True, populate_existing=True)
    if row is None or row.state != "requested":
        return  # recorded already (a concurrent retry of the same refund, or the provider's own notice first)
    finish_refund(order, row, provider_reference, now, cancelled_by)


def finish_refund(
    order: Order, row: Payment, provider_reference: str, now: datetime, cancelled_by: str, announce: bool = True
) -> None:
    """Record the refund `row` as made (the provider's answer or its notice, the order locked); once nothing is
    left to return, a refund_pending order turns refunded, and the buyer is told what went back (unless
    `announce` is False: told already, when the provider took it)."""
    row.state, row.resolved_at = "done", now
    if provider_reference:
        row.details = ledger.json_details({**ledger.details_of(row), REFUND_ID_KEY: provider_reference})
    db.session.flush()
    rows = [r for r in ledger.rows_of(order.id) if r.kind == "refund"]
    if any(r.state == "requested" for r in rows):
        return  # more of this order's refunds to ask for, or to be confirmed
    by_hand = sum(r.amount_vnd for r in rows if r.state == "due")
    complete_refund(order, f"refunded by {rail_brand(row.method)}", by=row.method)
    if cancelled_by == PART_RETURNED or not announce:
        return  # a part: the order is not cancelled (a whole order that came back told the buyer once already)
    returned = sum(r.amount_vnd for r in rows if r.state == "done" and _by_api(r))
    events.publish(events.RefundStarted(order.id, order.code, cancelled_by, returned, row.method, by_hand))


def complete_refund(order: Order, reason: str, by: str, from_statuses: tuple[str, ...] = ("refund_pending",)) -> bool:
    """The last step of every refund (the order locked): a refund_pending order none of whose refunds is still
    due or requested turns refunded, its stock back; False when it is not (yet) so.

    Reached by a provider's confirmation (`finish_refund`), the office's hand (settlement.mark_refund_returned),
    an order whose every parcel came back with its refunds made already (catalogue.delivery.tracking), and
    money all returned outside the shop (catalogue.orders.refund_notices: `from_statuses` then also takes a
    paid, shipped or delivered order).
    """
    if order.status not in from_statuses:
        return False
    if any(row.kind == "refund" and row.state != "done" for row in ledger.rows_of(order.id)):
        return False
    transition(order, "refunded", reason, by=by)
    release_stock(order)
    return True


@use_case
def _accepted(code: str, refund_id: int, provider_reference: str, cancelled_by: str = "office") -> None:
    """The provider took the refund and confirms it by its own notification (Stripe): never asked again."""
    order = _locked(code)
    row = db.session.get(Payment, refund_id, with_for_update=True, populate_existing=True)
    if row is None or row.state != "requested" or ledger.details_of(row).get(ACCEPTED_KEY):
        return
    row.details = ledger.json_details({**ledger.details_of(row), ACCEPTED_KEY: provider_reference})
    if cancelled_by != PART_RETURNED:  # a part's refund: the order is not cancelled, no cancellation email
        events.publish(events.RefundStarted(order.id, order.code, cancelled_by))  # returned later: nothing yet


@use_case
def _not_refunded(code: str, plan: RefundPlan, refund_id: int, error: str, unconfirmed: bool, refused: bool) -> str:
    """The provider said no (or nothing): undo the cancellation if nothing went back; else the rest is the office's.

    `unconfirmed`: the provider already has this request, or is processing it, so it may have refunded:
    the row waits for the office (checked in its portal, then recorded by hand), the order stays
    refund_pending. `refused`: it said no, so nothing went back: the next try is a new request (a new id).
    """
    order = _locked(code)
    planned = {refund.refund_id for refund in plan.refunds}
    rows = [row for row in ledger.rows_of(order.id) if row.kind == "refund"]
    taken = {row.id for row in rows if row.state == "done" or ledger.details_of(row).get(ACCEPTED_KEY)}
    keep = unconfirmed or bool(planned & taken) or plan.keep_on_failure
    for row in rows:
        if row.id in planned and row.state == "requested" and row.id not in taken:
            if keep:  # the office returns it by hand (or records that the provider did)
                row.state = "due"
                to_check = unconfirmed and row.id == refund_id
                row.reason = f"{rail_brand(row.method)} refund {'to check' if to_check else 'failed'}"
            else:
                db.session.delete(row)
        elif row.id in plan.by_hand_ids and row.state == "due" and not keep:
            db.session.delete(row)
    if not keep and refused:
        _count_refusal(next(refund.payment_id for refund in plan.refunds if refund.refund_id == refund_id))
    if not keep and order.status == "refund_pending" and plan.restore:
        transition(order, plan.restore, f"refund failed: {error}")
    return order.status


def _count_refusal(payment_id: int | None) -> None:
    payment = db.session.get(Payment, payment_id) if payment_id is not None else None
    if payment is not None:
        details = ledger.details_of(payment)
        payment.details = ledger.json_details({**details, REFUSALS_KEY: int(details.get(REFUSALS_KEY) or 0) + 1})


def _by_api(row: Payment) -> bool:
    """A refund row asked of a provider by API (its provider transaction id is the request id)."""
    return (row.provider_transaction_id or "").startswith(TRANSACTION_PREFIX)


def _locked(code: str) -> Order:
    order = lock_order(code)
    if order is None:
        raise NotFound(f"No order {code}.")
    return order


def _payment_notice(row: Payment, code: str) -> PaymentNotice:
    """A payment in the ledger as its provider's adapter reads it, with its attempt's details (`attempt_*`)."""
    details = {key: str(value) for key, value in ledger.details_of(row).items()}
    attempt = ledger.attempt_by_reference(row.provider, row.reference)
    if attempt is not None:
        details.update({f"attempt_{key}": str(value) for key, value in ledger.details_of(attempt).items()})
    return PaymentNotice(provider=row.method, reference=row.reference, order_code=code, amount_vnd=row.amount_vnd,
                         succeeded=True, raw_id=row.provider_transaction_id or "", details=details)  # fmt: skip


def _card_payment(order: Order) -> PaymentNotice:
    """A card order's PaymentIntent as its payment, for orders paid before the ledger kept card payments."""
    intent = order.payment_intent_id or ""
    return PaymentNotice(provider=STRIPE, reference=intent, order_code=order.code, amount_vnd=order.total_vnd,
                         succeeded=True, raw_id=intent)  # fmt: skip
