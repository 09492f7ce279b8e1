"""Carrier callbacks (GHN, Viettel Post fakes) move parcels only once the carrier's API confirms them: forged,
malformed, replayed, out of order or unconfirmed callbacks change nothing, an unknown parcel is acknowledged;
the order is delivered once every parcel is; parcels whose callbacks stopped are polled; a returned parcel
gives its stock back and flags its refund once."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from markupsafe import escape
from sqlalchemy import select

from catalogue import clock
from catalogue.carriers.port import BOOKED, DELIVERED, IN_TRANSIT, PICKED_UP, RETURNED, InboundCall
from catalogue.delivery.tracking import poll_quiet
from catalogue.extensions import db
from catalogue.orders.models import Order
from catalogue.payments import ledger
from tests.delivery.carrier_harness import WEBHOOK_TOKEN
from tests.delivery.parcel_helpers import paid_two_producer_order, parcel_of, ship, shipping_shelf, use_real_carrier
from tests.order_helpers import stock_of


@pytest.fixture
def shop(app, case, fake):
    use_real_carrier(app, case, fake)
    return shipping_shelf(app)


@pytest.fixture
def booked(empty_client, shop):
    """A paid order of two producers whose parcels are both booked with the carrier."""
    placed = paid_two_producer_order(empty_client, shop)
    code = placed["code"]
    for producer, token in ((shop["htx"], "htx"), (shop["home"], "home")):
        answer = ship(empty_client, code, parcel_of(code, producer).id, shop["tokens"][token])
        assert answer.get_json()["status"] == BOOKED, answer.get_json()
    return placed


def _send(client, case, call: InboundCall):
    return client.post(f"/webhooks/{case.name}", query_string=dict(call.args), data=call.body,
                       headers={"Content-Type": "application/json"})  # fmt: skip


def _move(client, case, fake, parcel, status: str, token: str = WEBHOOK_TOKEN):
    """The carrier moves the parcel to the shop's `status` and calls back."""
    fake.set_status(parcel.tracking_code, case.native[status])
    return _send(client, case, case.callback(fake, parcel.tracking_code, token))


def _status(code, producer) -> str:
    return parcel_of(code, producer).status


def _order_status(code: str) -> str:
    db.session.expire_all()
    return db.session.scalar(select(Order.status).where(Order.code == code))


def test_a_confirmed_callback_moves_the_parcel_and_a_replay_changes_nothing(app, empty_client, case, fake, shop,
                                                                            booked):  # fmt: skip
    code, parcel = booked["code"], parcel_of(booked["code"], shop["htx"])

    answer = _move(empty_client, case, fake, parcel, PICKED_UP)

    assert answer.status_code == 200 and answer.get_json()["outcome"] == "applied"
    assert _status(code, shop["htx"]) == PICKED_UP
    events = [(event.status, event.source) for event in parcel_of(code, shop["htx"]).events]
    assert events[-1] == (PICKED_UP, "callback")
    replay = _send(empty_client, case, case.callback(fake, parcel.tracking_code, WEBHOOK_TOKEN))
    assert replay.status_code == 200 and replay.get_json()["outcome"] == "unchanged"
    assert len(parcel_of(code, shop["htx"]).events) == len(events)


@pytest.mark.parametrize("token", ["wrong-token", ""])
def test_a_forged_callback_is_refused_and_the_carrier_is_not_even_asked(app, empty_client, case, fake, shop, booked,
                                                                        token):  # fmt: skip
    parcel = parcel_of(booked["code"], shop["htx"])
    fake.set_status(parcel.tracking_code, case.native[DELIVERED])
    calls = fake.api_calls

    answer = _send(empty_client, case, case.callback(fake, parcel.tracking_code, token))

    assert answer.status_code == 401
    assert fake.api_calls == calls and _status(booked["code"], shop["htx"]) == BOOKED


def test_a_malformed_callback_after_authentication_is_a_400(app, empty_client, case, fake, shop, booked):
    if case.name == "ghn":
        call = InboundCall({"token": WEBHOOK_TOKEN}, {}, b'{"Status": "delivered"}')
    else:
        call = InboundCall({}, {}, json.dumps({"TOKEN": WEBHOOK_TOKEN, "DATA": "nothing"}).encode())

    answer = _send(empty_client, case, call)

    assert answer.status_code == 400
    assert _status(booked["code"], shop["htx"]) == BOOKED


def test_a_callback_the_carriers_api_does_not_confirm_is_only_a_hint(app, empty_client, case, fake, shop, booked):
    parcel = parcel_of(booked["code"], shop["htx"])
    fake.set_status(parcel.tracking_code, case.native[PICKED_UP])  # what the carrier's API says
    if case.name == "ghn":  # a callback claiming delivery (a forger who knows the token, or a stale queue)
        body = fake.callback_body(parcel.tracking_code, status=case.native[DELIVERED])
        call = InboundCall({"token": WEBHOOK_TOKEN}, {}, json.dumps(body).encode())
    else:
        body = fake.callback_body(parcel.tracking_code, WEBHOOK_TOKEN, status=case.native[DELIVERED])
        call = InboundCall({}, {}, json.dumps(body).encode())

    assert _send(empty_client, case, call).status_code == 200

    assert _status(booked["code"], shop["htx"]) == PICKED_UP  # the API's truth, not the callback's claim


def test_a_late_callback_never_moves_a_parcel_backwards(app, empty_client, case, fake, shop, booked):
    code, parcel = booked["code"], parcel_of(booked["code"], shop["htx"])
    assert _move(empty_client, case, fake, parcel, DELIVERED).get_json()["outcome"] == "applied"

    late = _move(empty_client, case, fake, parcel, IN_TRANSIT)  # out of order: an older step arrives last

    assert late.status_code == 200 and late.get_json()["outcome"] == "unchanged"
    assert _status(code, shop["htx"]) == DELIVERED


def test_a_callback_for_an_unknown_parcel_is_acknowledged(app, empty_client, case, fake, shop, booked):
    parcel = parcel_of(booked["code"], shop["htx"])
    genuine = case.callback(fake, parcel.tracking_code, WEBHOOK_TOKEN)
    body = json.loads(genuine.body)  # the same callback about a code and reference the shop never stored
    if case.name == "ghn":
        body.update(OrderCode="GHNUNKNOWN1", ClientOrderCode="P-NOT-OURS")
    else:
        body["DATA"].update(ORDER_NUMBER="VTPUNKNOWN1", ORDER_REFERENCE="P-NOT-OURS")
    calls = fake.api_calls

    answer = _send(empty_client, case, InboundCall(genuine.args, {}, json.dumps(body).encode()))

    assert answer.status_code == 200 and answer.get_json()["outcome"] == "unknown_parcel"
    assert fake.api_calls == calls and _status(booked["code"], shop["htx"]) == BOOKED


def test_the_order_is_delivered_once_every_parcel_is_and_the_buyer_sees_it(app, empty_client, case, fake, shop,
                                                                           booked):  # fmt: skip
    code = booked["code"]
    _move(empty_client, case, fake, parcel_of(code, shop["htx"]), DELIVERED)
    assert _order_status(code) == "shipped"

    _move(empty_client, case, fake, parcel_of(code, shop["home"]), DELIVERED)

    assert _order_status(code) == "delivered"
    page = empty_client.get(f"/orders/{code}?token={booked['access_token']}", follow_redirects=True).get_data(
        as_text=True
    )
    assert page.count("Đã giao hàng") >= 2
    tracking = parcel_of(code, shop["htx"]).tracking_code
    link = app.config["CARRIERS"].get(case.name).tracking_url(tracking)
    assert f'href="{escape(link)}"' in page  # each parcel's tracking link on the carrier's site


def test_parcels_whose_callbacks_stopped_are_read_back(app, empty_client, case, fake, shop, booked):
    code, parcel = booked["code"], parcel_of(booked["code"], shop["htx"])
    fake.set_status(parcel.tracking_code, case.native[IN_TRANSIT])  # no callback was sent

    assert poll_quiet(clock.now()) == {}  # the carrier spoke a moment ago (the booking)
    outcomes = poll_quiet(clock.now() + timedelta(hours=7))

    assert outcomes.get("applied") == 1
    assert _status(code, shop["htx"]) == IN_TRANSIT
    assert parcel_of(code, shop["htx"]).events[-1].source == "poll"


def test_a_returned_parcel_gives_its_stock_back_and_flags_its_refund_once(app, empty_client, case, fake, shop,
                                                                          booked):  # fmt: skip
    code, parcel = booked["code"], parcel_of(booked["code"], shop["htx"])
    stock = stock_of(shop["mien"])

    _move(empty_client, case, fake, parcel, RETURNED)
    _send(empty_client, case, case.callback(fake, parcel.tracking_code, WEBHOOK_TOKEN))  # replayed
    poll_quiet(clock.now() + timedelta(hours=7))

    assert _status(code, shop["htx"]) == RETURNED
    assert stock_of(shop["mien"]) == stock + 2  # its two bags, once
    order = db.session.scalar(select(Order).where(Order.code == code))
    refunds = [row for row in ledger.rows_of(order.id) if row.kind == "refund"]
    parcel = parcel_of(code, shop["htx"])
    lines = sum(line.line_total_vnd for line in order.lines if line.producer_id == shop["htx"].id)
    assert [(row.amount_vnd, row.state) for row in refunds] == [(lines + parcel.fee_vnd, "due")]
    assert stock_of(shop["men_la"]) == 200 - 1  # the other producer's parcel is untouched


def test_carrier_and_payment_rail_names_never_collide_on_the_webhooks_route():
    from catalogue.carriers import registry as carriers
    from catalogue.payments import registry as rails

    assert not set(carriers.NAMES) & set(rails.NAMES)
    assert not set(carriers.NAMES) & {"stripe", "bank-transfer", "shopee", "lazada", "tiktok"}
