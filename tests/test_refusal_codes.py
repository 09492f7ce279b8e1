"""Refusals carry a code per domain (issue 20): the JSON answer adds it as `error_code`, pages word it by code."""

from flask_babel import force_locale

from catalogue.refusals import refusal_words
from tests.fakes import intent_event, signed
from tests.order_helpers import body, shelf


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
