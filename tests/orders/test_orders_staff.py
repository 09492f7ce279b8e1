"""Producers read the orders that contain their products (their lines only); the OCOP office cancels."""

import pytest

from catalogue.extensions import db
from catalogue.orders.models import Order
from tests.access_helpers import auth, cast
from tests.order_helpers import body, stock_of


@pytest.fixture
def shop(app, empty_client):
    world = cast()
    order = empty_client.post(
        "/api/v1/orders", json=body((world["product"].id, 2), (world["other_product"].id, 1))
    ).get_json()
    return world, order


def test_each_producer_sees_only_its_lines(empty_client, shop):
    world, order = shop
    url = f"/api/v1/orders/{order['code']}"

    mine = empty_client.get(url, headers=auth(world["tokens"]["owner"])).get_json()
    theirs = empty_client.get(url, headers=auth(world["tokens"]["other_producer"])).get_json()
    everything = empty_client.get(url, headers=auth(world["tokens"]["admin"])).get_json()

    assert [line["sku"] for line in mine["lines"]] == [world["product"].sku]
    assert [line["sku"] for line in theirs["lines"]] == [world["other_product"].sku]
    assert len(everything["lines"]) == 2
    assert "access_token" not in mine and mine["shipping_address"]["ward"] == "Phường Bãi Cháy"


@pytest.mark.parametrize("role", ["sync_token", "anonymous"])
def test_others_do_not_see_the_order(empty_client, shop, role):
    world, order = shop
    response = empty_client.get(f"/api/v1/orders/{order['code']}", headers=auth(world["tokens"][role]))
    assert response.status_code == 404


def test_a_producer_without_lines_in_it_gets_404(app, empty_client, shop):
    from catalogue.accounts import services as accounts
    from tests import factories
    from tests.access_helpers import PASSWORD

    world, order = shop
    third = factories.producer("HTX Cô Tô", world["ref"]["van_don"])
    db.session.commit()
    accounts.create_user("third@example.com", PASSWORD, "producer", third.slug)
    token, _ = accounts.create_token("third@example.com", ["orders:read"])

    assert empty_client.get(f"/api/v1/orders/{order['code']}", headers=auth(token)).status_code == 404


@pytest.mark.parametrize(("role", "status"), [("owner", 403), ("other_producer", 403), ("sync_token", 403)])
def test_only_the_office_or_the_buyer_cancels(empty_client, shop, role, status):
    world, order = shop
    response = empty_client.post(f"/api/v1/orders/{order['code']}/cancel", headers=auth(world["tokens"][role]))
    assert response.status_code == status
    db.session.expire_all()
    assert db.session.query(Order).filter_by(code=order["code"]).one().status == "pending_payment"
    assert stock_of(world["product"]) == 8


def test_the_office_cancels_over_the_api(app, empty_client, shop):
    world, order = shop
    response = empty_client.post(f"/api/v1/orders/{order['code']}/cancel", headers=auth(world["tokens"]["admin"]))

    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    assert response.get_json()["history"][-1]["reason"].startswith("cancelled by admin@example.com")
    assert stock_of(world["product"]) == 10
