"""Write API access matrix: every mutating route × {owner, other producer, sync token, anonymous, admin}.

Each refusal also checks that nothing changed: the product row and the audit log.
"""

import json

import pytest
from sqlalchemy import func, select

from catalogue.accounts.models import AuditEntry
from catalogue.extensions import db
from catalogue.products.models import Product
from tests.access_helpers import ROLES, auth, cast

EXPECTED = {
    "patch": {"owner": 200, "other_producer": 403, "sync_token": 403, "anonymous": 401, "admin": 200},
    "delete": {"owner": 200, "other_producer": 403, "sync_token": 403, "anonymous": 401, "admin": 200},
}


def owner_any_version(world) -> dict:
    """The owner's token, overwriting whatever version is there (If-Match: *)."""
    return {**auth(world["tokens"]["owner"]), "If-Match": "*"}


@pytest.fixture
def world(app):
    return cast()


def _snapshot():
    db.session.expire_all()
    rows = db.session.execute(
        select(Product.id, Product.name, Product.price_vnd, Product.stock, Product.status, Product.version).order_by(
            Product.id
        )
    ).all()
    return rows, db.session.scalar(select(func.count(AuditEntry.id)))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method", ["patch", "delete"])
def test_changing_a_product(empty_client, world, method, role):
    product_id = world["product"].id
    before = _snapshot()

    response = empty_client.open(
        f"/api/v1/products/{product_id}",
        method=method.upper(),
        json={"price_vnd": 90000} if method == "patch" else None,
        headers={**auth(world["tokens"][role]), "If-Match": "*"},
    )

    assert response.status_code == EXPECTED[method][role]
    if response.status_code >= 400:
        assert response.get_json()["code"] == response.status_code
        assert _snapshot() == before
    else:
        assert response.headers["ETag"]
        changed = db.session.get(Product, product_id)
        assert (changed.price_vnd, changed.status) == ((90000, "active") if method == "patch" else (85000, "archived"))


@pytest.mark.parametrize(
    ("role", "status"),
    [("owner", 201), ("other_producer", 201), ("sync_token", 403), ("anonymous", 401), ("admin", 422)],
)
def test_creating_a_product(empty_client, world, role, status):
    body = {
        "name": "Miến dong túi 1 kg",
        "unit": "túi 1 kg",
        "price_vnd": 150000,
        "category": "thuc-pham-che-bien",
        "net_weight_g": 1000,
        "stock": 20,
    }
    before = _snapshot()

    response = empty_client.post("/api/v1/products", json=body, headers=auth(world["tokens"][role]))

    assert response.status_code == status
    if status == 201:
        created = response.get_json()
        expected_producer = world["owner_producer"] if role == "owner" else world["other_producer"]
        assert created["producer"]["id"] == expected_producer.id  # always the caller's own producer
        assert (created["status"], created["stock"]) == ("draft", 20)
    else:
        assert _snapshot() == before  # the admin must say which producer: 422, nothing written


def test_admin_creates_for_a_named_producer(empty_client, world):
    response = empty_client.post(
        "/api/v1/products",
        headers=auth(world["tokens"]["admin"]),
        json={
            "name": "Chả mực",
            "unit": "hộp 500 g",
            "price_vnd": 250000,
            "category": "thuc-pham-che-bien",
            "producer": world["other_producer"].slug,
        },
    )

    assert response.status_code == 201
    assert response.get_json()["producer"]["slug"] == world["other_producer"].slug
    assert response.get_json()["sku"].startswith("QN-VD-")


@pytest.mark.parametrize("field", ["producer", "locality"])
def test_producers_cannot_mass_assign_admin_fields(empty_client, world, field):
    before = _snapshot()
    value = world["other_producer"].slug if field == "producer" else "van-don"

    response = empty_client.patch(
        f"/api/v1/products/{world['product'].id}", json={field: value}, headers=owner_any_version(world)
    )

    assert response.status_code == 403
    assert field in response.get_json()["errors"]
    assert _snapshot() == before


@pytest.mark.parametrize("body", [{"sku": "X"}, {"version": 99}, {"id": 5}, {"stock": -1}, {"price_vnd": "1000"}])
def test_unknown_or_invalid_fields_are_422_and_change_nothing(empty_client, world, body):
    before = _snapshot()

    response = empty_client.patch(
        f"/api/v1/products/{world['product'].id}", json=body, headers=owner_any_version(world)
    )

    assert response.status_code == 422
    assert _snapshot() == before


def test_stale_if_match_is_412_and_changes_nothing(empty_client, world):
    token = world["tokens"]["owner"]
    url = f"/api/v1/products/{world['product'].id}"
    first = empty_client.patch(url, json={"stock": 12}, headers={**auth(token), "If-Match": "*"})
    stale_etag = first.headers["ETag"]
    second = empty_client.patch(url, json={"stock": 15}, headers={**auth(token), "If-Match": stale_etag})
    assert second.status_code == 200
    before = _snapshot()

    third = empty_client.patch(url, json={"stock": 1}, headers={**auth(token), "If-Match": stale_etag})

    assert third.status_code == 412
    assert _snapshot() == before
    assert db.session.get(Product, world["product"].id).stock == 15


def test_etag_from_the_public_read_works_for_if_match(empty_client, world):
    url = f"/api/v1/products/{world['product'].id}"
    etag = empty_client.get(url).headers["ETag"]
    headers = {**auth(world["tokens"]["owner"]), "If-Match": etag}

    response = empty_client.patch(url, json={"stock": 3}, headers=headers)
    assert response.status_code == 200
    before = _snapshot()
    stale = empty_client.patch(url, json={"stock": 7}, headers=headers)  # the same ETag, now out of date

    assert stale.status_code == 412
    assert _snapshot() == before
    assert db.session.get(Product, world["product"].id).stock == 3


def test_every_write_is_audited_with_who_and_what(empty_client, world):
    empty_client.patch(
        f"/api/v1/products/{world['product'].id}",
        json={"price_vnd": 95000, "stock": 10},
        headers=owner_any_version(world),
    )

    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "product.update" and entry.entity_id == world["product"].id
    assert entry.actor.startswith("owner@example.com (token ocop_")
    assert json.loads(entry.changes) == {"price_vnd": [85000, 95000]}


def test_descriptions_are_sanitised_on_the_way_in(empty_client, world):
    response = empty_client.patch(
        f"/api/v1/products/{world['product'].id}",
        json={"description": '<p onclick="x()">Ngon</p><script>alert(1)</script>'},
        headers=owner_any_version(world),
    )

    assert response.get_json()["description"] == "<p>Ngon</p>"


def test_revoked_token_is_401(app, empty_client, world):
    from catalogue import clock
    from catalogue.accounts.models import ApiToken
    from catalogue.accounts.principal import SYSTEM
    from catalogue.accounts.services import revoke_token

    token_id = db.session.scalars(select(ApiToken.id).order_by(ApiToken.id)).first()
    revoke_token(token_id, SYSTEM, clock.now())

    response = empty_client.patch(
        f"/api/v1/products/{world['product'].id}", json={"stock": 1}, headers=owner_any_version(world)
    )

    assert response.status_code == 401
