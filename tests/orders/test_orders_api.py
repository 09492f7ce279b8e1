"""POST /orders, GET /orders/{code}, POST /orders/{code}/cancel (contract §4)."""

import pytest
from sqlalchemy import func, select

from catalogue.extensions import db
from catalogue.orders.models import Order
from tests.order_helpers import body, shelf, stock_of


@pytest.fixture
def products(app):
    return shelf()


def _gateway(app):
    return app.extensions["payment_gateway"]


def test_checkout_reserves_stock_prices_on_the_server_and_creates_the_payment(app, empty_client, products):
    mien = products["mien"]

    response = empty_client.post("/api/v1/orders", json=body((mien.id, 2)))

    assert response.status_code == 201
    order = response.get_json()
    assert order["status"] == "pending_payment"
    assert order["lines"] == [
        {
            "product_id": mien.id,
            "sku": mien.sku,
            "name": "Miến dong Bình Liêu",
            "unit": "gói 500 g",
            "unit_price_vnd": 85000,
            "quantity": 2,
            "line_total_vnd": 170000,
        }
    ]
    assert (order["subtotal_vnd"], order["shipping_fee_vnd"], order["total_vnd"]) == (170000, 30000, 200000)
    assert order["payment"]["provider"] == "stripe"
    assert order["payment"]["payment_intent_id"].startswith("pi_")
    assert order["payment"]["client_secret"] and order["payment"]["publishable_key"].startswith("pk_")
    assert order["access_token"]
    assert order["customer"]["phone"] == "0912345678"
    assert order["shipping_address"] == {
        "line1": "12 đường Hạ Long",
        "ward": "Phường Bãi Cháy",
        "province": "Quảng Ninh",
    }
    assert stock_of(mien) == 8
    assert _gateway(app).calls[-1] == ("create", order["code"], 200000, f"order-{order['code']}")


def test_prices_sent_by_the_client_are_not_accepted(empty_client, products):
    request = body((products["mien"].id, 1))
    request["lines"][0]["unit_price_vnd"] = 1

    response = empty_client.post("/api/v1/orders", json=request)

    assert response.status_code == 422
    assert "unit_price_vnd" in str(response.get_json()["errors"])
    assert db.session.scalar(select(func.count(Order.id))) == 0
    assert stock_of(products["mien"]) == 10


def test_order_code_is_short_readable_and_not_sequential(empty_client, products):
    codes = [
        empty_client.post("/api/v1/orders", json=body((products["mien"].id, 1))).get_json()["code"] for _ in range(3)
    ]

    assert all(len(code) == 12 and code.startswith("QN-") for code in codes)
    assert len(set(codes)) == 3
    assert not set("01OIL") & set("".join(code[3:] for code in codes).replace("-", ""))


def test_a_line_that_cannot_be_reserved_is_409_naming_it_and_nothing_is_reserved(empty_client, products):
    mien, last3 = products["mien"], products["last3"]

    response = empty_client.post("/api/v1/orders", json=body((mien.id, 2), (last3.id, 4)))

    assert response.status_code == 409
    error = response.get_json()
    assert error["errors"]["lines"]["1"]["product_id"] == last3.id
    assert "Only 3 of 'Trà hoa vàng' left; 4 asked." in error["message"]
    assert (stock_of(mien), stock_of(last3)) == (10, 3)
    assert db.session.scalar(select(func.count(Order.id))) == 0


@pytest.mark.parametrize("name", ["draft", "expired"])
def test_products_not_on_sale_cannot_be_ordered(empty_client, products, name):
    product = products[name]

    response = empty_client.post("/api/v1/orders", json=body((product.id, 1)))

    assert response.status_code == 409
    assert response.get_json()["errors"]["lines"]["0"]["product_id"] == product.id
    assert stock_of(product) == 5
    assert db.session.scalar(select(func.count(Order.id))) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"shipping_address": {"line1": "1 Hạ Long", "ward": "Phường Hoàn Kiếm", "province": "Quảng Ninh"}}, "ward"),
        ({"shipping_address": {"line1": "1 Hạ Long", "ward": "Phường Bãi Cháy", "province": "Atlantis"}}, "province"),
        ({"customer": {"name": "Lan", "email": "not-an-email", "phone": "0912345678"}}, "email"),
        ({"customer": {"name": "Lan", "email": "lan@example.com", "phone": "12345"}}, "phone"),
        ({"lines": []}, "lines"),
        ({"lines": [{"product_id": 1, "quantity": 0}]}, "quantity"),
        ({"lines": [{"product_id": 1, "quantity": 100}]}, "quantity"),
        ({"lines": [{"product_id": "1", "quantity": 1}]}, "product_id"),
        ({"coupon": "FREE"}, "coupon"),
    ],
)
def test_invalid_checkout_is_422_naming_the_field_and_changes_nothing(empty_client, products, change, field):
    response = empty_client.post("/api/v1/orders", json=body((products["mien"].id, 1), **change))

    assert response.status_code == 422
    assert field in str(response.get_json()["errors"])
    assert stock_of(products["mien"]) == 10
    assert db.session.scalar(select(func.count(Order.id))) == 0


@pytest.mark.parametrize("payload", ["not json", "[]", '{"lines": null}'])
def test_malformed_bodies_are_4xx_not_500(empty_client, products, payload):
    response = empty_client.post("/api/v1/orders", data=payload, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert response.get_json()["code"] == response.status_code
    assert db.session.scalar(select(func.count(Order.id))) == 0
    assert stock_of(products["mien"]) == 10


def test_unreachable_payment_provider_releases_the_reservation(app, empty_client, products):
    _gateway(app).unavailable = True

    response = empty_client.post("/api/v1/orders", json=body((products["mien"].id, 2)))

    assert response.status_code == 503
    assert "nothing was reserved" in response.get_json()["message"]
    assert stock_of(products["mien"]) == 10
    order = db.session.scalar(select(Order))
    assert order.status == "cancelled"
    _gateway(app).unavailable = False


def test_buyer_reads_the_order_with_its_token_only(empty_client, products):
    placed = empty_client.post("/api/v1/orders", json=body((products["mien"].id, 1))).get_json()
    code, token = placed["code"], placed["access_token"]

    mine = empty_client.get(f"/api/v1/orders/{code}", headers={"Authorization": f"Bearer {token}"})
    by_link = empty_client.get(f"/api/v1/orders/{code}?token={token}")
    anonymous = empty_client.get(f"/api/v1/orders/{code}")
    wrong = empty_client.get(f"/api/v1/orders/{code}", headers={"Authorization": "Bearer guessed"})

    assert mine.status_code == by_link.status_code == 200
    assert mine.get_json()["code"] == code and "access_token" not in mine.get_json()
    assert [event["to_status"] for event in mine.get_json()["history"]] == ["pending_payment"]
    assert anonymous.status_code == wrong.status_code == 404


def test_buyer_cancels_before_paying_and_the_stock_comes_back(app, empty_client, products):
    placed = empty_client.post("/api/v1/orders", json=body((products["mien"].id, 4))).get_json()
    auth = {"Authorization": f"Bearer {placed['access_token']}"}
    assert stock_of(products["mien"]) == 6

    response = empty_client.post(f"/api/v1/orders/{placed['code']}/cancel", headers=auth)

    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"
    assert stock_of(products["mien"]) == 10
    assert _gateway(app).calls[-1][0] == "cancel"
    again = empty_client.post(f"/api/v1/orders/{placed['code']}/cancel", headers=auth)
    assert again.status_code == 200 and stock_of(products["mien"]) == 10


def test_someone_else_cannot_cancel(app, empty_client, products):
    placed = empty_client.post("/api/v1/orders", json=body((products["mien"].id, 4))).get_json()
    calls = list(_gateway(app).calls)

    response = empty_client.post(
        f"/api/v1/orders/{placed['code']}/cancel", headers={"Authorization": "Bearer not-the-token"}
    )

    assert response.status_code == 404
    assert stock_of(products["mien"]) == 6
    assert db.session.scalar(select(Order.status).where(Order.code == placed["code"])) == "pending_payment"
    assert _gateway(app).calls == calls  # the PaymentIntent was not cancelled either


def test_a_producer_cannot_cancel_even_an_order_of_its_products(app, empty_client, products):
    from catalogue.accounts import services as accounts

    placed = empty_client.post("/api/v1/orders", json=body((products["mien"].id, 4))).get_json()
    accounts.create_user("owner@example.com", "mật khẩu đủ dài 123", "producer", products["mien"].producer.slug)
    token = accounts.create_token("owner@example.com", ["orders:read"])[0]
    url = f"/api/v1/orders/{placed['code']}/cancel"

    response = empty_client.post(url, headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 403
    assert response.get_json()["message"] == "Only the buyer (before paying) or the OCOP office may cancel an order."
    assert db.session.scalar(select(Order.status).where(Order.code == placed["code"])) == "pending_payment"
    assert stock_of(products["mien"]) == 6


def test_shipping_fee_grows_with_weight(empty_client, products):
    placed = empty_client.post("/api/v1/orders", json=body((products["mien"].id, 5))).get_json()
    assert placed["shipping_fee_vnd"] == 30000 + 2 * 10000  # 2 500 g: 1 kg base + 2 started kg


def test_provider_errors_are_not_leaked_to_the_buyer(app, empty_client, products):
    _gateway(app).unavailable = True
    response = empty_client.post("/api/v1/orders", json=body((products["mien"].id, 1)))
    _gateway(app).unavailable = False

    assert response.get_json()["errors"] == {"payment": ["The card payment provider did not answer."]}
    assert stock_of(products["mien"]) == 10
    assert db.session.scalars(select(Order.status)).all() == ["cancelled"]
