"""Finding an order again by its code and checkout phone, and the order's timeline on its page."""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from catalogue.extensions import db
from catalogue.orders.models import Order, OrderEvent
from tests.fakes import intent_event, signed
from tests.order_helpers import body, shelf
from tests.storefront_helpers import csrf_token

NOT_FOUND = "Không tìm thấy đơn hàng với mã và số điện thoại này."


@pytest.fixture
def placed(app, empty_client):
    """An order placed with the phone 0912 345 678, seen from another browser (no token, no session)."""
    products = shelf()
    order = empty_client.post("/api/v1/orders", json=body((products["mien"].id, 2))).get_json()
    return {
        "code": order["code"],
        "token": order["access_token"],
        "intent": order["payment"]["payment_intent_id"],
        "total_vnd": order["total_vnd"],
    }


def _lookup(client, code, phone, with_token=True):
    data = {"code": code, "phone": phone}
    if with_token:
        data["csrf_token"] = csrf_token(client, "/orders/lookup")
    return client.post("/orders/lookup", data=data)


def _lookups(client) -> dict:
    with client.session_transaction() as session:
        return dict(session.get("order_lookups", {}))


@pytest.mark.parametrize("phone", ["0912345678", "0912 345 678", "+84912345678", "+84 912.345.678", "84912345678"])
def test_the_code_and_the_checkout_phone_however_written_open_the_order(app, placed, phone):
    browser = app.test_client()

    response = _lookup(browser, placed["code"].lower().replace("-", " "), phone)

    assert response.status_code == 303
    assert response.headers["Location"] == f"/orders/{placed['code']}"
    page = browser.get(response.headers["Location"])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"Đơn hàng {placed['code']}" in html and "Chờ thanh toán" in html
    # The look-up reads; paying and cancelling still need the order's own link.
    assert 'data-testid="read-only"' in html
    assert 'id="payment-form"' not in html and f"/orders/{placed['code']}/cancel" not in html


@pytest.mark.parametrize(
    ("code", "phone"),
    [("QN-ZZZZ-ZZZZ", "0912345678"), (None, "0987654321"), ("QN-ZZZZ-ZZZZ", "0987654321")],
    ids=["no such code", "wrong phone", "both wrong"],
)
def test_a_wrong_code_and_a_wrong_phone_get_the_same_answer(app, placed, code, phone):
    browser = app.test_client()

    response = _lookup(browser, code or placed["code"], phone)

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert html.count(NOT_FOUND) == 1
    assert placed["code"] not in html.replace(f'value="{placed["code"]}"', "")
    assert _lookups(browser) == {}
    assert browser.get(f"/orders/{placed['code']}").status_code == 404


def test_the_order_page_without_token_or_look_up_stays_hidden(app, placed):
    assert app.test_client().get(f"/orders/{placed['code']}").status_code == 404


def test_a_phone_that_is_not_vietnamese_is_refused_inline_and_looks_nothing_up(app, placed):
    browser = app.test_client()

    response = _lookup(browser, placed["code"], "12345")

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Số điện thoại Việt Nam, ví dụ 0912345678." in html and NOT_FOUND not in html
    assert _lookups(browser) == {}


def test_a_look_up_without_its_csrf_token_is_refused(app, placed):
    browser = app.test_client()

    response = _lookup(browser, placed["code"], "0912345678", with_token=False)

    assert response.status_code == 400
    assert _lookups(browser) == {}
    assert browser.get(f"/orders/{placed['code']}").status_code == 404


def test_the_sixth_look_up_in_a_minute_from_one_address_is_refused(app, placed):
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = "10.9.0.1"
    for attempt in range(5):
        assert _lookup(browser, "QN-ZZZZ-ZZZZ", "0912345678").status_code == 422, attempt

    response = _lookup(browser, placed["code"], "0912345678")  # right this time, but too many tries

    assert response.status_code == 429
    assert "Bạn đã tra cứu quá nhiều lần" in response.get_data(as_text=True)
    assert _lookups(browser) == {}


def test_guessing_one_code_from_many_addresses_is_refused_after_ten(app, placed):
    for attempt in range(10):
        browser = app.test_client()
        browser.environ_base["REMOTE_ADDR"] = f"10.8.0.{attempt + 1}"
        assert _lookup(browser, placed["code"], f"09000000{attempt:02d}").status_code == 422, attempt
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = "10.8.0.99"

    response = _lookup(browser, placed["code"], "0912345678")

    assert response.status_code == 429
    assert _lookups(browser) == {}


def _pay(client, placed) -> None:
    payload, signature = signed(
        intent_event("evt_paid", "succeeded", placed["intent"], placed["code"], amount=placed["total_vnd"])
    )
    response = client.post(
        "/webhooks/stripe", data=payload, headers={"Stripe-Signature": signature}, content_type="application/json"
    )
    assert response.status_code == 200


def test_the_order_page_shows_its_history_as_a_timeline_in_vietnam_time(app, placed):
    browser = app.test_client()
    _pay(browser, placed)
    order = db.session.scalar(select(Order).where(Order.code == placed["code"]))
    placed_event, paid_event = order.events
    placed_event.created_at = datetime(2026, 6, 12, 7, 5, tzinfo=UTC)
    paid_event.created_at = datetime(2026, 6, 12, 7, 9, tzinfo=UTC)
    db.session.commit()

    html = browser.get(f"/orders/{placed['code']}?token={placed['token']}", follow_redirects=True).get_data(
        as_text=True
    )

    timeline = html[html.index('data-testid="order-timeline"') : html.index("</ol>")]
    steps = [
        (moment, text, re.sub(r"\s+", " ", label).strip())
        for moment, text, label in re.findall(
            r'<time datetime="([^"]+)">([^<]+)</time>\s*<strong>([^<]+)</strong>', timeline
        )
    ]
    assert steps == [
        ("2026-06-12T07:05:00+00:00", "14:05 12/06/2026 (giờ Việt Nam)", "Đã đặt hàng"),
        ("2026-06-12T07:09:00+00:00", "14:09 12/06/2026 (giờ Việt Nam)", "Đã thanh toán"),
    ]
    assert db.session.scalar(select(func.count(OrderEvent.id))) == 2
