"""The real Stripe SDK against localstripe: paid, declined, 3-D Secure, refund.

localstripe answers every refund `succeeded` at once and sends no refund events (no refund.*, no
charge.refunded), so the events Stripe would send next are posted here from localstripe's own objects.

The browser's part (Stripe.js confirming the card) is played here by the SDK with
the test cards; localstripe then sends our webhook endpoint signed events.
"""

import time

import pytest
import requests
import stripe
from sqlalchemy import select

from catalogue.extensions import db
from catalogue.orders.models import Order
from tests.fakes import refund_event, signed
from tests.order_helpers import body, shelf, stock_of
from tests.payments.rail_helpers import ledger_of

PAID, DECLINED, THREE_D_SECURE = "4242424242424242", "4000000000000341", "4000002500003155"


@pytest.fixture
def shop(stripe_app):
    products = shelf()
    client = stripe_app.test_client()
    placed = client.post("/api/v1/orders", json=body((products["mien"].id, 2))).get_json()
    stripe_client = stripe.StripeClient("sk_test_local", base_addresses={"api": stripe_app.config["STRIPE_API_BASE"]})
    return {"app": stripe_app, "client": client, "order": placed, "product": products["mien"], "stripe": stripe_client}


def _pay_with(shop, number):
    """What Stripe.js does in the browser: attach the card, confirm the PaymentIntent."""
    stripe_client, intent_id = shop["stripe"], shop["order"]["payment"]["payment_intent_id"]
    method = stripe_client.v1.payment_methods.create(
        params={"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}}
    )
    stripe_client.v1.payment_intents.update(intent_id, params={"payment_method": method.id})
    try:
        return stripe_client.v1.payment_intents.confirm(intent_id).status
    except stripe.CardError as error:
        return error.code or "card_error"


def _wait_for_status(code, expected, seconds=10):
    deadline = time.monotonic() + seconds
    while True:
        db.session.expire_all()
        status = db.session.scalar(select(Order.status).where(Order.code == code))
        if status == expected or time.monotonic() > deadline:
            return status
        time.sleep(0.1)


def test_checkout_creates_a_vnd_payment_intent_with_the_order_code(shop):
    intent = shop["stripe"].v1.payment_intents.retrieve(shop["order"]["payment"]["payment_intent_id"])

    assert (intent.amount, intent.currency) == (shop["order"]["total_vnd"], "vnd")
    assert intent.metadata["order_code"] == shop["order"]["code"]
    assert shop["order"]["payment"]["publishable_key"] == "pk_test_local"


def test_paid_card_turns_the_order_paid_through_the_signed_webhook(shop):
    code = shop["order"]["code"]
    assert _pay_with(shop, PAID) == "succeeded"

    assert _wait_for_status(code, "paid") == "paid"
    assert stock_of(shop["product"]) == 8


def test_declined_card_leaves_the_order_retryable(shop):
    code = shop["order"]["code"]

    assert _pay_with(shop, DECLINED) == "card_declined"

    assert _wait_for_status(code, "payment_failed") == "payment_failed"
    assert stock_of(shop["product"]) == 8
    seen = shop["client"].get(f"/api/v1/orders/{code}?token={shop['order']['access_token']}").get_json()
    assert seen["payment_error"] == "card_declined"
    # Real Stripe lets the buyer retry on the same PaymentIntent; localstripe cannot re-confirm
    # after a decline, so the retry itself is covered with signed events in test_webhooks.py.


def test_three_d_secure_waits_for_authentication(shop):
    code, payment = shop["order"]["code"], shop["order"]["payment"]

    assert _pay_with(shop, THREE_D_SECURE) == "requires_action"
    assert _wait_for_status(code, "paid", seconds=1) == "pending_payment"
    # The buyer passes the bank's check (localstripe's Stripe.js calls this endpoint).
    requests.post(
        f"{shop['app'].config['STRIPE_API_BASE']}/v1/payment_intents/{payment['payment_intent_id']}/_authenticate",
        data={"client_secret": payment["client_secret"], "success": "true"},
        auth=("sk_test_local", ""),
        timeout=10,
    ).raise_for_status()

    assert _wait_for_status(code, "paid") == "paid"


def test_admin_cancel_of_a_paid_order_is_refunded_on_stripes_answer_and_its_events_change_nothing(shop):
    code, intent_id = shop["order"]["code"], shop["order"]["payment"]["payment_intent_id"]
    _pay_with(shop, PAID)
    _wait_for_status(code, "paid")

    result = shop["app"].test_cli_runner().invoke(args=["orders", "cancel", code])

    assert result.output.strip() == f"{code}: refunded"  # localstripe answers the refund `succeeded`
    [refund] = shop["stripe"].v1.refunds.list(params={"payment_intent": intent_id}).data
    assert (refund.amount, refund.status, refund.metadata["request_id"]) == (
        shop["order"]["total_vnd"],
        "succeeded",
        f"refund-{code}",
    )
    assert stock_of(shop["product"]) == 10
    # What Stripe sends next (localstripe sends no refund events): the refund itself, then the charge's total.
    for event in (_event("evt_refund_created", "refund.created", refund.to_dict()), refund_event("evt_r", intent_id)):
        payload, signature = signed(event)
        answer = shop["client"].post("/webhooks/stripe", data=payload, headers={"Stripe-Signature": signature})
        assert answer.get_json() == {"received": True, "outcome": "duplicate"}
    assert stock_of(shop["product"]) == 10
    assert [(row[0], row[1], row[3]) for row in ledger_of(code) if row[0] == "refund"] == [
        ("refund", "done", shop["order"]["total_vnd"])
    ]


def _event(event_id: str, kind: str, obj: dict) -> dict:
    return {"id": event_id, "object": "event", "type": kind, "data": {"object": obj}}


def test_buyer_cancel_cancels_the_payment_intent_at_stripe(shop):
    code, token = shop["order"]["code"], shop["order"]["access_token"]

    shop["client"].post(f"/api/v1/orders/{code}/cancel", headers={"Authorization": f"Bearer {token}"})

    intent = shop["stripe"].v1.payment_intents.retrieve(shop["order"]["payment"]["payment_intent_id"])
    assert intent.status == "canceled"
    assert stock_of(shop["product"]) == 10
