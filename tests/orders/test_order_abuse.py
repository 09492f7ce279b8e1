"""An anonymous client cannot reserve a product's whole stock: units per line and order are capped, and orders
per client and per contact limited, counted where every worker sees them (Redis when configured)."""

from __future__ import annotations

import os
import shutil
import uuid

from catalogue import create_app
from catalogue.extensions import db, limiter
from tests.conftest import _config, require_service
from tests.order_helpers import BUYER, body, shelf, stock_of
from tests.orders.test_checkout_pages import FORM as CHECKOUT_FORM
from tests.storefront_helpers import csrf_token

REDIS_URL = os.environ.get("CATALOGUE_TEST_REDIS_URL", "")


def _limits(app, **settings):
    app.config.update(settings)


def _from(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _buyer(number: int) -> dict:
    return {**BUYER, "email": f"buyer{number}@example.com", "phone": f"0912 000 {number:03d}"}


def test_a_line_over_the_cap_is_422_naming_the_cap_and_reserves_nothing(app, empty_client):
    product = shelf()["mien"]  # 10 in stock
    _limits(app, ORDER_MAX_UNITS_PER_LINE=4)

    response = empty_client.post("/api/v1/orders", json=body((product.id, 5)))

    assert response.status_code == 422
    assert "At most 4 units" in response.get_json()["message"]
    assert "lines" in response.get_json()["errors"]
    assert stock_of(product) == 10


def test_an_order_over_the_cap_is_422_naming_the_cap(app, empty_client):
    products = shelf()
    _limits(app, ORDER_MAX_UNITS_PER_LINE=5, ORDER_MAX_UNITS_PER_ORDER=6)

    response = empty_client.post("/api/v1/orders", json=body((products["mien"].id, 4), (products["last3"].id, 3)))

    assert response.status_code == 422
    assert "At most 6 units per order" in response.get_json()["message"]
    assert stock_of(products["mien"]) == 10


def test_the_default_caps_hold_without_settings(app, empty_client):
    product = shelf()["mien"]

    response = empty_client.post("/api/v1/orders", json=body((product.id, 21)))

    assert response.status_code == 422
    assert "At most 20 units" in response.get_json()["message"]


def test_one_client_cannot_keep_reserving_stock_under_new_names(app):
    product = shelf()["mien"]
    _limits(app, ORDER_LIMIT_PER_CLIENT="3 per hour", ORDER_MAX_UNITS_PER_LINE=3)
    attacker = _from(app, "203.0.113.7")

    answers = [attacker.post("/api/v1/orders", json=body((product.id, 3), customer=_buyer(n))) for n in range(4)]

    assert [answer.status_code for answer in answers] == [201, 201, 201, 429]
    refusal = answers[-1].get_json()
    assert refusal["code"] == 429 and "3 per 1 hour" in refusal["message"]
    assert stock_of(product) == 1  # the fourth reserved nothing
    assert _from(app, "198.51.100.2").post("/api/v1/orders", json=body((product.id, 1))).status_code == 201


def test_one_contact_cannot_order_again_and_again_from_new_addresses(app):
    product = shelf()["mien"]
    _limits(app, ORDER_LIMIT_PER_CONTACT="2 per hour")

    def order(address: str, customer: dict):
        return _from(app, address).post("/api/v1/orders", json=body((product.id, 1), customer=customer)).status_code

    by_email = [order(f"10.0.0.{n}", _buyer(1)) for n in range(3)]
    # Three other emails, one phone written three ways: 0912…, +84 912… and 84912… are one phone.
    by_phone = [
        order(f"10.0.1.{n}", {**_buyer(10 + n), "phone": phone})
        for n, phone in enumerate(["0912 345 678", "+84 912 345 678", "84912345678"])
    ]
    refusal = _from(app, "10.0.2.1").post("/api/v1/orders", json=body((product.id, 1), customer=_buyer(1)))

    assert by_email == [201, 201, 429]
    assert by_phone == [201, 201, 429]
    assert refusal.get_json()["errors"] == {"email": ["At most 2 per 1 hour."]}
    assert "2 per 1 hour" in refusal.get_json()["message"]


def test_the_storefront_checkout_refuses_in_vietnamese(app):
    product = shelf()["mien"]
    _limits(app, ORDER_LIMIT_PER_CLIENT="1 per hour")
    shopper = _from(app, "192.0.2.9")
    placed = []
    for _ in range(2):
        token = csrf_token(shopper, f"/products/{product.slug}")
        shopper.post("/cart/add", data={"product_id": product.id, "quantity": 1, "csrf_token": token})
        token = csrf_token(shopper, "/checkout")
        placed.append(shopper.post("/checkout", data={**CHECKOUT_FORM, "csrf_token": token}))

    assert placed[0].status_code in (302, 303)
    assert placed[1].status_code == 429
    assert "quá nhiều đơn" in placed[1].get_data(as_text=True)
    assert "1 đơn mỗi giờ" in placed[1].get_data(as_text=True)


def test_the_limits_are_counted_in_redis_so_every_node_agrees(sqlite_template, tmp_path):
    require_service(bool(REDIS_URL), "Redis tests need CATALOGUE_TEST_REDIS_URL, e.g. redis://127.0.0.1:6379/0")
    shutil.copy(sqlite_template, tmp_path / "catalogue.db")
    config = _config(f"sqlite:///{tmp_path / 'catalogue.db'}", tmp_path / "media")
    config.update(RATELIMIT_STORAGE_URI=REDIS_URL, RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}",
                  ORDER_LIMIT_PER_CLIENT="2 per hour")  # fmt: skip
    node_a = create_app(config)
    with node_a.app_context():
        assert type(limiter.of_app().storage).__name__ == "RedisStorage"
        product_id = shelf()["mien"].id
        answers = [_from(node_a, "203.0.113.50").post("/api/v1/orders", json=body((product_id, 1), customer=_buyer(n)))
                   for n in range(2)]  # fmt: skip
        db.session.remove()
    # A second node: a fresh app (a fresh limiter storage object) on the same Redis and database.
    node_b = create_app(config)
    with node_b.app_context():
        third = _from(node_b, "203.0.113.50").post("/api/v1/orders", json=body((product_id, 1), customer=_buyer(9)))
        db.session.remove()
        db.engine.dispose()

    assert [answer.status_code for answer in answers] == [201, 201], answers[0].get_json()
    assert third.status_code == 429
