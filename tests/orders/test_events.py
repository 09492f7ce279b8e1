"""The order's events: subscribers react after the use case commits, never for a refused one (catalogue.events)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from catalogue import events
from catalogue.errors import Conflict
from catalogue.extensions import db
from catalogue.invoices import jobs
from catalogue.orders.locking import lock_order
from catalogue.orders.models import Order
from catalogue.orders.services import find_order, transition
from catalogue.transactions import use_case
from tests import factories
from tests.order_helpers import shelf

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])  # nothing here differs by database


@pytest.fixture
def pending(app):
    """A committed order waiting for its payment."""
    products = shelf()
    made = factories.order([(products["mien"], 2)], "QN-EVNT-0001", "pending_payment")
    db.session.commit()
    return made.code


def _committed_status(code: str) -> str:
    """The order's status as another connection sees it: only what was committed."""
    with db.engine.connect() as connection:
        return connection.scalar(sa.select(Order.status).where(Order.code == code))


@use_case
def _pay(code: str, refuse: bool = False) -> None:
    transition(lock_order(code), "paid", "the bank says so")
    if refuse:
        raise Conflict("Refused after the transition.")


def test_a_payment_publishes_order_paid_and_invoicing_reacts_after_the_commit(app, pending, monkeypatch):
    told = []
    scheduled = []
    events.subscribe(app, events.OrderStatusChanged, told.append)
    events.subscribe(app, events.OrderPaid, lambda event: told.append((event, _committed_status(event.code))))
    monkeypatch.setattr(jobs, "schedule", lambda order_id: scheduled.append((order_id, _committed_status(pending))))
    order_id = find_order(pending).id

    _pay(pending)

    assert told == [
        events.OrderStatusChanged(order_id, pending, "pending_payment", "paid", "the bank says so"),
        (events.OrderPaid(order_id, pending), "paid"),  # told once the payment was committed
    ]
    assert scheduled == [(order_id, "paid")]  # invoicing's subscriber, wired by create_app


def test_a_refused_use_case_publishes_nothing(app, pending, monkeypatch):
    told, scheduled = [], []
    events.subscribe(app, events.OrderPaid, told.append)
    monkeypatch.setattr(jobs, "schedule", scheduled.append)

    with pytest.raises(Conflict):
        _pay(pending, refuse=True)

    assert (told, scheduled) == ([], [])
    assert _committed_status(pending) == "pending_payment"
    assert [event.to_status for event in find_order(pending).events] == []  # no history row was kept either


def test_an_in_transaction_subscriber_writes_with_the_use_case_and_its_refusal_refuses_it(app, pending):
    def refuse_cancellations(event):
        if event.to_status == "cancelled":
            raise Conflict("Not today.")

    events.subscribe(app, events.OrderStatusChanged, refuse_cancellations, events.IN_TRANSACTION)

    @use_case
    def cancel(code):
        transition(lock_order(code), "cancelled", "the buyer changed their mind")

    with pytest.raises(Conflict, match="Not today."):
        cancel(pending)

    assert _committed_status(pending) == "pending_payment"


def test_subscribing_twice_tells_once_and_outside_a_use_case_after_commit_handlers_are_not_told(app, pending):
    told = []
    for _ in range(2):
        events.subscribe(app, events.OrderPaid, told.append)

    transition(lock_order(pending), "paid", "a direct call, as the sweep's tests do")
    db.session.commit()

    assert told == []  # nothing said that change would be kept; the invoice sweep catches such orders
    assert events.subscribers(app, events.OrderPaid)[-1] == (events.AFTER_COMMIT, told.append)
    assert len([handler for _, handler in events.subscribers(app, events.OrderPaid) if handler == told.append]) == 1


def test_a_refund_that_could_not_start_puts_the_order_back_without_a_second_order_paid(app, pending):
    told = []
    for kind in (events.OrderStatusChanged, events.OrderPaid, events.OrderRefunded):
        events.subscribe(app, kind, told.append)
    order_id = find_order(pending).id

    @use_case
    def refund_then_give_up(code):
        transition(lock_order(code), "paid", "the bank says so", by="vietqr")
        transition(lock_order(code), "refund_pending", "the office cancels")
        transition(lock_order(code), "paid", "refund failed: the provider said no")

    refund_then_give_up(pending)

    assert [type(event).__name__ for event in told] == ["OrderStatusChanged", "OrderPaid"] + ["OrderStatusChanged"] * 2
    assert told[1] == events.OrderPaid(order_id, pending, "vietqr")  # who paid: the rail
