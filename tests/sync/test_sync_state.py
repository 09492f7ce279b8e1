"""The workers' memory is the listing record on the server: any worker on any machine decides alike."""

from __future__ import annotations

import pytest

from tests.access_helpers import auth, cast
from tests.sync.sync_fixtures import (  # noqa: F401 - the *_fixture names register fixtures
    shop_fixture,
    shopee_adapter,
    shopee_fixture,
    worker,
)

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])


def _set_price(shop, product_id: int, price: int) -> None:
    etag = shop.api("GET", f"/products/{product_id}").headers["ETag"]
    answer = shop.api("PATCH", f"/products/{product_id}", json={"price_vnd": price}, headers={"If-Match": etag})
    assert answer.status_code == 200, answer.text


def _run(fake, each) -> list[str]:
    fake.reset_log()
    summary = each.run_once()
    assert summary.complete
    return fake.served()


def test_two_workers_on_two_machines_alternate_without_skipping_or_repeating_a_push(shop, shopee):
    # Two workers that share nothing but our API (no file, no process): as on two machines.
    first, second = worker(shop, shopee_adapter(shopee)), worker(shop, shopee_adapter(shopee))
    product_id, sku = shop.listable[1]

    # Search, upload, add_item for each listable product; a search for the archived one.
    assert len(_run(shopee, first)) == 3 * 5 + 1
    assert _run(shopee, second) == []  # the other machine knows it was all pushed

    _set_price(shop, product_id, 99000)
    assert _run(shopee, second) == ["/api/v2/product/update_price"]
    assert _run(shopee, first) == []

    _set_price(shop, product_id, 86000)  # back to the price the first worker once pushed itself
    assert _run(shopee, first) == ["/api/v2/product/update_price"]
    assert shopee.by_sku(sku)["price"] == 86000
    assert _run(shopee, second) == []

    listing = shop.listings(product_id)["shopee"]
    assert listing["pushed"]["price_vnd"] == 86000 and listing["pushed"]["stock"] == 10
    assert listing["synced_version"] == shop.api("GET", f"/products/{product_id}").json()["version"]


def test_the_feed_carries_each_products_listing_records(empty_client, app):
    world = cast()
    token, product = world["tokens"]["sync_token"], world["product"]
    pushed = {"price_vnd": 85000, "stock": 10, "content": "0123456789abcdef"}
    state = {"external_id": "812345", "status": "live", "synced_version": product.version, "pushed": pushed}
    url = f"/api/v1/products/{product.id}/listings/shopee"

    assert empty_client.put(url, json=state, headers=auth(token)).status_code == 200
    error = {"status": "error", "error": "Shopee refused", "synced_version": product.version}
    assert empty_client.put(url, json=error, headers=auth(token)).status_code == 200  # no "pushed": kept

    items = empty_client.get("/api/v1/sync/changes", headers=auth(token)).get_json()["items"]
    [listing] = [item["listings"] for item in items if item["id"] == product.id]
    assert listing["shopee"]["pushed"] == pushed and listing["shopee"]["status"] == "error"
    assert listing["shopee"]["external_id"] == "812345"

    cleared = {"status": "delisted", "synced_version": product.version, "pushed": None}
    assert empty_client.put(url, json=cleared, headers=auth(token)).get_json()["pushed"] is None


@pytest.mark.parametrize(
    "pushed",
    [
        {"price_vnd": -1, "stock": 1, "content": "x"},
        {"price_vnd": 1, "stock": 1},
        {"price_vnd": 1, "stock": 1, "content": "x", "y": 1},
    ],
)
def test_a_bad_pushed_fingerprint_is_422_and_records_nothing(empty_client, app, pushed):
    world = cast()
    url = f"/api/v1/products/{world['product'].id}/listings/shopee"

    answer = empty_client.put(
        url, json={"status": "live", "pushed": pushed}, headers=auth(world["tokens"]["sync_token"])
    )

    assert answer.status_code == 422 and "pushed" in answer.get_json()["errors"]
    listed = empty_client.get(
        f"/api/v1/products/{world['product'].id}/listings", headers=auth(world["tokens"]["admin"])
    )
    assert listed.get_json()["items"] == []
