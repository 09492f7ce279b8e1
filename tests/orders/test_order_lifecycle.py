"""Reservations expire; an admin cancels and refunds; the buyer gets an email when paid."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from catalogue.extensions import db
from catalogue.orders import services
from catalogue.orders.models import Order
from tests.fakes import intent_event, refund_event, signed
from tests.order_helpers import body, shelf, stock_of


@pytest.fixture
def placed(app, empty_client):
    products = shelf()
    order = empty_client.post("/api/v1/orders", json=body((products["mien"].id, 3))).get_json()
    return {"order": order, "product": products["mien"], "intent": order["payment"]["payment_intent_id"]}


def _pay(client, placed, event_id="evt_paid"):
    order = placed["order"]
    payload, signature = signed(
        intent_event(event_id, "succeeded", placed["intent"], order["code"], amount=order["total_vnd"])
    )
    return client.post("/webhooks/stripe", data=payload, headers={"Stripe-Signature": signature})


def _order(code):
    db.session.expire_all()
    return db.session.scalar(select(Order).where(Order.code == code))


def test_unpaid_reservation_expires_after_15_minutes(placed):
    code = placed["order"]["code"]
    start = datetime.now(UTC)

    assert services.release_expired_reservations(start + timedelta(minutes=14)) == 0
    assert services.release_expired_reservations(start + timedelta(minutes=16)) == 1

    assert _order(code).status == "cancelled"
    assert [event.reason for event in _order(code).events][-1] == "reservation expired"
    assert stock_of(placed["product"]) == 10


def test_expiry_also_happens_lazily_when_the_order_is_read(placed):
    code, token = placed["order"]["code"], placed["order"]["access_token"]

    order = services.order_for_buyer(code, token, datetime.now(UTC) + timedelta(hours=1))

    assert order.status == "cancelled"
    assert stock_of(placed["product"]) == 10


def test_expire_command_releases_reservations(app, placed):
    from catalogue import clock

    order = _order(placed["order"]["code"])
    order.reserved_until = clock.now() - timedelta(seconds=1)
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["orders", "expire"])

    assert "Released 1 expired reservation(s)." in result.output
    assert stock_of(placed["product"]) == 10


def test_the_last_units_held_by_an_expired_reservation_go_to_the_next_buyer(app, empty_client):
    from catalogue import clock

    product = shelf()["last3"]
    first = empty_client.post("/api/v1/orders", json=body((product.id, 3))).get_json()
    _order(first["code"]).reserved_until = clock.now() - timedelta(seconds=1)  # its 15 minutes are over
    db.session.commit()

    second = empty_client.post("/api/v1/orders", json=body((product.id, 3)))

    assert second.status_code == 201
    assert _order(first["code"]).status == "cancelled"
    assert [event.reason for event in _order(first["code"]).events][-1] == "reservation expired"
    assert _order(second.get_json()["code"]).status == "pending_payment"
    assert stock_of(product) == 0


def test_units_held_by_a_reservation_still_running_are_refused(app, empty_client):
    product = shelf()["last3"]
    first = empty_client.post("/api/v1/orders", json=body((product.id, 3))).get_json()

    second = empty_client.post("/api/v1/orders", json=body((product.id, 1)))

    assert second.status_code == 409
    assert second.get_json()["error_code"] == "order.out_of_stock"
    assert _order(first["code"]).status == "pending_payment"
    assert stock_of(product) == 0


def test_admin_cancels_a_paid_order_refund_then_stock_back(app, empty_client, placed):
    code, intent = placed["order"]["code"], placed["intent"]
    _pay(empty_client, placed)
    assert stock_of(placed["product"]) == 7

    result = app.test_cli_runner().invoke(args=["orders", "cancel", code, "--reason", "buyer called"])

    assert result.output.strip() == f"{code}: refund_pending"
    assert app.extensions["payment_gateway"].calls[-1] == ("refund", intent, f"refund-{code}")
    assert stock_of(placed["product"]) == 7  # back only when Stripe confirms
    payload, signature = signed(refund_event("evt_refunded", intent))
    empty_client.post("/webhooks/stripe", data=payload, headers={"Stripe-Signature": signature})
    assert _order(code).status == "refunded"
    assert stock_of(placed["product"]) == 10
    assert [e.to_status for e in _order(code).events] == ["pending_payment", "paid", "refund_pending", "refunded"]


def test_failed_refund_leaves_the_paid_order_unchanged(app, empty_client, placed):
    code = placed["order"]["code"]
    _pay(empty_client, placed)
    app.extensions["payment_gateway"].unavailable = True

    result = app.test_cli_runner().invoke(args=["orders", "cancel", code])

    app.extensions["payment_gateway"].unavailable = False
    assert result.exit_code != 0 and "unchanged" in result.output
    assert _order(code).status == "paid"
    assert stock_of(placed["product"]) == 7


def test_buyer_cannot_cancel_a_paid_order(empty_client, placed):
    code, token = placed["order"]["code"], placed["order"]["access_token"]
    _pay(empty_client, placed)

    response = empty_client.post(f"/api/v1/orders/{code}/cancel", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 403
    assert _order(code).status == "paid"
    assert stock_of(placed["product"]) == 7


def test_paid_email_goes_through_smtp(app, empty_client, placed, smtp_server):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)

    _pay(empty_client, placed)

    message = smtp_server.wait_for_message()
    app.config.update(MAIL_SERVER=None)
    assert message["To"] == "Nguyễn Thị Lan <lan@example.com>"
    assert message["Subject"] == f"Đơn hàng {placed['order']['code']} đã được thanh toán"
    text = message.get_body(("plain",)).get_content()
    assert "Miến dong Bình Liêu (gói 500 g) × 3: 255.000\xa0₫" in text
    assert "Phí vận chuyển: 40.000\xa0₫" in text  # 1 500 g: base kilogram + one started kilogram
    assert "Tổng cộng: 295.000\xa0₫" in text


def test_no_mail_server_means_no_email_and_no_error(app, empty_client, placed, smtp_server, monkeypatch):
    import smtplib

    connections = []
    monkeypatch.setattr(smtplib, "SMTP", lambda *args, **kwargs: connections.append(args))
    app.config.update(MAIL_SERVER=None, MAIL_PORT=smtp_server.port)  # a server is listening, but none is set

    response = _pay(empty_client, placed)

    assert response.status_code == 200
    assert _order(placed["order"]["code"]).status == "paid"
    assert connections == []
    assert smtp_server.messages.empty()


def test_delivery_follows_shipping_only(app, empty_client, placed):
    from catalogue.orders.locking import lock_order
    from catalogue.orders.services import transition

    code = placed["order"]["code"]
    runner = app.test_cli_runner()
    early = runner.invoke(args=["orders", "deliver", code])
    assert early.exit_code != 0 and "cannot become delivered" in early.output
    _pay(empty_client, placed)
    transition(lock_order(code), "shipped", "shipped by producer")
    db.session.commit()

    result = runner.invoke(args=["orders", "deliver", code])

    assert result.output.strip() == f"{code}: delivered"
    assert [e.to_status for e in _order(code).events][-2:] == ["shipped", "delivered"]
