"""No transaction is open while Stripe answers; the reservation is committed before it is asked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from catalogue.errors import InvalidInput
from catalogue.extensions import db
from catalogue.orders import cancellation, services
from catalogue.orders.models import Order
from catalogue.transactions import after_commit, calls_out, use_case
from tests.fakes import intent_event, signed
from tests.order_helpers import body, shelf, stock_of


def _committed_stock(product_id: int) -> int:
    with db.engine.connect() as other_connection:
        return other_connection.execute(text("SELECT stock FROM products WHERE id = :id"), {"id": product_id}).scalar()


@pytest.fixture
def watched(app):
    """The test gateway, noting at each call whether a transaction was open and the committed stock."""
    gateway = app.extensions["payment_gateway"]
    product = shelf()["last3"]
    seen = []
    for name in ("create_payment_intent", "refund", "cancel_payment_intent"):
        real = getattr(gateway, name)

        def watch(*args, _real=real, _name=name, **kwargs):
            seen.append((_name, db.session().in_transaction(), _committed_stock(product.id)))
            return _real(*args, **kwargs)

        setattr(gateway, name, watch)
    return {"gateway": gateway, "product": product, "seen": seen}


def test_the_payment_intent_is_created_after_the_reservation_is_committed(empty_client, watched):
    response = empty_client.post("/api/v1/orders", json=body((watched["product"].id, 2)))

    assert response.status_code == 201
    assert watched["seen"] == [("create_payment_intent", False, 1)]


def test_a_buyer_cancel_calls_stripe_after_the_stock_is_back(empty_client, watched):
    placed = empty_client.post("/api/v1/orders", json=body((watched["product"].id, 2))).get_json()
    buyer = {"Authorization": f"Bearer {placed['access_token']}"}

    empty_client.post(f"/api/v1/orders/{placed['code']}/cancel", headers=buyer)

    assert watched["seen"][-1] == ("cancel_payment_intent", False, 3)


def test_a_late_payment_refund_starts_after_its_event_is_committed(empty_client, watched):
    placed = empty_client.post("/api/v1/orders", json=body((watched["product"].id, 2))).get_json()
    services.release_expired_reservations(datetime.now(UTC) + timedelta(minutes=16))
    db.session.get(type(watched["product"]), watched["product"].id).stock = 1
    db.session.commit()
    intent = placed["payment"]["payment_intent_id"]
    payload, signature = signed(
        intent_event("evt_late", "succeeded", intent, placed["code"], amount=placed["total_vnd"])
    )

    response = empty_client.post("/webhooks/stripe", data=payload, headers={"Stripe-Signature": signature})

    assert response.get_json()["outcome"] == "refund_pending"
    assert watched["seen"][-1] == ("refund", False, 1)


def test_an_order_whose_intent_was_never_recorded_can_still_be_paid(app, empty_client, watched):
    placed = empty_client.post("/api/v1/orders", json=body((watched["product"].id, 1))).get_json()
    order = db.session.scalar(select(Order).where(Order.code == placed["code"]))
    order.payment_intent_id = None  # as if the process died between Stripe's answer and our record of it
    db.session.commit()

    status = services.attempt_card_payment(
        placed["code"], placed["access_token"], "card_ok", datetime.now(UTC), watched["gateway"]
    )

    assert status == "succeeded"
    assert watched["gateway"].calls[-2][3] == f"order-{placed['code']}"  # the same key: Stripe's same intent
    db.session.expire_all()
    assert db.session.scalar(select(Order.payment_intent_id).where(Order.code == placed["code"])).startswith("pi_")


def test_a_service_calling_out_refuses_to_run_inside_a_use_case(app, watched):
    @use_case
    def outer():
        cancellation.cancel_by_admin("QN-NONE-NONE", datetime.now(UTC), watched["gateway"])

    with pytest.raises(RuntimeError, match="outside any use case"):
        outer()
    assert watched["seen"] == []


def test_after_commit_runs_only_once_the_use_case_committed(app):
    ran = []

    @use_case
    def kept():
        after_commit(lambda: ran.append(db.session().in_transaction()))

    @use_case
    def refused():
        after_commit(lambda: ran.append("refused"))
        raise InvalidInput("no", {})

    kept()
    with pytest.raises(InvalidInput):
        refused()

    assert ran == [False]
    with pytest.raises(RuntimeError):
        after_commit(lambda: None)  # outside a use case there is no commit to wait for
    assert calls_out(lambda: 1)() == 1
    assert stock_of(shelf()["mien"]) == 10
    assert db.session.scalar(select(func.count(Order.id))) == 0
