"""POST /webhooks/stripe: only a verified event changes an order, once, in the right order (contract §5)."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from catalogue.extensions import db
from catalogue.orders import services
from catalogue.orders.models import Order
from catalogue.payments import ledger
from catalogue.payments.models import Payment
from tests.fakes import intent_event, refund_event, refund_status_event, signed
from tests.order_helpers import body, shelf, stock_of
from tests.payments.rail_helpers import ledger_of


@pytest.fixture
def placed(app, empty_client):
    products = shelf()
    order = empty_client.post("/api/v1/orders", json=body((products["mien"].id, 2))).get_json()
    return {"order": order, "product": products["mien"], "intent": order["payment"]["payment_intent_id"]}


def _deliver(client, event, **sign_options):
    payload, signature = signed(event, **sign_options)
    return client.post(
        "/webhooks/stripe", data=payload, headers={"Stripe-Signature": signature}, content_type="application/json"
    )


def _paid(event_id, placed, **changes):
    """payment_intent.succeeded for the order's own PaymentIntent and total, unless `changes` say otherwise."""
    order = placed["order"]
    intent = changes.pop("intent", placed["intent"])
    return intent_event(event_id, "succeeded", intent, order["code"], amount=order["total_vnd"], **changes)


def _status(code):
    db.session.expire_all()
    return db.session.scalar(select(Order.status).where(Order.code == code))


def test_signed_success_marks_the_order_paid(empty_client, placed):
    code = placed["order"]["code"]

    response = _deliver(empty_client, _paid("evt_1", placed))

    assert response.status_code == 200
    assert response.get_json() == {"received": True, "outcome": "paid"}
    assert _status(code) == "paid"
    assert stock_of(placed["product"]) == 8  # committed, not released


@pytest.mark.parametrize(
    "sign_options",
    [{"secret": "whsec_wrong"}, {"timestamp": 1_000_000}],
    ids=["wrong-secret", "too-old"],
)
def test_forged_or_stale_signature_is_400_and_changes_nothing(empty_client, placed, sign_options):
    code = placed["order"]["code"]

    response = _deliver(empty_client, _paid("evt_forged", placed), **sign_options)

    assert response.status_code == 400
    assert response.get_json()["code"] == 400
    assert _status(code) == "pending_payment"
    assert _processed() == 0


def test_unsigned_or_tampered_body_is_refused(empty_client, placed):
    code = placed["order"]["code"]
    payload, signature = signed(intent_event("evt_2", "payment_failed", placed["intent"], code))
    tampered = payload.replace(b"payment_failed", b"succeeded")

    assert empty_client.post("/webhooks/stripe", data=payload).status_code == 400
    assert (
        empty_client.post("/webhooks/stripe", data=tampered, headers={"Stripe-Signature": signature}).status_code == 400
    )
    assert _status(code) == "pending_payment"
    assert stock_of(placed["product"]) == 8
    assert _processed() == 0


def test_replayed_event_is_applied_once(empty_client, placed):
    code, intent = placed["order"]["code"], placed["intent"]
    _deliver(empty_client, _paid("evt_ok", placed))
    _deliver(empty_client, refund_event("evt_refund", intent))
    assert stock_of(placed["product"]) == 10

    again = _deliver(empty_client, refund_event("evt_refund", intent))

    assert again.get_json()["outcome"] == "duplicate"
    assert stock_of(placed["product"]) == 10  # not returned twice
    assert _status(code) == "refunded"


def test_a_partial_refund_made_in_stripe_is_recorded_once_and_never_refunds_the_whole_order(empty_client, placed):
    code, intent, total = placed["order"]["code"], placed["intent"], placed["order"]["total_vnd"]
    _deliver(empty_client, _paid("evt_ok", placed))
    partly = refund_event("evt_ch", intent, amount_refunded=50_000, amount=total)
    created = refund_status_event("evt_re", "refund.created", "re_1", intent, 50_000, "succeeded")

    answers = [_deliver(empty_client, event).get_json()["outcome"] for event in (partly, created, created, partly)]

    assert answers == ["unchanged", "refunded", "duplicate", "duplicate"]  # the total alone names no refund
    assert _status(code) == "paid"
    assert stock_of(placed["product"]) == 8
    assert _rows(code)[-1] == ("refund", "done", "stripe", 50_000)
    assert [row for row in _rows(code) if row[0] == "refund"] == [("refund", "done", "stripe", 50_000)]


def test_the_rest_refunded_in_stripe_after_a_partial_one_refunds_the_order_once(empty_client, placed):
    code, intent, total = placed["order"]["code"], placed["intent"], placed["order"]["total_vnd"]
    _deliver(empty_client, _paid("evt_ok", placed))
    _deliver(empty_client, refund_status_event("evt_1", "refund.created", "re_1", intent, 50_000, "succeeded"))

    everything = _deliver(empty_client, refund_event("evt_all", intent, amount_refunded=total, amount=total))
    rest = _deliver(empty_client, refund_status_event("evt_2", "refund.created", "re_2", intent, total - 50_000,
                                                      "succeeded"))  # fmt: skip

    assert (everything.get_json()["outcome"], rest.get_json()["outcome"]) == ("refunded", "duplicate")
    assert _status(code) == "refunded"
    assert stock_of(placed["product"]) == 10
    refunds = [row for row in _rows(code) if row[0] == "refund"]
    assert refunds == [("refund", "done", "stripe", 50_000), ("refund", "done", "stripe", total - 50_000)]


def test_late_failure_never_undoes_a_success(empty_client, placed):
    code, intent = placed["order"]["code"], placed["intent"]
    _deliver(empty_client, _paid("evt_a", placed))

    late = _deliver(empty_client, intent_event("evt_b", "payment_failed", intent, code, failure="declined"))

    assert late.get_json()["outcome"] == "unchanged"
    assert _status(code) == "paid"
    assert db.session.scalar(select(Order.payment_error).where(Order.code == code)) is None
    assert stock_of(placed["product"]) == 8


def test_failure_keeps_the_order_reserved_and_retryable(empty_client, placed):
    code, intent = placed["order"]["code"], placed["intent"]

    _deliver(empty_client, intent_event("evt_f", "payment_failed", intent, code, failure="Your card was declined."))

    assert _status(code) == "payment_failed"
    assert stock_of(placed["product"]) == 8
    token = placed["order"]["access_token"]
    seen = empty_client.get(f"/api/v1/orders/{code}?token={token}").get_json()
    assert seen["payment_error"] == "card_declined"  # the reason code; Stripe's English text is only logged
    _deliver(empty_client, _paid("evt_s", placed))
    assert _status(code) == "paid"


def test_refund_before_success_is_out_of_order_and_then_settles(empty_client, placed):
    code, intent = placed["order"]["code"], placed["intent"]

    early = _deliver(empty_client, refund_event("evt_r", intent))
    _deliver(empty_client, _paid("evt_s", placed))

    assert early.get_json()["outcome"] == "unchanged"
    assert _status(code) == "paid"
    assert stock_of(placed["product"]) == 8  # the early refund event gave nothing back


def test_payment_after_expiry_takes_the_stock_again(app, empty_client, placed):
    code = placed["order"]["code"]
    later = datetime.now(UTC) + timedelta(minutes=16)
    assert services.release_expired_reservations(later) == 1
    assert (_status(code), stock_of(placed["product"])) == ("cancelled", 10)

    _deliver(empty_client, _paid("evt_late", placed))

    assert _status(code) == "paid"
    assert stock_of(placed["product"]) == 8


def test_payment_after_expiry_of_sold_out_stock_is_refunded(app, empty_client, placed):
    code, intent = placed["order"]["code"], placed["intent"]
    services.release_expired_reservations(datetime.now(UTC) + timedelta(minutes=16))
    product = placed["product"]
    db.session.get(type(product), product.id).stock = 1
    db.session.commit()

    response = _deliver(empty_client, _paid("evt_late", placed))

    assert response.get_json()["outcome"] == "refund_pending"
    assert app.extensions["payment_gateway"].calls[-1] == ("refund", intent, f"refund-{code}")
    assert stock_of(product) == 1
    _deliver(empty_client, refund_event("evt_refunded", intent))
    assert _status(code) == "refunded"
    assert stock_of(product) == 1  # nothing had been taken, so nothing is returned


def test_events_for_unknown_payments_are_acknowledged_and_ignored(empty_client, placed):
    response = _deliver(empty_client, intent_event("evt_x", "succeeded", "pi_unknown", "QN-NONE-NONE"))
    assert response.get_json()["outcome"] == "ignored"
    assert _status(placed["order"]["code"]) == "pending_payment"
    assert stock_of(placed["product"]) == 8


def test_a_refund_that_cannot_start_is_retried_when_stripe_resends_the_event(app, empty_client, placed):
    code, intent = placed["order"]["code"], placed["intent"]
    services.release_expired_reservations(datetime.now(UTC) + timedelta(minutes=16))
    product = placed["product"]
    db.session.get(type(product), product.id).stock = 1
    db.session.commit()
    gateway = app.extensions["payment_gateway"]
    late = _paid("evt_late", placed)

    gateway.unavailable = True
    refused = _deliver(empty_client, late)
    gateway.unavailable = False

    assert refused.status_code == 503
    assert _status(code) == "cancelled"
    # the money is kept on the cancelled order (it came), no refund is left half-asked
    assert _rows(code) == [("attempt", "succeeded", "stripe", placed["order"]["total_vnd"]),
                           ("payment", "received", "stripe", placed["order"]["total_vnd"])]  # fmt: skip
    retried = _deliver(empty_client, late)  # Stripe redelivers the same event
    assert retried.get_json()["outcome"] == "refund_pending"
    assert gateway.calls[-1] == ("refund", intent, f"refund-{code}")
    assert _status(code) == "refund_pending"


# --- an event is applied only to the order whose PaymentIntent and total it carries ---------------


def _rows(code):
    return ledger_of(code)


def _processed():
    """Stripe's events kept in the ledger (money in, rejected or not, and refunds): its dedup key lives there."""
    return db.session.scalar(
        select(func.count(Payment.id)).where(Payment.provider == "stripe", Payment.kind != "attempt")
    )


def test_a_genuine_success_records_the_card_payment_in_the_ledger(empty_client, placed):
    code, total = placed["order"]["code"], placed["order"]["total_vnd"]

    _deliver(empty_client, _paid("evt_1", placed))

    assert _rows(code) == [("attempt", "succeeded", "stripe", total), ("payment", "received", "stripe", total)]


@pytest.mark.parametrize(
    ("changes", "recorded_vnd"),
    [({"amount": 1}, 1), ({"amount": 1_000_000_000}, 1_000_000_000), ({"currency": "usd"}, 0)],
    ids=["one-dong", "more-than-the-total", "another-currency"],
)
def test_a_success_for_another_amount_is_recorded_rejected_and_changes_nothing(
    empty_client, placed, changes, recorded_vnd
):
    code, total = placed["order"]["code"], placed["order"]["total_vnd"]
    event = _paid("evt_odd", placed)
    event["data"]["object"].update(
        {"amount": changes.get("amount", total), "amount_received": changes.get("amount", total)}
    )
    event["data"]["object"]["currency"] = changes.get("currency", "vnd")

    response = _deliver(empty_client, event)
    again = _deliver(empty_client, event)  # Stripe's retry, or a replay

    assert (response.status_code, response.get_json()) == (200, {"received": True, "outcome": "rejected"})
    assert again.get_json()["outcome"] == "duplicate"
    assert _status(code) == "pending_payment"
    assert stock_of(placed["product"]) == 8
    assert _rows(code) == [
        ("attempt", "started", "stripe", total),
        ("payment", "rejected", "stripe", recorded_vnd),  # US cents are not dong
    ]
    assert _processed() == 1


def test_a_success_of_another_payment_intent_naming_the_order_is_not_applied(empty_client, placed):
    code, total = placed["order"]["code"], placed["order"]["total_vnd"]

    response = _deliver(empty_client, _paid("evt_other", placed, intent="pi_someone_elses"))

    assert response.get_json()["outcome"] == "rejected"
    assert _status(code) == "pending_payment"
    assert stock_of(placed["product"]) == 8
    assert _rows(code) == [("attempt", "started", "stripe", total), ("payment", "rejected", "stripe", total)]
    row = db.session.scalars(select(Payment).where(Payment.state == "rejected")).one()
    assert (row.reference, row.reason) == (
        "pi_someone_elses",
        f"pi_someone_elses is not a payment attempt of order {code}",
    )


def test_a_failure_or_refund_of_another_payment_intent_changes_nothing(empty_client, placed):
    code, total = placed["order"]["code"], placed["order"]["total_vnd"]
    failed = intent_event("evt_f", "payment_failed", "pi_other", code, failure="declined", amount=total)
    _deliver(empty_client, _paid("evt_s", placed))
    rows = _rows(code)

    answers = [_deliver(empty_client, failed), _deliver(empty_client, refund_event("evt_r", "pi_other"))]

    assert [answer.get_json()["outcome"] for answer in answers] == ["rejected", "ignored"]
    assert _status(code) == "paid"
    assert stock_of(placed["product"]) == 8
    assert _rows(code) == rows
    assert rows[-1] == ("payment", "received", "stripe", total)
    assert db.session.scalar(select(Order.payment_error).where(Order.code == code)) is None


def test_a_refund_of_another_payment_intent_naming_the_order_is_not_applied(empty_client, placed):
    code = placed["order"]["code"]
    _deliver(empty_client, _paid("evt_s", placed))
    rows = _rows(code)
    refund = refund_event("evt_r", "pi_other")
    refund["data"]["object"]["metadata"] = {"order_code": code}

    response = _deliver(empty_client, refund)

    assert response.get_json()["outcome"] == "rejected"
    assert _status(code) == "paid"
    assert stock_of(placed["product"]) == 8  # not given back
    assert _rows(code) == rows


def test_a_payment_intent_recorded_as_the_orders_stripe_attempt_is_its_own(app, empty_client, placed):
    code, total = placed["order"]["code"], placed["order"]["total_vnd"]
    order = db.session.scalar(select(Order).where(Order.code == code))
    ledger.add_attempt(order, "stripe", "pi_second_try", total)
    db.session.commit()

    response = _deliver(empty_client, _paid("evt_second", placed, intent="pi_second_try"))

    assert response.get_json()["outcome"] == "paid"
    assert _status(code) == "paid"


def test_a_genuine_event_signed_over_five_minutes_ago_is_400_and_changes_nothing(empty_client, placed):
    code, total = placed["order"]["code"], placed["order"]["total_vnd"]
    fresh = _deliver(empty_client, _paid("evt_ok", placed), timestamp=int(time.time()) - 290)
    stale = _deliver(empty_client, refund_event("evt_refund", placed["intent"]), timestamp=int(time.time()) - 301)

    assert (fresh.status_code, stale.status_code) == (200, 400)
    assert _status(code) == "paid"
    assert stock_of(placed["product"]) == 8
    assert _rows(code)[-1] == ("payment", "received", "stripe", total)
    assert _processed() == 1


def test_what_the_payment_intent_received_counts_not_what_it_asked_for(empty_client, placed):
    code = placed["order"]["code"]
    event = _paid("evt_partial", placed)
    event["data"]["object"]["amount_received"] = 1  # asked for the total, received 1 dong

    response = _deliver(empty_client, event)

    assert response.get_json()["outcome"] == "rejected"
    assert _status(code) == "pending_payment"
    assert _rows(code)[-1] == ("payment", "rejected", "stripe", 1)
