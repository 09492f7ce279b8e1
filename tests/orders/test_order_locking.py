"""The rule that every order state change holds the order's row: transition() refuses an order not locked."""

from __future__ import annotations

import pytest

from catalogue.extensions import db
from catalogue.orders.locking import OrderNotLocked, lock_order
from catalogue.orders.services import find_order, transition
from tests.order_helpers import body, shelf


@pytest.fixture
def code(empty_client):
    product = shelf()["mien"]
    placed = empty_client.post("/api/v1/orders", json=body((product.id, 1)))
    return placed.get_json()["code"]


def test_a_state_change_on_an_order_read_without_its_lock_is_refused(code):
    order = find_order(code)

    with pytest.raises(OrderNotLocked, match=code):
        transition(order, "cancelled", "a writer that forgot the lock")

    db.session.rollback()
    assert find_order(code).status == "pending_payment"
    assert [event.to_status for event in find_order(code).events] == ["pending_payment"]


def test_the_locked_order_changes_state(code):
    transition(lock_order(code), "cancelled", "cancelled with its row held")
    db.session.commit()

    assert find_order(code).status == "cancelled"


def test_a_lock_lasts_only_as_long_as_its_transaction(code):
    order = lock_order(code)
    db.session.commit()

    with pytest.raises(OrderNotLocked):
        transition(order, "cancelled", "the lock went with the last commit")
    db.session.rollback()


def test_an_unknown_code_locks_nothing(app):
    assert lock_order("QN-NONE-NONE") is None
