"""Refusals carry a code per domain (issue 20): the JSON answer adds it as `error_code`, pages word it by code."""

import re
from html import unescape

from flask_babel import force_locale
from sqlalchemy import func, select

from catalogue.extensions import db
from catalogue.orders.models import Order
from catalogue.refusals import refusal_words
from tests import factories
from tests.fakes import intent_event, signed
from tests.order_helpers import body, shelf
from tests.storefront_helpers import csrf_token


def test_a_buyer_cancelling_a_paid_order_is_refused_with_its_code(app, empty_client):
    placed = empty_client.post("/api/v1/orders", json=body((shelf()["mien"].id, 1))).get_json()
    event = intent_event("evt_1", "succeeded", placed["payment"]["payment_intent_id"], placed["code"],
                         amount=placed["total_vnd"])  # fmt: skip
    data, signature = signed(event)
    assert empty_client.post("/webhooks/stripe", data=data, headers={"Stripe-Signature": signature}).status_code == 200

    refused = empty_client.post(
        f"/api/v1/orders/{placed['code']}/cancel", headers={"Authorization": f"Bearer {placed['access_token']}"}
    )

    assert refused.status_code == 403
    answer = refused.get_json()
    assert (answer["code"], answer["error_code"]) == (403, "order.not_cancellable")  # `code` stays the HTTP status


def test_pages_word_a_refusal_by_its_code_in_vietnamese_first(app):
    with app.test_request_context("/"):
        assert refusal_words("order.not_cancellable").startswith("Đơn hàng đã được thanh toán")
        with force_locale("en"):
            assert refusal_words("payment.declined")  # translated once the lead runs `make translations`
        assert refusal_words("no.such_code") is None


# --- the storefront's flashes word a service's refusal by its code -----------------------------

FORM = {
    "name": "Nguyễn Thị Lan",
    "email": "lan@example.com",
    "phone": "0912 345 678",
    "province": "Quảng Ninh",
    "ward": "Phường Bãi Cháy",
    "line1": "12 đường Hạ Long",
}


def _checkout(client, product, quantity: int):
    token = csrf_token(client, f"/products/{product.slug}")
    client.post("/cart/add", data={"product_id": product.id, "quantity": quantity, "csrf_token": token})
    return client.post("/checkout", data={**FORM, "csrf_token": csrf_token(client, "/checkout")})


def _flashes(html: str) -> list[str]:
    """The page's flashed messages (base.html's notices), as the buyer reads them."""
    notices = re.search(r'<div class="notices" role="status">(.*?)</div>', html, re.S)
    return [unescape(text) for text in re.findall(r"<p [^>]*>(.*?)</p>", notices.group(1))] if notices else []


def test_the_order_page_words_a_refused_cancel_by_its_code(app, empty_client):
    location = _checkout(empty_client, shelf()["mien"], 1).headers["Location"]
    order = db.session.scalar(select(Order).where(Order.code == location.rsplit("/", 1)[1]))
    data, signature = signed(intent_event("evt_paid", "succeeded", order.payment_intent_id, order.code,
                                          amount=order.total_vnd))  # fmt: skip
    assert empty_client.post("/webhooks/stripe", data=data, headers={"Stripe-Signature": signature}).status_code == 200

    refused = empty_client.post(
        location + "/cancel", data={"csrf_token": csrf_token(empty_client)}
    )  # a paid order shows no cancel form

    assert refused.status_code == 303
    page = empty_client.get(location).get_data(as_text=True)
    with app.test_request_context("/"):
        assert refusal_words("order.not_cancellable") in _flashes(page)
    assert "Đơn hàng đã được thanh toán nên bạn không tự huỷ được" in page  # Vietnamese first


def test_the_order_page_words_a_rail_that_is_not_offered_by_its_code(app, empty_client):
    location = _checkout(empty_client, shelf()["mien"], 1).headers["Location"]
    token = csrf_token(empty_client, location)

    switched = empty_client.post(location + "/pay-by", data={"method": "momo", "csrf_token": token})

    assert switched.status_code == 303
    assert _flashes(empty_client.get(location).get_data(as_text=True)) == [
        "Phương thức thanh toán này không có ở cửa hàng."
    ]  # payment.method_unavailable: MoMo is not configured in this shop


def test_checkout_words_an_order_too_large_for_a_card_by_its_code(app, empty_client):
    ref = factories.reference_data()
    maker = factories.producer("HTX Ngọc trai Vân Đồn", ref["van_don"])
    pearls = factories.product("Ngọc trai Vân Đồn", maker, ref["processed"], price_vnd=60_000_000, stock=5)
    db.session.commit()

    refused = _checkout(empty_client, pearls, 2)

    assert refused.status_code == 422
    assert _flashes(refused.get_data(as_text=True)) == [
        "Đơn hàng vượt quá mức một lần thanh toán bằng thẻ (99.999.999 ₫); hãy tách thành nhiều đơn nhỏ hơn."
    ]  # order.too_large (it used to be worded as the per-product unit limit)
    assert db.session.scalar(select(func.count(Order.id))) == 0
