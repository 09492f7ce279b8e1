"""Settlement, refunds and the order's lifecycle as use cases, called directly (issue 20): no HTTP, no routes.

Every rail's notice goes through `settlement.record_notice`; Stripe's is read by its rail from a signed
event like the others'. These check the rules themselves (dedup on the ledger key, amount and currency,
the late-payment rule, the refund planner) on SQLite and PostgreSQL, fast.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from catalogue.errors import DomainError
from catalogue.extensions import db
from catalogue.orders import cancellation, refunds, settlement
from catalogue.orders.models import Order
from catalogue.orders.services import release_expired_reservations
from catalogue.payments.bank_feeds import BankTransfer
from catalogue.payments.port import ALREADY_SETTLED, DUPLICATE, REFUND, STRAY, WRONG_AMOUNT, PaymentNotice
from catalogue.payments.stripe_rail import StripeRail
from catalogue.payments.stripe_rail.gateway import PaymentEvent
from tests.order_helpers import stock_of
from tests.payments.rail_helpers import VIETQR, ledger_of

NOW = datetime.now(UTC)
LATER = NOW + timedelta(hours=2)  # every reservation has run out


def _card(shop, order: Order, amount: int | None = None, currency: str = "vnd", kind: str = "succeeded", **changes):
    """Stripe's event for the order's PaymentIntent, read by the Stripe rail into a notice."""
    types = {"succeeded": "payment_intent.succeeded", "failed": "payment_intent.payment_failed",
             "refunded": "charge.refunded"}  # fmt: skip
    event = PaymentEvent(
        id=changes.pop("event_id", f"evt_{kind}"), type=types[kind],
        payment_intent_id=changes.pop("intent", order.payment_intent_id), order_code=order.code,
        amount=order.total_vnd if amount is None else amount, currency=currency,
        failure_code="insufficient_funds" if kind == "failed" else None,
        charge_id="ch_1" if kind == "refunded" else None,
    )  # fmt: skip
    return StripeRail(shop["gateway"]).verify(event)


def _record(shop, notice: PaymentNotice, keep_strays: bool = True) -> str:
    providers = refunds.RefundRails(shop["rails"], shop["gateway"])
    return settlement.record_notice(notice, providers, NOW, keep_strays=keep_strays)


def _status(code: str) -> str:
    db.session.expire_all()
    return db.session.scalar(select(Order.status).where(Order.code == code))


def _sold_out_after_expiry(shop, order: Order, left: int = 1) -> None:
    assert release_expired_reservations(LATER) == 1
    db.session.get(type(shop["product"]), shop["product"].id).stock = left
    db.session.commit()


def test_a_card_payment_lands_once_on_the_ledgers_key(shop, place):
    order = place("stripe")
    notice = _card(shop, order)

    assert _record(shop, notice) == "paid"
    assert _record(shop, notice) == DUPLICATE
    assert _record(shop, _card(shop, order, event_id="evt_other_delivery")) == DUPLICATE  # another event, same money

    assert _status(order.code) == "paid"
    paid = [("attempt", "succeeded", "stripe", order.total_vnd), ("payment", "received", "stripe", order.total_vnd)]
    assert ledger_of(order.code) == paid
    assert db.session.get(Order, order.id).settled_by == "stripe"


@pytest.mark.parametrize(("amount", "currency", "kept_vnd"), [(1, "vnd", 1), (None, "usd", 0)], ids=["1-dong", "usd"])
def test_a_card_payment_of_another_amount_or_currency_is_kept_rejected_once(shop, place, amount, currency, kept_vnd):
    order = place("stripe")
    notice = _card(shop, order, amount=amount, currency=currency)

    assert _record(shop, notice) == WRONG_AMOUNT
    assert _record(shop, notice) == DUPLICATE

    assert _status(order.code) == "pending_payment"
    assert ledger_of(order.code) == [("attempt", "started", "stripe", order.total_vnd),
                                     ("payment", "rejected", "stripe", kept_vnd)]  # fmt: skip


def test_another_payment_intent_naming_the_order_is_a_stray_kept_rejected(shop, place):
    order = place("stripe")

    outcome = _record(shop, _card(shop, order, intent="pi_not_this_orders"))

    assert outcome == STRAY
    assert _status(order.code) == "pending_payment"
    assert ledger_of(order.code)[-1] == ("payment", "rejected", "stripe", order.total_vnd)
    # a rail that keeps no strays (VNPay, MoMo…) answers it as an unknown attempt and records nothing
    other = place("stripe")
    assert _record(shop, _card(shop, other, intent="pi_nobody"), keep_strays=False) == "unknown_attempt"
    assert ledger_of(other.code) == [("attempt", "started", "stripe", other.total_vnd)]


def test_a_failure_after_the_success_changes_nothing(shop, place):
    order = place("stripe")
    _record(shop, _card(shop, order))

    assert _record(shop, _card(shop, order, kind="failed", amount=0)) == ALREADY_SETTLED
    assert _status(order.code) == "paid"
    assert db.session.get(Order, order.id).payment_error is None


def test_a_payment_after_the_cancel_takes_the_stock_again(shop, place):
    order = place("stripe")
    cancellation.cancel_by_admin(order.code, NOW, shop["gateway"], "cancelled by office", shop["rails"])
    assert (_status(order.code), stock_of(shop["product"])) == ("cancelled", 10)

    assert _record(shop, _card(shop, order)) == "paid"

    assert _status(order.code) == "paid"
    assert stock_of(shop["product"]) == 8


def test_a_late_card_payment_when_sold_out_is_refunded_by_api_then_finished_by_stripes_refund(shop, place):
    order = place("stripe")
    _sold_out_after_expiry(shop, order)

    assert _record(shop, _card(shop, order)) == "refund_pending"
    assert shop["gateway"].calls[-1] == ("refund", order.payment_intent_id, f"refund-{order.code}")
    refunded = _card(shop, order, kind="refunded")
    assert refunded.kind == REFUND
    assert _record(shop, refunded) == "refunded"
    assert _record(shop, refunded) == DUPLICATE

    assert _status(order.code) == "refunded"
    assert stock_of(shop["product"]) == 1  # never taken, never given back
    assert ledger_of(order.code)[-1] == ("refund", "done", "stripe", order.total_vnd)


def test_a_late_card_refund_that_cannot_start_is_retried_by_the_next_delivery(shop, place):
    order = place("stripe")
    _sold_out_after_expiry(shop, order)
    shop["gateway"].unavailable = True
    with pytest.raises(DomainError):
        _record(shop, _card(shop, order))
    shop["gateway"].unavailable = False
    assert _status(order.code) == "cancelled"  # holding the money, nothing half-asked

    assert _record(shop, _card(shop, order)) == "refund_pending"
    assert ledger_of(order.code)[-1] == ("refund", "requested", "stripe", order.total_vnd)


def test_a_late_bank_transfer_when_sold_out_is_flagged_for_the_office_by_hand(shop, place):
    order = place("vietqr")
    _sold_out_after_expiry(shop, order)
    content = order.code.replace("-", "")
    transfer = BankTransfer(feed="sepay", id="tx-1", amount_vnd=order.total_vnd, content=content, direction="in",
                            occurred_at=NOW, account_no=VIETQR["VIETQR_ACCOUNT_NO"], bank_reference="FT1")  # fmt: skip

    assert settlement.record_bank_transfers([transfer], [VIETQR["VIETQR_ACCOUNT_NO"]]) == ["refund_pending"]
    assert settlement.record_bank_transfers([transfer], [VIETQR["VIETQR_ACCOUNT_NO"]]) == ["duplicate"]

    assert _status(order.code) == "refund_pending"
    assert ledger_of(order.code)[-1] == ("refund", "due", "vietqr", order.total_vnd)
