"""A returned parcel of a card order is refunded by Stripe's API, that parcel's amount, once, and invoiced as such.

A two-producer order paid by card through the real `stripe` SDK, against a fake Stripe that speaks its API
(tests/payments/fakes_stripe.py: idempotency keys, partial refunds bounded by what the charge holds,
signed refund events) and, for what it supports, against localstripe; the carrier is GHN's real adapter
against its fake. The carrier's `returned` callback (repeated, and polled) asks Stripe for exactly that
parcel's lines and fee once; the answer and Stripe's events (refund.created, refund.updated, refund.failed,
charge.refunded), in any order, record it once; a refund Stripe reports failed is the office's, on the
money desk; an order that holds less than the parcel (part refunded in Stripe's dashboard before) is
refunded and invoiced for what it holds. Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import time

import pytest
import stripe as stripe_sdk
from sqlalchemy import select

from catalogue.delivery.returns import part_of, refund_return
from catalogue.extensions import db
from catalogue.invoices.totals import before_tax
from catalogue.mail import OutgoingMail
from catalogue.orders.models import Order
from catalogue.payments import ledger
from catalogue.payments.stripe_rail.gateway import StripeGateway
from tests.access_helpers import enrol_two_factor, sign_in
from tests.delivery.carrier_harness import CASES
from tests.delivery.parcel_helpers import (
    HANOI,
    PASSWORD,
    book_both,
    bring_back,
    carrier_calls_back,
    parcel_amount,
    parcel_of,
    seen_by_buyer,
    ship,
    shipping_shelf,
    use_real_carrier,
)
from tests.fakes import WEBHOOK_SECRET, signed
from tests.invoices.invoice_helpers import assert_valid_and_signed, invoices_of
from tests.live import serving
from tests.order_helpers import body
from tests.payments.fakes_stripe import STRIPE_TEST, FakeStripe

CARRIER = CASES[0]  # GHN: carriers are the other return tests' subject; here the rail is


@pytest.fixture
def carrier():
    with CARRIER.make_fake() as server:
        yield server


@pytest.fixture
def stripe():
    with FakeStripe() as server:
        yield server


@pytest.fixture
def shop(app, carrier, stripe):
    """The shop's Stripe gateway (the real SDK) at the fake Stripe, whose events reach the served shop."""
    app.config["PAYMENT_GATEWAY"] = StripeGateway(
        STRIPE_TEST["secret_key"], STRIPE_TEST["publishable_key"], WEBHOOK_SECRET, api_base=stripe.url
    )
    use_real_carrier(app, CARRIER, carrier)
    shelf = shipping_shelf(app)
    with serving(app) as base:
        stripe.webhook_url = f"{base}/webhooks/stripe"
        yield shelf


def _paid_by_card(client, shop, stripe, *lines) -> dict:
    """A card order (by default two jars of miến from the HTX, a bottle from the household), paid by the card."""
    lines = lines or ((shop["mien"], 2), (shop["men_la"], 1))
    wanted = body(*((product.id, quantity) for product, quantity in lines), payment_method="stripe",
                  shipping_address=HANOI)  # fmt: skip
    placed = client.post("/api/v1/orders", json=wanted)
    assert placed.status_code == 201, placed.get_json()
    placed = placed.get_json()
    assert stripe.pay(placed["payment"]["payment_intent_id"]) == 200
    assert _order(placed["code"]).status == "paid"
    return placed


def _shipped(client, shop, stripe) -> tuple[str, object]:
    """A card order of both producers, paid and booked; its code and the HTX's parcel."""
    code = _paid_by_card(client, shop, stripe)["code"]
    book_both(client, shop, code)
    return code, parcel_of(code, shop["htx"])


def _order(code) -> Order:
    db.session.expire_all()
    return db.session.scalar(select(Order).where(Order.code == code))


def _refunds(code) -> list[tuple]:
    order = _order(code)
    return [(row.method, row.amount_vnd, row.state) for row in ledger.rows_of(order.id) if row.kind == "refund"]


def _outcomes(stripe, count: int) -> list[tuple[str, str]]:
    """The last `count` events Stripe sent and what the shop answered each (all 200)."""
    assert all(status == 200 for _, status, _ in stripe.answers[-count:]), stripe.answers
    return [(kind, answer["outcome"]) for kind, _, answer in stripe.answers[-count:]]


def _keys(stripe) -> list[str]:
    """The idempotency key of every refund the shop asked Stripe to create."""
    return [create["idempotency_key"] for create in stripe.refund_creates]


def _adjustments(code) -> dict[int, int]:
    """Each producer's adjustment invoice total (negative: money back)."""
    return {invoice.producer_id: invoice.total_vnd for invoice in invoices_of(code) if invoice.kind == "adjustment"}


def test_a_returned_parcel_is_refunded_once_at_stripe_for_its_lines_and_fee_and_invoiced_for_it(
    empty_client, carrier, stripe, shop
):
    code, parcel = _shipped(empty_client, shop, stripe)

    bring_back(empty_client, CARRIER, carrier, parcel)  # the callback, the same callback again, a poll

    amount = parcel_amount(_order(code), parcel)
    key = f"refund-{code}-{part_of(parcel)}"
    assert [(r["amount"], r["status"], r["metadata"]["request_id"]) for r in stripe.made()] == [
        (amount, "succeeded", key)
    ]
    assert _keys(stripe) == [key]  # asked once, however often the carrier spoke
    assert _refunds(code) == [("stripe", amount, "done")]  # on Stripe's answer
    assert stripe.deliver() == [200, 200]
    assert _outcomes(stripe, 2) == [("refund.created", "duplicate"), ("charge.refunded", "duplicate")]
    assert _refunds(code) == [("stripe", amount, "done")]
    assert _order(code).status == "shipped"  # the other parcel still goes
    assert _adjustments(code) == {shop["htx"].id: -amount}

    refund_return(parcel.id)  # the job again, and the carrier once more
    carrier_calls_back(empty_client, CARRIER, carrier, parcel.tracking_code)

    assert _keys(stripe) == [key] and len(stripe.made()) == 1
    assert _refunds(code) == [("stripe", amount, "done")] and len(invoices_of(code)) == 3


def test_the_second_parcel_returned_later_is_a_second_refund_and_together_they_return_what_was_paid(
    empty_client, carrier, stripe, shop
):
    code, first = _shipped(empty_client, shop, stripe)
    bring_back(empty_client, CARRIER, carrier, first)
    stripe.deliver()
    second = parcel_of(code, shop["home"])

    bring_back(empty_client, CARRIER, carrier, second)
    stripe.deliver()

    order = _order(code)
    amounts = [parcel_amount(order, first), parcel_amount(order, second)]
    assert [refund["amount"] for refund in stripe.made()] == amounts
    assert _keys(stripe) == [f"refund-{code}-{part_of(first)}", f"refund-{code}-{part_of(second)}"]
    assert _outcomes(stripe, 2) == [("refund.created", "duplicate"), ("charge.refunded", "duplicate")]
    assert _refunds(code) == [("stripe", amounts[0], "done"), ("stripe", amounts[1], "done")]
    money = ledger.order_money(order)
    assert money.refunded_vnd == money.received_vnd == order.total_vnd == sum(amounts)
    [charge] = stripe.charges.values()
    assert (charge["amount_refunded"], charge["refunded"]) == (order.total_vnd, True)
    assert _adjustments(code) == {shop["htx"].id: -amounts[0], shop["home"].id: -amounts[1]}


def test_an_order_partly_refunded_before_refunds_and_invoices_only_what_it_still_holds(
    empty_client, carrier, stripe, shop, tmp_path
):
    placed = _paid_by_card(empty_client, shop, stripe, (shop["mien"], 2), (shop["ruou"], 1), (shop["men_la"], 1))
    code = placed["code"]
    book_both(empty_client, shop, code)
    parcel, other = parcel_of(code, shop["htx"]), parcel_of(code, shop["home"])
    order = _order(code)
    before = parcel_amount(order, other) + 40_000  # the office refunded this in Stripe's dashboard
    stripe.refund_outside(placed["payment"]["payment_intent_id"], before)
    stripe.deliver(list(reversed(stripe.queued)))  # charge.refunded first, then the refund itself

    assert _outcomes(stripe, 2) == [("charge.refunded", "unchanged"), ("refund.created", "refunded")]
    assert _refunds(code) == [("stripe", before, "done")]

    bring_back(empty_client, CARRIER, carrier, parcel)
    stripe.deliver()

    held = order.total_vnd - before
    assert held == parcel_amount(order, parcel) - 40_000
    assert [refund["amount"] for refund in stripe.made()] == [before, held]
    assert _refunds(code) == [("stripe", before, "done"), ("stripe", held, "done")]
    assert ledger.order_money(_order(code)).refunded_vnd == order.total_vnd  # never more than was paid
    [adjustment] = [invoice for invoice in invoices_of(code) if invoice.kind == "adjustment"]
    assert (adjustment.producer_id, adjustment.total_vnd) == (shop["htx"].id, -held)
    assert sum(line.gross_vnd for line in adjustment.lines) == -held
    rates = {line.vat_rate for line in adjustment.lines}
    assert rates == {"8%", "10%"}  # miến and the fee at 8 %, rượu at 10 %: each rate its part
    for rate in rates:  # VAT worked out again on what went back, once per rate
        lines = [line for line in adjustment.lines if line.vat_rate == rate]
        assert -sum(line.amount_vnd for line in lines) == before_tax(-sum(line.gross_vnd for line in lines), rate)
    assert adjustment.before_tax_vnd + adjustment.tax_vnd == -held
    assert_valid_and_signed(adjustment, tmp_path)

    bring_back(empty_client, CARRIER, carrier, other)  # nothing is left to give back for it

    assert len(stripe.made()) == 2 and len(stripe.refund_creates) == 2
    assert _refunds(code) == [("stripe", before, "done"), ("stripe", held, "done")]
    # Every parcel came back and all the money went back: the order is refunded, and the household's invoice,
    # whose money went back in the dashboard, is adjusted to nothing with it (the HTX's stays as its return made it).
    assert _order(code).status == "refunded"
    assert _adjustments(code) == {shop["htx"].id: -held, shop["home"].id: -parcel_amount(order, other)}


def _money_desk(app) -> str:
    """The office's payments page (its refunds to make by hand), signed in with its second factor."""
    enrol_two_factor("office@example.com")
    client = app.test_client()
    assert sign_in(client, "office@example.com", PASSWORD).status_code == 303
    return client.get("/portal/admin/payments/").get_data(as_text=True)


def test_a_refund_stripe_answers_failed_is_the_offices_on_the_money_desk_never_asked_again(
    app, empty_client, carrier, stripe, shop
):
    code, parcel = _shipped(empty_client, shop, stripe)
    stripe.refund_status = "failed"

    bring_back(empty_client, CARRIER, carrier, parcel)
    stripe.deliver()

    amount = parcel_amount(_order(code), parcel)
    assert _refunds(code) == [("stripe", amount, "due")]
    assert _outcomes(stripe, 1) == [("refund.created", "unchanged")]
    assert len(stripe.refund_creates) == 1
    assert _adjustments(code) == {shop["htx"].id: -amount}  # still owed: the office returns it
    desk = _money_desk(app)
    assert code in desk and "Stripe không hoàn được, cần hoàn tay" in desk


def test_a_refund_that_fails_after_it_succeeded_goes_back_to_the_office_once(app, empty_client, carrier, stripe, shop):
    code, parcel = _shipped(empty_client, shop, stripe)
    bring_back(empty_client, CARRIER, carrier, parcel)
    stripe.deliver()
    [made] = stripe.made()
    assert _refunds(code) == [("stripe", made["amount"], "done")]

    stripe.fail(made["id"])  # the card was closed: the money came back to the shop's balance
    failed = list(stripe.queued)
    stripe.deliver()
    stripe.deliver(failed)  # Stripe sends it again
    stripe.deliver([stripe._event("refund.updated", {**made, "status": "succeeded"})])  # a late, older word

    assert _outcomes(stripe, 3) == [
        ("refund.failed", "unchanged"),
        ("refund.failed", "duplicate"),
        ("refund.updated", "duplicate"),
    ]
    assert _refunds(code) == [("stripe", made["amount"], "due")]
    assert ledger.order_money(_order(code)).refunded_vnd == 0
    assert code in _money_desk(app)
    assert len(stripe.refund_creates) == 1


@pytest.mark.parametrize("status", ["succeeded", "pending"])
def test_stripes_events_before_its_answer_record_the_refund_once(empty_client, carrier, stripe, shop, status):
    code, parcel = _shipped(empty_client, shop, stripe)
    stripe.refund_status, stripe.events_first = status, True

    bring_back(empty_client, CARRIER, carrier, parcel)  # Stripe's events reach the shop before its answer

    amount = parcel_amount(_order(code), parcel)
    [made] = stripe.made()
    if status == "pending":
        assert _outcomes(stripe, 1) == [("refund.created", "refund_pending")]
        assert _refunds(code) == [("stripe", amount, "requested")]
        stripe.settle(made["id"])
        stripe.deliver()
        assert _outcomes(stripe, 2) == [("refund.updated", "refunded"), ("charge.refunded", "duplicate")]
    else:
        assert _outcomes(stripe, 2) == [("refund.created", "refunded"), ("charge.refunded", "duplicate")]
    assert _refunds(code) == [("stripe", amount, "done")]
    assert len(stripe.refund_creates) == 1
    assert _adjustments(code) == {shop["htx"].id: -amount}


def test_a_refund_whose_answer_was_lost_is_never_asked_again_and_its_event_finishes_it(
    empty_client, carrier, stripe, shop
):
    code, parcel = _shipped(empty_client, shop, stripe)
    stripe.lose_next_answers = 1  # Stripe makes the refund; the shop hears a 500

    bring_back(empty_client, CARRIER, carrier, parcel)

    amount = parcel_amount(_order(code), parcel)
    assert _refunds(code) == [("stripe", amount, "due")]  # for the office, until Stripe says
    assert len(stripe.refund_creates) == 1
    stripe.deliver()
    assert _outcomes(stripe, 2) == [("refund.created", "refunded"), ("charge.refunded", "duplicate")]
    assert _refunds(code) == [("stripe", amount, "done")]
    assert len(stripe.made()) == 1


def test_a_refund_asked_again_after_the_process_stopped_is_found_at_stripe_not_made_twice(
    app, empty_client, carrier, stripe, shop, monkeypatch
):
    code, parcel = _shipped(empty_client, shop, stripe)
    gateway = app.extensions["payment_gateway"]
    real = gateway.refund

    def answered_then_stopped(*args, **kwargs):
        real(*args, **kwargs)
        raise SystemExit("the process stopped once Stripe had answered")

    monkeypatch.setattr(gateway, "refund", answered_then_stopped)
    with pytest.raises(SystemExit):
        bring_back(empty_client, CARRIER, carrier, parcel)
    monkeypatch.undo()
    assert _refunds(code) == [("stripe", parcel_amount(_order(code), parcel), "requested")]
    stripe.idempotent.clear()  # and Stripe has forgotten the key (it keeps them 24 hours)

    carrier_calls_back(empty_client, CARRIER, carrier, parcel.tracking_code)

    assert len(stripe.refund_creates) == 1 and len(stripe.made()) == 1
    assert _refunds(code) == [("stripe", parcel_amount(_order(code), parcel), "done")]


def test_an_order_whose_only_parcel_came_back_is_refunded_when_stripe_settles_it_and_the_buyer_is_mailed_once(
    app, empty_client, carrier, stripe, shop, smtp_server
):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    placed = _paid_by_card(empty_client, shop, stripe, (shop["mien"], 2))
    code = placed["code"]
    answer = ship(empty_client, code, parcel_of(code, shop["htx"]).id, shop["tokens"]["htx"])
    assert answer.get_json()["status"] == "booked", answer.get_json()
    stripe.refund_status = "pending"  # Stripe takes it; its refund.updated says when the money went back

    bring_back(empty_client, CARRIER, carrier, parcel_of(code, shop["htx"]))
    stripe.deliver()

    seen = seen_by_buyer(empty_client, placed)
    total = seen["total_vnd"]
    assert seen["status"] == "refund_pending"
    assert _refunds(code) == [("stripe", total, "requested")]
    assert _mail_kinds(code).count("returned") == 1 and "cancelled" not in _mail_kinds(code)

    [made] = stripe.made()
    stripe.settle(made["id"])
    stripe.deliver()
    carrier_calls_back(empty_client, CARRIER, carrier, parcel_of(code, shop["htx"]).tracking_code)  # once more

    seen = seen_by_buyer(empty_client, placed)
    assert seen["status"] == "refunded"
    assert [step["to_status"] for step in seen["history"]][-3:] == ["shipped", "refund_pending", "refunded"]
    assert (seen["money"]["refunded_vnd"], seen["money"]["to_return_vnd"]) == (total, 0)
    assert _refunds(code) == [("stripe", total, "done")] and len(stripe.refund_creates) == 1
    assert _mail_kinds(code).count("returned") == 1 and "cancelled" not in _mail_kinds(code)
    assert _adjustments(code) == {shop["htx"].id: -total}  # the return's; the order's refund adds none
    app.config.update(MAIL_SERVER=None)


def _mail_kinds(code) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutgoingMail.kind).where(OutgoingMail.order_code == code)))


# --- localstripe: what it supports ---------------------------------------------------------------------


@pytest.fixture
def on_localstripe(stripe_app, carrier):
    use_real_carrier(stripe_app, CARRIER, carrier)
    shelf = shipping_shelf(stripe_app)
    api = stripe_sdk.StripeClient("sk_test_local", base_addresses={"api": stripe_app.config["STRIPE_API_BASE"]})
    return {**shelf, "api": api}


def test_at_localstripe_a_returned_parcel_is_a_partial_refund_of_its_amount_made_once(
    stripe_app, carrier, on_localstripe
):
    """localstripe refunds an `amount` (it takes metadata, checks no limit, ignores Idempotency-Key and sends no
    refund events): the one refund is made once because the shop finds it by its request id before asking."""
    client, shop, api = stripe_app.test_client(), on_localstripe, on_localstripe["api"]
    lines = body((shop["mien"].id, 2), (shop["men_la"].id, 1), payment_method="stripe", shipping_address=HANOI)
    placed = client.post("/api/v1/orders", json=lines).get_json()
    code, intent = placed["code"], placed["payment"]["payment_intent_id"]
    card = api.v1.payment_methods.create(
        params={"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}
    )
    api.v1.payment_intents.update(intent, params={"payment_method": card.id})
    api.v1.payment_intents.confirm(intent)
    _wait_paid(code)
    book_both(client, shop, code)
    parcel = parcel_of(code, shop["htx"])

    bring_back(client, CARRIER, carrier, parcel)
    carrier_calls_back(client, CARRIER, carrier, parcel.tracking_code)

    amount = parcel_amount(_order(code), parcel)
    [refund] = api.v1.refunds.list(params={"payment_intent": intent}).data
    key = f"refund-{code}-{part_of(parcel)}"
    assert (refund.amount, refund.status, refund.metadata["request_id"]) == (amount, "succeeded", key)
    charge = api.v1.payment_intents.retrieve(intent).latest_charge  # localstripe expands it
    assert charge.amount_refunded == amount
    assert _refunds(code) == [("stripe", amount, "done")]
    payload, signature = signed({"id": "evt_l1", "object": "event", "type": "refund.created",
                                 "data": {"object": refund.to_dict()}})  # fmt: skip
    answer = client.post("/webhooks/stripe", data=payload, headers={"Stripe-Signature": signature})
    assert answer.get_json() == {"received": True, "outcome": "duplicate"}
    assert _adjustments(code) == {shop["htx"].id: -amount}


def _wait_paid(code, seconds=10):
    deadline = time.monotonic() + seconds
    while _order(code).status != "paid":
        assert time.monotonic() < deadline, "localstripe's payment_intent.succeeded never came"
        time.sleep(0.1)
