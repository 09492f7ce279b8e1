"""Every product reaches every marketplace or says why: tours as vouchers, an unmapped set as "not offered"."""

from __future__ import annotations

import copy

import pytest

import marketplace_sync.mapping as mapping
from marketplace_sync.mapping import NotOffered, to_listing
from tests.access_helpers import auth, cast, portal_client
from tests.sync.sync_fixtures import (  # noqa: F401 - the *_fixture names register fixtures
    lazada_adapter,
    lazada_fixture,
    shop_fixture,
    shopee_adapter,
    shopee_fixture,
    worker,
)

TOUR = {
    "sku": "QN-DL-0001",
    "name": "Trải nghiệm du lịch cộng đồng làng gốm Đông Triều",
    "description": "<p>Du khách tham quan lò gốm.</p>",
    "category_code": "du-lich-cong-dong",
    "net_weight_g": None,
    "price_vnd": 150000,
    "stock": 20,
    "images": [{"url": "http://127.0.0.1/media/p.svg", "raster_url": "http://127.0.0.1/media/p.jpg"}],
}


@pytest.mark.parametrize(("marketplace", "category"), [("shopee", 101945), ("lazada", 10003180)])
def test_a_community_tour_is_listed_in_the_vouchers_and_services_category(marketplace, category):
    listing = to_listing(TOUR, marketplace)

    assert (listing.category_id, listing.weight_kg, listing.image_urls) == (
        category,
        0.01,
        ("http://127.0.0.1/media/p.jpg",),
    )
    assert listing.description == "Du khách tham quan lò gốm."


def test_a_product_set_with_no_category_is_not_offered_there():
    with pytest.raises(NotOffered, match="Not offered on Shopee: Product set 'xe-dap' has no Shopee category."):
        to_listing({**TOUR, "category_code": "xe-dap"}, "shopee")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_unmapped_products_are_recorded_not_offered_with_no_call_and_no_error(shop, shopee, monkeypatch):
    data = copy.deepcopy(mapping.mappings())
    code = shop.api("GET", f"/products/{shop.listable[0][0]}").json()["category"]["code"]
    del data["shopee"]["categories"][code]
    monkeypatch.setattr(mapping, "mappings", lambda: data)
    each = worker(shop, shopee_adapter(shopee))

    summary = each.run_once()

    assert (summary.not_offered, summary.errors, summary.complete) == (6, 0, True)  # the weightless one too
    assert shopee.served() == ["/api/v2/product/search_item"]  # the archived product's look-up only
    listing = shop.listings(shop.listable[0][0])["shopee"]
    assert (listing["status"], listing["pushed"]) == ("not_offered", None)
    assert listing["error"] == f"Not offered on Shopee: Product set '{code}' has no Shopee category."
    shopee.reset_log()
    assert each.run_once().calls == 0 and shopee.calls == []


@pytest.mark.parametrize("backend", ["sqlite"])  # no database-specific behaviour here
def test_the_producer_reads_not_offered_in_vietnamese(app, empty_client, backend):
    world = cast()
    url = f"/api/v1/products/{world['product'].id}/listings/shopee"
    state = {"status": "not_offered", "error": "Not offered on Shopee: no category", "synced_version": 1}
    assert empty_client.put(url, json=state, headers=auth(world["tokens"]["sync_token"])).status_code == 200

    html = portal_client(app, world, "owner").get("/portal/").get_data(as_text=True)

    assert "Shopee: không bán trên sàn này" in html
    assert "chưa có ngành hàng trên sàn; không phải lỗi" in html and "Not offered on Shopee" not in html
