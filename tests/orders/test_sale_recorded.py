"""`sale_recorded`: a shop order paid and a marketplace sale recorded each tell their subscribers once, after commit.

The consumer wired by create_app is the units-sold counter (catalogue.observability); the sales rollup
keeps its flush listener (catalogue.reports.rollup says why).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from prometheus_client import REGISTRY

from catalogue import events
from catalogue.extensions import db
from catalogue.orders.models import Order
from tests.access_helpers import auth, cast
from tests.fakes import intent_event, signed
from tests.order_helpers import body, shelf


def _units_sold(channel: str) -> float:
    return REGISTRY.get_sample_value("catalogue_units_sold_total", {"channel": channel}) or 0.0


def _committed_status(code: str) -> str | None:
    with db.engine.connect() as other_connection:  # outside the service's session: only committed rows
        return other_connection.scalar(sa.select(Order.status).where(Order.code == code))


@pytest.fixture
def told(app):
    """Every SaleRecorded, with the committed status of its shop order at that moment."""
    heard = []
    events.subscribe(app, events.SaleRecorded, lambda event: heard.append((event, _committed_status(event.sale_key))))
    return heard


def _pay(client, order, event_id):
    intent = order["payment"]["payment_intent_id"]
    payload, signature = signed(intent_event(event_id, "succeeded", intent, order["code"], amount=order["total_vnd"]))
    return client.post("/webhooks/stripe", data=payload, headers={"Stripe-Signature": signature})


def test_a_shop_order_paid_is_one_sale_of_its_products_told_after_commit(empty_client, told):
    products = shelf()
    mien, tea = products["mien"].id, products["last3"].id
    placed = empty_client.post("/api/v1/orders", json=body((tea, 1), (mien, 2))).get_json()
    before = _units_sold("shop")
    assert told == []  # placing an order sells nothing yet

    assert _pay(empty_client, placed, "evt_sale_1").get_json()["outcome"] == "paid"
    _pay(empty_client, placed, "evt_sale_1")  # Stripe delivers it again
    _pay(empty_client, placed, "evt_sale_2")  # another event for the same money: no second sale

    assert told == [(events.SaleRecorded("shop", placed["code"], tuple(sorted([(mien, 2), (tea, 1)]))), "paid")]
    assert _units_sold("shop") - before == 3


def test_a_marketplace_sale_is_told_once_without_its_unknown_skus(app, empty_client, told):
    world = cast()
    token, url = world["tokens"]["sync_token"], "/api/v1/marketplaces/shopee/orders"
    sale = {
        "external_order_id": "SHP-2611-0042",
        "lines": [{"sku": world["product"].sku, "quantity": 2}, {"sku": "QN-XX-9999", "quantity": 5}],
    }
    before = _units_sold("shopee")

    first = empty_client.post(url, json=sale, headers=auth(token))
    again = empty_client.post(url, json=sale, headers=auth(token))
    other = empty_client.post(url, json={**sale, "lines": sale["lines"][:1]}, headers=auth(token))

    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 409)
    assert [event for event, _ in told] == [events.SaleRecorded("shopee", "SHP-2611-0042", ((world["product"].id, 2),))]
    assert _units_sold("shopee") - before == 2
