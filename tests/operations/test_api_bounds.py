"""Numbers past the id range are "not found" or a 422 naming the field — never a database overflow (500)."""

import re

import pytest

from catalogue.ids import MAX_ID
from tests.access_helpers import auth, cast

HUGE = "99999999999999999999"  # 10**20: past 64 bits
PAST_INT64 = "9223372036854775808"  # 2**63
PAST_ID = str(MAX_ID + 1)  # past PostgreSQL's INTEGER


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/products/{HUGE}",
        f"/api/v1/products/{PAST_INT64}",
        f"/api/v1/products/{PAST_ID}",
        f"/api/v1/producers/{HUGE}",
        f"/api/v1/producers/{PAST_INT64}",
        f"/api/v1/products/{HUGE}/listings",
    ],
)
def test_ids_past_the_range_in_api_paths_are_404(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response.get_json()["code"] == 404


@pytest.mark.parametrize(
    "path",
    [f"/portal/products/{HUGE}", f"/sitemap-{HUGE}.xml", f"/sitemap-{PAST_INT64}.xml"],
)
def test_ids_past_the_range_in_page_paths_are_404(client, path):
    response = client.get(path)

    assert response.status_code == 404


def test_a_huge_producer_filter_is_422_naming_the_field(client):
    response = client.get(f"/api/v1/products?producer={HUGE}")

    assert response.status_code == 422
    body = response.get_json()
    assert body["message"] == f"There is no producer '{HUGE}'."
    assert body["errors"] == {"producer": [f"Unknown producer '{HUGE}'."]}


def test_a_huge_producer_filter_on_the_storefront_is_dropped_like_any_unknown_producer(client):
    unknown = client.get("/products?producer=nobody", headers={"Accept": "text/html"})

    response = client.get(f"/products?producer={HUGE}", headers={"Accept": "text/html"})

    assert (unknown.status_code, response.status_code) == (200, 200)
    assert _without_csrf(response.get_data(as_text=True).replace(HUGE, "nobody")) == _without_csrf(
        unknown.get_data(as_text=True)
    )


def _without_csrf(html: str) -> str:
    """The page less its CSRF tokens, which carry the second they were signed in."""
    return re.sub(r'"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"', '"csrf"', html)


def test_a_huge_product_id_in_an_order_is_422_and_reserves_nothing(client):
    from catalogue.extensions import db
    from catalogue.orders.models import Order

    orders_before = db.session.query(Order).count()

    response = client.post(
        "/api/v1/orders",
        json={
            "lines": [{"product_id": 10**20, "quantity": 1}],
            "customer": {"name": "Nguyễn Thị Lan", "email": "lan@example.com", "phone": "0912345678"},
            "shipping_address": {"line1": "12 Hạ Long", "ward": "Phường Bãi Cháy", "province": "Quảng Ninh"},
        },
    )

    assert response.status_code == 422
    bound = f"Must be greater than or equal to 1 and less than or equal to {MAX_ID}."
    assert response.get_json()["errors"] == {"lines": {"0": {"product_id": [bound]}}}
    assert db.session.query(Order).count() == orders_before


def test_huge_ids_in_write_paths_are_404_before_anything_else(empty_client):
    world = cast()
    token = world["tokens"]["owner"]

    headers = {**auth(token), "If-Match": "*"}
    patched = empty_client.patch(f"/api/v1/products/{HUGE}", json={"stock": 1}, headers=headers)
    listed = empty_client.put(
        f"/api/v1/products/{HUGE}/listings/shopee", json={"status": "live"}, headers=auth(world["tokens"]["sync_token"])
    )

    assert (patched.status_code, listed.status_code) == (404, 404)


def _integers(schema: dict, components: dict, where: str):
    """(place, schema) of every integer in a JSON schema, following $refs."""
    if "$ref" in schema:
        yield from _integers(components[schema["$ref"].rsplit("/", 1)[1]], components, where)
        return
    if schema.get("type") == "integer":
        yield where, schema
    for name, inner in schema.get("properties", {}).items():
        yield from _integers(inner, components, f"{where}.{name}")
    if "items" in schema:
        yield from _integers(schema["items"], components, f"{where}[]")


def test_every_integer_a_client_sends_is_bounded_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    components = spec["components"]["schemas"]
    found = []
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            if method == "parameters":
                continue
            for parameter in operation.get("parameters", []) + methods.get("parameters", []):
                if "$ref" in parameter:  # flask-smorest's If-Match / If-None-Match headers
                    continue
                found += _integers(parameter["schema"], components, f"{method} {path} {parameter['name']}")
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                found += _integers(body["schema"], components, f"{method} {path} body")

    unbounded = [place for place, schema in found if "maximum" not in schema]
    assert len(found) > 10
    assert unbounded == []
