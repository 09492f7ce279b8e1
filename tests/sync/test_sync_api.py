"""The server side of marketplace sync: change feed, cursors, listing state, marketplace sales, feeds."""

from collections import Counter
from datetime import date
from xml.etree import ElementTree

import pytest
from sqlalchemy import func, select

from catalogue.extensions import db
from catalogue.products.models import Product
from catalogue.sync.models import MarketplaceSale
from tests import factories
from tests.access_helpers import auth, cast
from tests.live import race, serving


@pytest.fixture
def world(app):
    return cast()


def _feed(client, token, since=None, limit=100):
    params = {"limit": limit, **({"since": since} if since else {})}
    return client.get("/api/v1/sync/changes", query_string=params, headers=auth(token))


def _drain(client, token, since=None, limit=1):
    seen, cursor = [], since
    while True:
        body = _feed(client, token, cursor, limit).get_json()
        seen += [item["sku"] for item in body["items"]]
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return seen, cursor


@pytest.mark.parametrize(
    ("role", "status"),
    [("sync_token", 200), ("admin", 200), ("owner", 403), ("other_producer", 403), ("anonymous", 401)],
)
def test_change_feed_is_for_sync_tokens(empty_client, world, role, status):
    assert _feed(empty_client, world["tokens"][role]).status_code == status


def test_feed_pages_cover_every_change_once_in_order(empty_client, world):
    token = world["tokens"]["sync_token"]

    one_by_one, cursor = _drain(empty_client, token, limit=1)
    all_at_once = _feed(empty_client, token).get_json()

    assert one_by_one == [item["sku"] for item in all_at_once["items"]]
    assert sorted(one_by_one) == sorted([world["product"].sku, world["other_product"].sku])
    again = _feed(empty_client, token, cursor).get_json()
    assert again == {"items": [], "next_cursor": cursor, "has_more": False}


def test_changes_after_the_cursor_include_stock_moves_and_archives(empty_client, world):
    from catalogue.products.stock import take_stock

    token = world["tokens"]["sync_token"]
    _, cursor = _drain(empty_client, token)
    take_stock(world["other_product"].id, 1)
    db.session.commit()
    empty_client.delete(f"/api/v1/products/{world['product'].id}", headers=auth(world["tokens"]["owner"]))

    body = _feed(empty_client, token, cursor).get_json()

    assert [item["sku"] for item in body["items"]] == [world["other_product"].sku, world["product"].sku]
    archived = body["items"][1]
    assert (archived["status"], archived["listable"]) == ("archived", False)
    assert body["items"][0]["stock"] == 9 and body["items"][0]["listable"] is True


def test_products_sharing_one_change_number_are_not_split_across_pages(empty_client, world):
    token = world["tokens"]["sync_token"]
    _, cursor = _drain(empty_client, token)
    for product in db.session.scalars(select(Product)):
        product.price_vnd += 1000  # one flush: one change number for both
    db.session.commit()

    seen, _ = _drain(empty_client, token, cursor, limit=1)

    assert sorted(seen) == sorted([world["product"].sku, world["other_product"].sku])


@pytest.mark.parametrize("query", ["since=garbage", "since=djE6eDp5", "limit=0", "limit=501", "colour=red"])
def test_bad_feed_parameters_are_422(empty_client, world, query):
    response = empty_client.get(f"/api/v1/sync/changes?{query}", headers=auth(world["tokens"]["sync_token"]))
    assert response.status_code == 422


def test_cursor_is_kept_per_marketplace_and_never_moves_back(empty_client, world):
    token = world["tokens"]["sync_token"]
    _, end = _drain(empty_client, token)
    start = _feed(empty_client, token, limit=1).get_json()["next_cursor"]

    assert empty_client.get("/api/v1/sync/cursors/shopee", headers=auth(token)).get_json() == {"cursor": ""}
    empty_client.put("/api/v1/sync/cursors/shopee", json={"cursor": end}, headers=auth(token))
    back = empty_client.put("/api/v1/sync/cursors/shopee", json={"cursor": start}, headers=auth(token))

    assert back.status_code == 409
    assert back.get_json()["message"] == (
        f"The cursor is behind the one saved for shopee ({end}): a cursor never moves back."
    )
    assert back.get_json()["errors"] == {"cursor": [f"Must not be behind {end}."]}
    assert empty_client.get("/api/v1/sync/cursors/shopee", headers=auth(token)).get_json() == {"cursor": end}
    again = empty_client.put("/api/v1/sync/cursors/shopee", json={"cursor": end}, headers=auth(token))
    assert (again.status_code, again.get_json()) == (200, {"cursor": end})
    assert empty_client.get("/api/v1/sync/cursors/lazada", headers=auth(token)).get_json() == {"cursor": ""}
    assert empty_client.get("/api/v1/sync/cursors/tiki", headers=auth(token)).status_code == 404
    refused = empty_client.put(
        "/api/v1/sync/cursors/lazada", json={"cursor": end}, headers=auth(world["tokens"]["owner"])
    )
    assert refused.status_code == 403
    assert empty_client.get("/api/v1/sync/cursors/lazada", headers=auth(token)).get_json() == {"cursor": ""}


def test_listing_state_is_recorded_by_sync_and_read_by_the_owner(empty_client, world):
    url = f"/api/v1/products/{world['product'].id}/listings"
    state = {"external_id": "812345", "status": "live", "synced_version": 3, "error": None}

    recorded = empty_client.put(f"{url}/shopee", json=state, headers=auth(world["tokens"]["sync_token"]))
    refused = empty_client.put(f"{url}/lazada", json=state, headers=auth(world["tokens"]["owner"]))
    mine = empty_client.get(url, headers=auth(world["tokens"]["owner"]))
    theirs = empty_client.get(url, headers=auth(world["tokens"]["other_producer"]))

    assert recorded.status_code == 200 and refused.status_code == 403
    assert theirs.status_code == 403 and empty_client.get(url).status_code == 401
    [listing] = mine.get_json()["items"]
    assert {key: listing[key] for key in state} == {**state, "error": None}
    assert listing["marketplace"] == "shopee" and listing["synced_at"].endswith("Z")
    update = {"status": "error", "error": "Missing weight", "synced_version": 4}
    empty_client.put(f"{url}/shopee", json=update, headers=auth(world["tokens"]["sync_token"]))
    [listing] = empty_client.get(url, headers=auth(world["tokens"]["admin"])).get_json()["items"]
    assert (listing["external_id"], listing["status"], listing["error"]) == ("812345", "error", "Missing weight")


def test_marketplace_sale_takes_stock_once(empty_client, world):
    token, sku = world["tokens"]["sync_token"], world["product"].sku
    sale = {"external_order_id": "SHP-2611-0001", "lines": [{"sku": sku, "quantity": 3}]}

    first = empty_client.post("/api/v1/marketplaces/shopee/orders", json=sale, headers=auth(token))
    again = empty_client.post("/api/v1/marketplaces/shopee/orders", json=sale, headers=auth(token))

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"] and first.get_json()["flagged"] is False
    db.session.expire_all()
    assert db.session.get(Product, world["product"].id).stock == 7


@pytest.mark.parametrize(
    "other_lines",
    [[{"sku": "SKU", "quantity": 4}], [{"sku": "SKU", "quantity": 3}, {"sku": "QN-XX-9999", "quantity": 1}]],
)
def test_the_same_marketplace_order_with_other_lines_is_409_and_changes_nothing(empty_client, world, other_lines):
    token, sku = world["tokens"]["sync_token"], world["product"].sku
    url = "/api/v1/marketplaces/shopee/orders"
    recorded = {"external_order_id": "SHP-1", "lines": [{"sku": sku, "quantity": 3}]}
    first = empty_client.post(url, json=recorded, headers=auth(token))
    lines = [{**line, "sku": sku if line["sku"] == "SKU" else line["sku"]} for line in other_lines]

    replayed = empty_client.post(url, json={"external_order_id": "SHP-1", "lines": lines}, headers=auth(token))

    assert (first.status_code, replayed.status_code) == (201, 409)
    message = "Marketplace order SHP-1 was already recorded with other lines; nothing changed."
    assert replayed.get_json()["message"] == message
    assert replayed.get_json()["errors"] == {"lines": ["Differ from the lines recorded for this external_order_id."]}
    db.session.expire_all()
    assert db.session.get(Product, world["product"].id).stock == 7
    [sale] = db.session.scalars(select(MarketplaceSale)).all()
    assert [(line.sku, line.quantity) for line in sale.lines] == [(sku, 3)]


def test_sale_without_stock_is_recorded_and_flagged_never_negative(empty_client, world):
    token = world["tokens"]["sync_token"]
    sale = {
        "external_order_id": "LZD-1",
        "lines": [{"sku": world["product"].sku, "quantity": 11}, {"sku": "QN-XX-9999", "quantity": 1}],
    }

    response = empty_client.post("/api/v1/marketplaces/lazada/orders", json=sale, headers=auth(token))

    body = response.get_json()
    assert response.status_code == 201 and body["flagged"] is True
    assert {line["sku"]: line["problem"] for line in body["lines"]} == {
        world["product"].sku: "not enough stock",
        "QN-XX-9999": "unknown SKU",
    }
    db.session.expire_all()
    assert db.session.get(Product, world["product"].id).stock == 10


@pytest.mark.parametrize(("role", "status"), [("owner", 403), ("anonymous", 401), ("admin", 201)])
def test_only_sync_or_admin_reports_sales(empty_client, world, role, status):
    sale = {"external_order_id": "X-1", "lines": [{"sku": world["product"].sku, "quantity": 1}]}
    response = empty_client.post("/api/v1/marketplaces/shopee/orders", json=sale, headers=auth(world["tokens"][role]))
    assert response.status_code == status
    db.session.expire_all()
    assert db.session.get(Product, world["product"].id).stock == (9 if status == 201 else 10)


def test_the_same_sale_reported_concurrently_takes_stock_once(app, world):
    import requests

    sale = {"external_order_id": "SHP-RACE", "lines": [{"sku": world["product"].sku, "quantity": 2}]}
    headers = auth(world["tokens"]["sync_token"])

    with serving(app) as base:
        url = f"{base}/api/v1/marketplaces/shopee/orders"
        statuses = race(8, lambda _: requests.post(url, json=sale, headers=headers, timeout=60).status_code)

    assert Counter(statuses) == {201: 1, 200: 7}
    db.session.expire_all()
    assert db.session.get(Product, world["product"].id).stock == 8
    assert db.session.scalar(select(func.count(MarketplaceSale.id))) == 1


def test_expired_certificate_enters_the_feed_once_as_not_listable(app, empty_client, world):
    ref, maker = world["ref"], world["owner_producer"]
    fading = factories.product("Chè Bình Liêu", maker, ref["processed"], issued_on=date(2023, 11, 20))
    db.session.commit()
    token = world["tokens"]["sync_token"]
    _, cursor = _drain(empty_client, token)

    first = app.test_cli_runner().invoke(args=["sync", "notice-expired"])
    second = app.test_cli_runner().invoke(args=["sync", "notice-expired"])

    assert "1 product(s)" in first.output and "0 product(s)" in second.output
    [item] = _feed(empty_client, token, cursor).get_json()["items"]
    assert (item["sku"], item["listable"], item["ocop"]) == (fading.sku, False, None)


def test_google_feeds_list_what_is_on_sale(empty_client, world):
    empty_client.delete(f"/api/v1/products/{world['other_product'].id}", headers=auth(world["tokens"]["admin"]))

    xml = ElementTree.fromstring(empty_client.get("/feeds/google.xml").data)
    csv_text = empty_client.get("/feeds/google.csv").get_data(as_text=True)

    namespace = {"g": "http://base.google.com/ns/1.0"}
    items = xml.findall("./channel/item")
    assert [item.findtext("g:id", namespaces=namespace) for item in items] == [world["product"].sku]
    assert items[0].findtext("g:price", namespaces=namespace) == "85000 VND"
    assert items[0].findtext("g:availability", namespaces=namespace) == "in_stock"
    assert items[0].findtext("link") == f"http://shop.test/products/{world['product'].slug}"
    assert (
        items[0].findtext("g:google_product_category", namespaces=namespace) == "Food, Beverages & Tobacco > Food Items"
    )
    assert csv_text.splitlines()[0].startswith("id,title,description,link,image_link,price")
    assert world["product"].sku in csv_text and world["other_product"].sku not in csv_text
