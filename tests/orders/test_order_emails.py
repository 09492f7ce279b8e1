"""The buyer's paid, shipped and cancelled emails: Vietnamese, text and HTML, sent once, after commit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from catalogue import mail
from catalogue.accounts.models import User
from catalogue.accounts.services import principal_for_user
from catalogue.errors import Conflict, InvalidInput, PermissionDenied
from catalogue.extensions import db
from catalogue.orders import cancellation, services, settlement
from catalogue.orders.fulfilment import mark_shipped
from catalogue.orders.models import Order
from catalogue.payments import ledger
from catalogue.payments.port import PaymentNotice
from tests.access_helpers import cast, paid_order
from tests.fakes import intent_event, signed
from tests.order_helpers import body, shelf

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
SHOP = {"OPERATOR_HOTLINE": "0203 3 888 999", "OPERATOR_EMAIL": "hotro@ocop.example.vn"}


@pytest.fixture
def inbox(app, smtp_server, monkeypatch):
    """Mail goes to the local SMTP server; each send also notes the order's committed status at that moment."""
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, PUBLIC_BASE_URL="https://ocop.example.vn")
    app.config.update(SHOP)
    smtp_server.committed_status_at_send = []
    smtp_server.sent = []  # what each send answered: False when the mail server could not take it
    real_send = mail.send

    def send(message, recipients):
        code = message["Subject"].split()[2]
        with db.engine.connect() as other_connection:  # outside the service's session: only committed rows
            status = other_connection.execute(text("SELECT status FROM orders WHERE code = :c"), {"c": code}).scalar()
        smtp_server.committed_status_at_send.append(status)
        try:
            real_send(message, recipients)
        except Exception:
            smtp_server.sent.append(False)
            raise
        smtp_server.sent.append(True)

    monkeypatch.setattr(mail, "send", send)
    yield smtp_server
    app.config.update(MAIL_SERVER=None)


def _received(inbox) -> list:
    """Everything delivered so far (sending is synchronous, so nothing is still on its way)."""
    messages = []
    while not inbox.messages.empty():
        messages.append(inbox.messages.get_nowait())
    return messages


def _parts(message) -> tuple[str, str]:
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def _pay(client, order, event_id="evt_paid"):
    intent = order["payment"]["payment_intent_id"]
    payload, signature = signed(intent_event(event_id, "succeeded", intent, order["code"], amount=order["total_vnd"]))
    return client.post("/webhooks/stripe", data=payload, headers={"Stripe-Signature": signature})


@pytest.fixture
def placed(app, empty_client):
    products = shelf()
    return empty_client.post("/api/v1/orders", json=body((products["mien"].id, 3))).get_json()


def _status(code):
    db.session.expire_all()
    return db.session.scalar(select(Order.status).where(Order.code == code))


def test_paid_email_is_sent_once_after_commit_in_vietnamese_text_and_html(empty_client, placed, inbox):
    code = placed["code"]

    _pay(empty_client, placed)
    _pay(empty_client, placed)  # Stripe delivers the event again

    [message] = _received(inbox)
    assert inbox.committed_status_at_send == ["paid"]
    assert message["Subject"] == f"Đơn hàng {code} đã được thanh toán"
    assert message["Content-Language"] == "vi"
    plain, html = _parts(message)
    for part in (plain, html):
        assert "Xin chào Nguyễn Thị Lan," in part
        assert f"Đơn hàng {code} đã được thanh toán" in part
        assert "255.000\xa0₫" in part and "40.000\xa0₫" in part and "295.000\xa0₫" in part
        assert f"https://ocop.example.vn/orders/{code}" in part
        assert "0203 3 888 999" in part and "hotro@ocop.example.vn" in part
    assert "Miến dong Bình Liêu (gói 500 g) × 3: 255.000\xa0₫" in plain
    assert "Tổng cộng: 295.000\xa0₫" in plain
    assert '<html lang="vi">' in html and "<table" in html


def test_a_forged_payment_sends_nothing(empty_client, placed, inbox):
    payload, signature = signed(
        intent_event("evt_forged", "succeeded", placed["payment"]["payment_intent_id"], placed["code"]),
        secret="whsec_wrong",
    )

    response = empty_client.post("/webhooks/stripe", data=payload, headers={"Stripe-Signature": signature})

    assert response.status_code == 400
    assert _received(inbox) == []
    assert _status(placed["code"]) == "pending_payment"


def test_a_mail_server_that_is_down_never_fails_the_payment(app, empty_client, placed, inbox):
    app.config.update(MAIL_PORT=1)  # nothing listens there

    response = _pay(empty_client, placed)

    assert response.status_code == 200
    assert response.get_json()["outcome"] == "paid"
    assert _status(placed["code"]) == "paid"
    assert inbox.sent == [False]


def test_the_buyer_cancelling_gets_one_cancelled_email(empty_client, placed, inbox):
    code, auth = placed["code"], {"Authorization": f"Bearer {placed['access_token']}"}

    empty_client.post(f"/api/v1/orders/{code}/cancel", headers=auth)
    empty_client.post(f"/api/v1/orders/{code}/cancel", headers=auth)  # already cancelled: nothing to say

    [message] = _received(inbox)
    assert inbox.committed_status_at_send == ["cancelled"]
    assert message["Subject"] == f"Đơn hàng {code} đã được huỷ"
    plain, html = _parts(message)
    for part in (plain, html):
        assert f"Theo yêu cầu của bạn, đơn hàng {code} đã được huỷ." in part
        assert "Bạn chưa bị trừ tiền cho đơn này." in part
        assert "295.000\xa0₫" in part


def test_a_refused_cancel_sends_nothing(empty_client, placed, inbox):
    code = placed["code"]
    _pay(empty_client, placed)
    _received(inbox)  # the paid email

    with pytest.raises(PermissionDenied):
        cancellation.cancel_by_buyer(code, placed["access_token"], datetime.now(UTC), _gateway(empty_client))

    assert _received(inbox) == []
    assert _status(code) == "paid"


def _gateway(client):
    return client.application.extensions["payment_gateway"]


def test_the_office_refunding_a_paid_order_mails_once_the_refund_started(app, empty_client, placed, inbox):
    code = placed["code"]
    _pay(empty_client, placed)
    _received(inbox)

    result = app.test_cli_runner().invoke(args=["orders", "cancel", code, "--reason", "buyer called"])

    assert result.output.strip() == f"{code}: refund_pending"
    [message] = _received(inbox)
    assert inbox.committed_status_at_send[-1] == "refund_pending"
    plain, html = _parts(message)
    for part in (plain, html):
        assert f"Đơn hàng {code} đã được OCOP Quảng Ninh huỷ." in part
        assert "Số tiền 295.000\xa0₫ sẽ được hoàn về thẻ của bạn" in part


def test_a_refund_that_cannot_start_sends_nothing(app, empty_client, placed, inbox):
    code = placed["code"]
    _pay(empty_client, placed)
    _received(inbox)
    _gateway(empty_client).unavailable = True

    result = app.test_cli_runner().invoke(args=["orders", "cancel", code])

    _gateway(empty_client).unavailable = False
    assert result.exit_code != 0
    assert _received(inbox) == []
    assert _status(code) == "paid"


def test_an_expired_reservation_sends_nothing(placed, inbox):
    assert services.release_expired_reservations(datetime.now(UTC) + timedelta(minutes=16)) == 1

    assert _received(inbox) == []
    assert _status(placed["code"]) == "cancelled"


def _principal(email: str):
    return principal_for_user(db.session.scalars(select(User).where(User.email == email)).one())


def test_each_parcel_shipped_mails_its_lines_and_tracking_number(app, inbox):
    world = cast()
    paid_order([(world["product"], 2), (world["other_product"], 1)])

    mark_shipped(_principal("owner@example.com"), "PAID2345", "GHN-0001", NOW)
    first = _received(inbox)
    mark_shipped(_principal("other@example.com"), "PAID2345", "VTP-0002", NOW)
    second = _received(inbox)

    assert inbox.committed_status_at_send == ["paid", "shipped"]
    [parcel_one], [parcel_two] = first, second
    assert parcel_one["Subject"] == "Đơn hàng PAID2345 đã được gửi đi"
    plain_one, html_one = _parts(parcel_one)
    plain_two, html_two = _parts(parcel_two)
    for part in (plain_one, html_one):
        assert "mã vận đơn GHN-0001" in part
        assert "Miến dong Bình Liêu" in part and "Nước mắm Vân Đồn" not in part
        assert "Các sản phẩm còn lại của đơn do người sản xuất khác gửi" in part
    assert "Nước mắm Vân Đồn (" in plain_two and "Miến dong Bình Liêu (" not in plain_two
    assert "mã vận đơn VTP-0002" in html_two
    assert "toàn bộ đơn hàng đã được gửi đi" in plain_two


@pytest.mark.parametrize(("tracking", "error"), [("x", InvalidInput), ("GHN-0001", Conflict)])
def test_a_refused_shipment_sends_nothing(app, inbox, tracking, error):
    world = cast()
    paid_order([(world["product"], 2)])
    if error is Conflict:
        mark_shipped(_principal("owner@example.com"), "PAID2345", "GHN-0001", NOW)
        _received(inbox)

    with pytest.raises(error):
        mark_shipped(_principal("owner@example.com"), "PAID2345", tracking, NOW)

    assert _received(inbox) == []


def test_a_payment_rolled_back_after_its_transition_mails_nothing_and_the_kept_one_mails_once(placed, inbox):
    code, intent = placed["code"], placed["payment"]["payment_intent_id"]
    notice = PaymentNotice("stripe", intent, code, placed["total_vnd"], succeeded=True, raw_id="evt_rolled_back")
    seen = []

    def fail_after_the_transition(order, method, **_):
        seen.append(order.status)  # the order already turned paid (and published order_paid) in this use case
        raise RuntimeError("the database went away")

    with pytest.MonkeyPatch.context() as patch, pytest.raises(RuntimeError):
        patch.setattr(ledger, "claim_excess", fail_after_the_transition)
        settlement.record_notice(notice)

    assert seen == ["paid"]
    assert _status(code) == "pending_payment"
    assert _received(inbox) == []

    assert settlement.record_notice(notice) == "paid"  # Stripe delivers it again: this time it is kept

    [message] = _received(inbox)
    assert message["Subject"] == f"Đơn hàng {code} đã được thanh toán"
    assert inbox.committed_status_at_send == ["paid"]


def test_an_order_back_to_paid_after_a_refused_refund_is_not_mailed_as_paid_again(app, empty_client, placed, inbox):
    code = placed["code"]
    _pay(empty_client, placed)
    _received(inbox)
    _gateway(empty_client).unavailable = True
    app.test_cli_runner().invoke(args=["orders", "cancel", code])
    _gateway(empty_client).unavailable = False

    history = empty_client.get(
        f"/api/v1/orders/{code}", headers={"Authorization": f"Bearer {placed['access_token']}"}
    ).get_json()["history"]

    assert [(step["from_status"], step["to_status"]) for step in history][-2:] == [
        ("paid", "refund_pending"),
        ("refund_pending", "paid"),
    ]
    assert _received(inbox) == []  # order_paid is not published again: the order was paid all along


def test_a_name_that_already_says_its_unit_is_not_followed_by_it_again(app, empty_client, inbox):
    """Issue 23: the emails read "… (gói 300 g) (gói 300 g)" when the name already held the unit."""
    products = shelf()
    products["mien"].name = "Miến dong Bình Liêu (gói 500 g)"
    db.session.commit()
    placed = empty_client.post("/api/v1/orders", json=body((products["mien"].id, 3))).get_json()

    _pay(empty_client, placed)

    [message] = _received(inbox)
    for part in _parts(message):
        assert "Miến dong Bình Liêu (gói 500 g)" in part
        assert "(gói 500 g) (gói 500 g)" not in part
