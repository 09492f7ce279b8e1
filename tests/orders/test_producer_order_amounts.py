"""A producer reading an order it shares with another producer sees only its own lines' amounts (issue 22).

Before, the API gave it the whole order's subtotal, shipping, total and ledger: what the other
producer sold, by difference. The portal's order list already shows only the producer's lines.
"""

from __future__ import annotations

import pytest

from tests.access_helpers import auth, cast, portal_client
from tests.order_helpers import body


@pytest.fixture
def shop(app, empty_client):
    world = cast()
    order = empty_client.post(
        "/api/v1/orders", json=body((world["product"].id, 2), (world["other_product"].id, 1))
    ).get_json()
    return world, order


def _numbers(value) -> set[int]:
    if isinstance(value, bool):
        return set()
    if isinstance(value, int):
        return {value}
    if isinstance(value, dict):
        return set().union(*(_numbers(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(_numbers(item) for item in value))
    return set()


def test_a_producer_sees_its_own_lines_amounts_not_the_orders(empty_client, shop):
    world, order = shop
    url = f"/api/v1/orders/{order['code']}"

    mine = empty_client.get(url, headers=auth(world["tokens"]["owner"])).get_json()
    theirs = empty_client.get(url, headers=auth(world["tokens"]["other_producer"])).get_json()
    office = empty_client.get(url, headers=auth(world["tokens"]["admin"])).get_json()

    assert (mine["subtotal_vnd"], mine["total_vnd"], mine["money"]["total_vnd"]) == (170000, 170000, 170000)
    assert (theirs["subtotal_vnd"], theirs["total_vnd"]) == (120000, 120000)
    assert mine["shipping_fee_vnd"] == 0 and theirs["shipping_fee_vnd"] == 0
    assert office["total_vnd"] == order["total_vnd"] and office["subtotal_vnd"] == 290000
    order_wide = {order["total_vnd"], order["subtotal_vnd"]} - {170000, 120000}
    assert not (_numbers(mine) & order_wide) and not (_numbers(theirs) & order_wide)


def test_the_portal_order_list_shows_only_the_producers_lines(app, empty_client, shop):
    from catalogue.extensions import db
    from catalogue.orders.models import Order

    world, order = shop
    db.session.get(Order, db.session.query(Order.id).filter_by(code=order["code"]).scalar()).status = "paid"
    db.session.commit()

    page = portal_client(app, world, "owner").get("/portal/orders").get_data(as_text=True)

    assert world["product"].sku in page and world["other_product"].sku not in page
    assert "290.000" not in page and "120.000" not in page
