"""Live selling: who manages a session, the live price only inside its window, caps per buyer, orders carrying
the session, the stock endpoint and stream over a served app, and the producer's figures."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select, update

from catalogue import clock
from catalogue.errors import InvalidInput, NotFound
from catalogue.extensions import db
from catalogue.live import services as live
from catalogue.live.models import LiveSession
from catalogue.orders.models import Order
from catalogue.products.models import Product
from catalogue.products.stock import take_stock
from tests.access_helpers import cast, portal_client
from tests.live import serving
from tests.live_selling.live_helpers import OFFICE, buy_now, order_code, producer, session_for
from tests.payments.rail_helpers import use_rails
from tests.storefront_helpers import csrf_token

LIVE_PRICE = 60_000  # the cast's miến is 85 000 ₫


@pytest.fixture
def world(app):
    use_rails(app)
    return cast()


def _order(code: str) -> Order:
    db.session.expire_all()
    return db.session.scalar(select(Order).where(Order.code == code))


# --- who manages what ---------------------------------------------------------------------------------------------


def test_a_producer_manages_only_its_own_sessions_and_pins_only_its_own_products(world):
    owner, other = producer(world["owner_producer"].id), producer(world["other_producer"].id)
    mine = session_for(owner, [(world["product"].id, LIVE_PRICE, 2)])
    assert mine.producer_id == world["owner_producer"].id and len(mine.code) == 6
    assert live.managed_session(owner, mine.id).id == mine.id
    with pytest.raises(NotFound):
        live.managed_session(other, mine.id)
    assert live.sessions_for(other) == []
    assert [found.id for found in live.sessions_for(OFFICE)] == [mine.id]
    with pytest.raises(InvalidInput) as refused:
        session_for(owner, [(world["other_product"].id, None, None)])
    assert "pins" in refused.value.errors
    # The office pins any producer's products.
    assert len(session_for(OFFICE, [(world["product"].id, None, None), (world["other_product"].id, None, 1)]).pins) == 2


@pytest.mark.parametrize("price", [0, -5, 85_001])
def test_a_live_price_is_above_zero_and_never_above_the_price(world, price):
    with pytest.raises(InvalidInput):
        session_for(producer(world["owner_producer"].id), [(world["product"].id, price, None)])
    assert db.session.scalar(select(LiveSession.id)) is None


def test_the_portal_shows_a_session_only_to_its_producer_and_the_office(app, world):
    mine = session_for(producer(world["owner_producer"].id), [(world["product"].id, LIVE_PRICE, 2)])
    assert portal_client(app, world, "other_producer").get(f"/portal/live/{mine.id}").status_code == 404
    for role in ("owner", "admin"):
        page = portal_client(app, world, role).get(f"/portal/live/{mine.id}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert f"/live/{mine.code}" in html and "<svg" in html  # the short link and its QR


def test_a_producer_creates_a_session_through_the_portal(app, world):
    client = portal_client(app, world, "owner")
    token = csrf_token(client, "/portal/live/new")
    form = {"csrf_token": token, "title": "Live tối thứ Sáu", "starts_at": "2030-01-10T20:00",
            "ends_at": "2030-01-10T21:30", "pin": [str(world["product"].id), str(world["other_product"].id)],
            f"price_{world['product'].id}": "60.000", f"cap_{world['product'].id}": "2"}  # fmt: skip
    refused = client.post("/portal/live/new", data=form)
    assert refused.status_code == 422  # the other producer's product is not the owner's to pin
    assert db.session.scalar(select(LiveSession.id)) is None
    form["pin"] = [str(world["product"].id)]
    saved = client.post("/portal/live/new", data=form)
    assert saved.status_code == 303
    found = db.session.scalar(select(LiveSession))
    assert found.producer_id == world["owner_producer"].id
    assert [(pin.product_id, pin.live_price_vnd, pin.cap_per_buyer) for pin in found.pins] == [
        (world["product"].id, 60_000, 2)
    ]
    assert client.get(f"/portal/live/{found.id}/qr.svg").mimetype == "image/svg+xml"


# --- the live price and the order ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("window", "price"), [("before", 85_000), ("open", LIVE_PRICE), ("after", 85_000)])
def test_the_live_price_holds_only_inside_the_window_and_the_order_carries_the_session(app, world, window, price):
    found = session_for(producer(world["owner_producer"].id), [(world["product"].id, LIVE_PRICE, None)], window)
    page = app.test_client().get(f"/live/{found.code}").get_data(as_text=True)
    assert ("60.000" in page) == (window == "open")
    client = app.test_client()
    placed = buy_now(client, found.code, world["product"].id, 2)
    assert placed.status_code == 303, placed.get_data(as_text=True)
    order = _order(order_code(placed.headers["Location"]))
    assert order.live_session_id == found.id
    assert order.payment_method == "vietqr"
    assert [(line.unit_price_vnd, line.line_total_vnd) for line in order.lines] == [(price, 2 * price)]
    assert order.subtotal_vnd == 2 * price


def test_a_checkout_without_the_browsers_marker_gets_no_live_price(app, world):
    found = session_for(producer(world["owner_producer"].id), [(world["product"].id, LIVE_PRICE, None)])
    stranger = app.test_client()
    token = csrf_token(stranger, f"/products/{world['product'].slug}")
    stranger.post("/cart/add", data={"product_id": world["product"].id, "quantity": 1, "csrf_token": token})
    token = csrf_token(stranger, f"/checkout?live={found.code}")
    from tests.live_selling.live_helpers import FORM

    placed = stranger.post(f"/checkout?live={found.code}", data={**FORM, "csrf_token": token,
                                                                 "unit_price_vnd": "1000"})  # fmt: skip
    order = _order(order_code(placed.headers["Location"]))
    assert order.live_session_id is None
    assert order.lines[0].unit_price_vnd == 85_000


def test_the_session_closing_between_buy_now_and_placing_takes_the_live_price_away(app, world):
    found = session_for(producer(world["owner_producer"].id), [(world["product"].id, LIVE_PRICE, None)])
    client = app.test_client()
    token = csrf_token(client, f"/live/{found.code}")
    client.post(f"/live/{found.code}/buy", data={"csrf_token": token, "product_id": world["product"].id,
                                                 "quantity": 1})  # fmt: skip
    page = client.get(f"/checkout?live={found.code}").get_data(as_text=True)
    assert "60.000" in page
    closing = db.session.get(LiveSession, found.id)
    closing.ends_at = clock.now() - timedelta(seconds=1)  # it ended while the buyer typed
    db.session.commit()
    from tests.live_selling.live_helpers import FORM

    token = csrf_token(client, f"/checkout?live={found.code}")
    placed = client.post(f"/checkout?live={found.code}", data={**FORM, "csrf_token": token})
    order = _order(order_code(placed.headers["Location"]))
    assert order.lines[0].unit_price_vnd == 85_000 and order.live_session_id == found.id


def test_a_cap_per_buyer_counts_the_buyers_orders_by_email_or_phone(app, world):
    found = session_for(producer(world["owner_producer"].id), [(world["product"].id, LIVE_PRICE, 2)])
    first = buy_now(app.test_client(), found.code, world["product"].id, 2)
    assert first.status_code == 303
    again = buy_now(app.test_client(), found.code, world["product"].id, 1, email="khac@example.com")
    assert again.status_code == 422  # the same phone
    assert "tối đa 2" in again.get_data(as_text=True)
    other = buy_now(app.test_client(), found.code, world["product"].id, 1, email="an@example.com", phone="0987654321")
    assert other.status_code == 303
    assert db.session.scalar(select(Product.stock).where(Product.id == world["product"].id)) == 10 - 3


# --- the stock endpoint and the stream ----------------------------------------------------------------------------


def test_stock_json_answers_the_pins_stock(app, world):
    found = session_for(producer(world["owner_producer"].id), [(world["product"].id, LIVE_PRICE, None)])
    answer = app.test_client().get(f"/live/{found.code}/stock.json")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    assert answer.get_json()["products"][str(world["product"].id)]["stock"] == 10
    assert app.test_client().get("/live/nope99/stock.json").status_code == 404


def _events(response):
    """Server-sent events as (event, data) pairs, read off a streaming response."""
    name, data = None, []
    for line in response.iter_lines(decode_unicode=True):
        if line == "":
            if data:
                yield name, json.loads("\n".join(data))
            name, data = None, []
        elif line.startswith("event:"):
            name = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            data.append(line.split(":", 1)[1].strip())


def test_the_stream_pushes_a_sale_to_open_pages(app, world):
    app.config.update(LIVE_POLL_SECONDS=0.2, LIVE_STREAM_SECONDS=20)
    found = session_for(producer(world["owner_producer"].id), [(world["product"].id, LIVE_PRICE, None)])
    product_id = str(world["product"].id)
    with serving(app) as base:
        streams = [requests.get(f"{base}/live/{found.code}/events", stream=True, timeout=10) for _ in range(3)]
        readers = [_events(stream) for stream in streams]
        for stream, reader in zip(streams, readers, strict=True):
            assert stream.headers["Content-Type"].startswith("text/event-stream")
            name, data = next(reader)
            assert name == "stock" and data["products"][product_id]["stock"] == 10
        with app.app_context():
            assert take_stock(world["product"].id, 3)
            db.session.commit()
        sold_at = time.monotonic()
        for reader in readers:
            name, data = next(reader)
            assert name == "stock" and data["products"][product_id]["stock"] == 7
        assert time.monotonic() - sold_at < 3
        for stream in streams:
            stream.close()


def test_the_stream_opens_with_every_pins_stock(app, world):
    app.config.update(LIVE_POLL_SECONDS=0.2, LIVE_STREAM_SECONDS=1)
    found = session_for(producer(world["owner_producer"].id), [(world["product"].id, LIVE_PRICE, None)])
    with serving(app) as base, requests.get(f"{base}/live/{found.code}/events", stream=True, timeout=10) as stream:
        name, data = next(_events(stream))
        assert name == "stock" and data["products"][str(world["product"].id)]["stock"] == 10
        started = time.monotonic()
        list(_events(stream))  # the stream ends by itself after LIVE_STREAM_SECONDS
        assert time.monotonic() - started < 5


# --- figures --------------------------------------------------------------------------------------------------------


def test_the_producer_sees_the_sessions_figures(app, world):
    found = session_for(producer(world["owner_producer"].id), [(world["product"].id, LIVE_PRICE, None)])
    for _ in range(3):
        app.test_client().get(f"/live/{found.code}")
    paid = buy_now(app.test_client(), found.code, world["product"].id, 2)
    unpaid = buy_now(app.test_client(), found.code, world["product"].id, 1, email="an@example.com",
                     phone="0987654321")  # fmt: skip
    assert paid.status_code == unpaid.status_code == 303
    db.session.execute(update(Order).where(Order.code == order_code(paid.headers["Location"])).values(status="paid"))
    db.session.commit()
    db.session.expire_all()
    figures = live.figures(db.session.get(LiveSession, found.id), world["owner_producer"].id)
    assert figures.visits >= 3 + 2  # three views, and each buyer's page
    assert (figures.orders, figures.units, figures.revenue_vnd) == (1, 2, 2 * LIVE_PRICE)
    assert (figures.reached_checkout, figures.not_paid) == (2, 1)
    assert [(item.name, item.units) for item in figures.by_product] == [(world["product"].name, 2)]
    # The other producer's view of an office session mixing both counts only its own lines.
    assert live.figures(db.session.get(LiveSession, found.id), world["other_producer"].id).units == 0
    html = portal_client(app, world, "owner").get(f"/portal/live/{found.id}").get_data(as_text=True)
    assert 'data-testid="figure-revenue">120.000' in html
