"""What an API client relies on: who is asking comes first, writes need If-Match, producers read their own
drafts, bodies are JSON, unknown parameters are refused, and every error has one shape."""

import pytest
from sqlalchemy import func, select

from catalogue.accounts.models import AuditEntry
from catalogue.extensions import db
from catalogue.products.models import Product
from catalogue.sync.models import MarketplaceListing, MarketplaceSale, SyncCursor
from tests import factories
from tests.access_helpers import auth, cast
from tests.order_helpers import body as order_body

BAD_TOKEN = "ocop_not-a-token-anyone-was-given"


@pytest.fixture
def world(app):
    world = cast()
    maker, ref = world["owner_producer"], world["ref"]
    world["draft"] = factories.product("Chè hoa vàng Ba Chẽ", maker, ref["processed"], status="draft")
    world["archived"] = factories.product("Rượu ba kích Ba Chẽ", maker, ref["processed"], status="archived")
    db.session.commit()
    return world


def _snapshot():
    """Everything a write route could change."""
    db.session.expire_all()
    products = db.session.execute(
        select(Product.id, Product.name, Product.price_vnd, Product.stock, Product.status, Product.version).order_by(
            Product.id
        )
    ).all()
    counts = [db.session.scalar(select(func.count()).select_from(table)) for table in (AuditEntry, MarketplaceSale)]
    listings = db.session.execute(select(MarketplaceListing.product_id, MarketplaceListing.status)).all()
    cursors = db.session.execute(select(SyncCursor.marketplace, SyncCursor.change_seq)).all()
    return products, counts, listings, cursors


def _write_routes(world) -> list[tuple[str, str, dict | None]]:
    """Every write route, each with a body (or query) that is invalid."""
    product_id = world["product"].id
    return [
        ("POST", "/api/v1/products", {"name": "", "colour": "red"}),
        ("PATCH", f"/api/v1/products/{product_id}", {"stock": -1}),
        ("DELETE", f"/api/v1/products/{product_id}", None),
        ("PUT", f"/api/v1/products/{product_id}/listings/shopee", {"status": "gone"}),
        ("POST", "/api/v1/marketplaces/shopee/orders", {"lines": []}),
        ("PUT", "/api/v1/sync/cursors/shopee", {"cursor": 7}),
        ("GET", "/api/v1/sync/changes?limit=0", None),
    ]


def _wrong_token(world, path: str) -> str:
    """A valid token without the route's scope: a producer's for sync routes, a sync job's for product writes."""
    if "/listings/" in path or "/marketplaces/" in path or "/sync/" in path:
        return world["tokens"]["owner"]
    return world["tokens"]["sync_token"]


@pytest.mark.parametrize("index", range(7))
@pytest.mark.parametrize("caller", ["anonymous", "bad token"])
def test_a_write_without_a_valid_token_is_401_before_its_body_is_validated(empty_client, world, index, caller):
    method, path, body = _write_routes(world)[index]
    before = _snapshot()

    headers = auth(BAD_TOKEN) if caller == "bad token" else {}
    response = empty_client.open(path, method=method, json=body, headers=headers)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json() == {
        "code": 401,
        "status": "Unauthorized",
        "message": "Send a valid API token: Authorization: Bearer <token>.",
        "errors": {},
    }
    assert _snapshot() == before


@pytest.mark.parametrize("index", range(7))
def test_a_write_with_the_wrong_scope_is_403_before_its_body_is_validated(empty_client, world, index):
    method, path, body = _write_routes(world)[index]
    before = _snapshot()

    response = empty_client.open(path, method=method, json=body, headers=auth(_wrong_token(world, path)))

    assert response.status_code == 403
    assert response.get_json()["errors"] == {}
    assert response.get_json()["message"].startswith("This token lacks the '")
    assert _snapshot() == before


def test_cancelling_an_order_without_any_token_is_401(empty_client, world):
    placed = empty_client.post("/api/v1/orders", json=order_body((world["product"].id, 1))).get_json()
    before = _snapshot()

    response = empty_client.post(f"/api/v1/orders/{placed['code']}/cancel")

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert _snapshot() == before


def test_patch_without_if_match_is_428_saying_how_to_get_the_etag(empty_client, world):
    before = _snapshot()

    response = empty_client.patch(
        f"/api/v1/products/{world['product'].id}", json={"stock": 3}, headers=auth(world["tokens"]["owner"])
    )

    assert response.status_code == 428
    assert response.get_json() == {
        "code": 428,
        "status": "Precondition Required",
        "message": (
            "If-Match is missing: GET the product, send its ETag back as If-Match "
            "(or If-Match: * to overwrite whatever is there)."
        ),
        "errors": {},
    }
    assert _snapshot() == before


def test_patch_with_if_match_star_overwrites_whatever_is_there(empty_client, world):
    url = f"/api/v1/products/{world['product'].id}"

    response = empty_client.patch(url, json={"stock": 3}, headers={**auth(world["tokens"]["owner"]), "If-Match": "*"})

    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Product, world["product"].id).stock == 3


@pytest.mark.parametrize("which", ["draft", "archived"])
def test_a_producer_reads_its_own_draft_or_archived_product_with_an_etag_it_can_write_with(empty_client, world, which):
    product_id = world[which].id
    url = f"/api/v1/products/{product_id}"
    owner = auth(world["tokens"]["owner"])

    read = empty_client.get(url, headers=owner)
    written = empty_client.patch(url, json={"stock": 4}, headers={**owner, "If-Match": read.headers["ETag"]})

    assert read.status_code == 200
    assert (read.get_json()["id"], read.get_json()["status"]) == (product_id, which)
    assert written.status_code == 200
    assert empty_client.get(url, headers=owner).headers["ETag"] == written.headers["ETag"]


def test_nobody_else_sees_a_draft_and_the_owners_read_is_never_served_to_them(empty_client, world):
    url = f"/api/v1/products/{world['draft'].id}"
    assert empty_client.get(url, headers=auth(world["tokens"]["owner"])).status_code == 200

    anonymous = empty_client.get(url)
    other = empty_client.get(url, headers=auth(world["tokens"]["other_producer"]))
    sync_job = empty_client.get(url, headers=auth(world["tokens"]["sync_token"]))
    office = empty_client.get(url, headers=auth(world["tokens"]["admin"]))

    assert (anonymous.status_code, other.status_code, sync_job.status_code) == (404, 404, 404)
    assert other.get_json()["message"] == anonymous.get_json()["message"]
    assert office.status_code == 200


def test_mine_lists_the_callers_own_products_in_every_status(empty_client, world):
    response = empty_client.get("/api/v1/products?mine=true&sort=name", headers=auth(world["tokens"]["owner"]))

    assert response.status_code == 200
    body = response.get_json()
    assert [(item["name"], item["status"]) for item in body["items"]] == [
        ("Chè hoa vàng Ba Chẽ", "draft"),
        ("Miến dong Bình Liêu", "active"),
        ("Rượu ba kích Ba Chẽ", "archived"),
    ]
    assert (body["total"], body["page"], body["per_page"]) == (3, 1, 20)


def test_mine_takes_the_same_filters(empty_client, world):
    response = empty_client.get("/api/v1/products?mine=true&q=ba+che", headers=auth(world["tokens"]["owner"]))

    assert sorted(item["name"] for item in response.get_json()["items"]) == [
        "Chè hoa vàng Ba Chẽ",
        "Rượu ba kích Ba Chẽ",
    ]


def test_mine_needs_a_producers_token(empty_client, world):
    anonymous = empty_client.get("/api/v1/products?mine=true")
    bad = empty_client.get("/api/v1/products?mine=true", headers=auth(BAD_TOKEN))
    sync_job = empty_client.get("/api/v1/products?mine=true", headers=auth(world["tokens"]["sync_token"]))
    public = empty_client.get("/api/v1/products?mine=false")

    assert (anonymous.status_code, bad.status_code, sync_job.status_code) == (401, 401, 403)
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert [item["name"] for item in public.get_json()["items"]] == ["Miến dong Bình Liêu", "Nước mắm Vân Đồn"]


@pytest.mark.parametrize(
    ("content_type", "data"),
    [("application/x-www-form-urlencoded", "stock=3"), ("text/plain", '{"stock": 3}'), (None, '{"stock": 3}')],
)
def test_a_body_that_is_not_json_is_415_and_changes_nothing(empty_client, world, content_type, data):
    before = _snapshot()
    headers = {**auth(world["tokens"]["owner"]), "If-Match": "*"}
    if content_type:
        headers["Content-Type"] = content_type

    response = empty_client.patch(f"/api/v1/products/{world['product'].id}", data=data, headers=headers)

    assert response.status_code == 415
    body = response.get_json()
    assert body["message"] == "Send the body as JSON, with Content-Type: application/json."
    assert list(body["errors"]) == ["Content-Type"]
    assert _snapshot() == before


def test_a_checkout_posted_as_a_form_is_415(empty_client, world):
    response = empty_client.post("/api/v1/orders", data={"lines": "1"})

    assert response.status_code == 415
    assert response.get_json()["errors"] == {
        "Content-Type": ["Must be application/json, not application/x-www-form-urlencoded."]
    }


def test_malformed_json_names_the_body_in_an_errors_object(empty_client, world):
    response = empty_client.post("/api/v1/orders", data="{not json", content_type="application/json")

    assert response.status_code == 400
    errors = response.get_json()["errors"]
    assert list(errors) == ["json"] and len(errors["json"]) == 1
    # The one parser of every body (catalogue.json_input) says why, where json.loads stopped reading.
    assert errors["json"][0].startswith("The body is not JSON: ") and "line 1 column 2" in errors["json"][0]


@pytest.mark.parametrize(
    ("path", "status"), [("/api/v1/products/999", 404), ("/api/v1/nowhere", 404), ("/webhooks/nowhere", 404)]
)
def test_errors_without_field_details_still_carry_an_empty_errors_object(empty_client, world, path, status):
    response = empty_client.get(path)

    assert response.status_code == status
    assert response.get_json()["errors"] == {}


def test_a_stale_if_match_is_412_with_an_empty_errors_object(empty_client, world):
    headers = {**auth(world["tokens"]["owner"]), "If-Match": '"not-the-etag"'}

    response = empty_client.patch(f"/api/v1/products/{world['product'].id}", json={"stock": 1}, headers=headers)

    assert response.status_code == 412
    assert response.get_json()["errors"] == {}


def _routes_without_parameters(world) -> list[tuple[str, str | None]]:
    product_id, producer = world["product"].id, world["owner_producer"].slug
    return [
        ("/api/v1/categories", None),
        ("/api/v1/localities", None),
        (f"/api/v1/products/{product_id}", None),
        (f"/api/v1/producers/{producer}", None),
        (f"/api/v1/products/{product_id}/listings", "owner"),
        ("/api/v1/sync/cursors/shopee", "sync_token"),
    ]


@pytest.mark.parametrize("index", range(6))
def test_unknown_parameters_are_422_naming_them_on_every_route(empty_client, world, index):
    path, role = _routes_without_parameters(world)[index]
    headers = auth(world["tokens"][role]) if role else {}
    assert empty_client.get(path, headers=headers).status_code == 200

    response = empty_client.get(f"{path}?colour=red", headers=headers)

    assert response.status_code == 422
    assert response.get_json()["errors"] == {"colour": ["Unknown field."]}
    assert "colour" in response.get_json()["message"]


def test_the_order_read_takes_its_token_parameter_and_nothing_else(empty_client, world):
    placed = empty_client.post("/api/v1/orders", json=order_body((world["product"].id, 1))).get_json()
    url = f"/api/v1/orders/{placed['code']}?token={placed['access_token']}"

    assert empty_client.get(url).status_code == 200
    response = empty_client.get(url + "&colour=red")
    assert (response.status_code, response.get_json()["errors"]) == (422, {"colour": ["Unknown field."]})


def test_paying_again_without_any_token_is_a_401_before_the_body_is_read(client):
    response = client.post("/api/v1/orders/QN-ABCD-EFGH/payments", data="not json", content_type="text/plain")

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["errors"] == {}
