"""A product's GTIN reaches the marketplace that takes one (Shopee's gtin_code); without one nothing changes."""

from marketplace_sync.mapping import to_listing
from marketplace_sync.shopee import ShopeeAdapter, ShopeeCredentials

PRODUCT = {
    "sku": "QN-BL-0001",
    "name": "Miến dong Bình Liêu",
    "description": "<p>Miến dong</p>",
    "price_vnd": 85000,
    "stock": 10,
    "net_weight_g": 500,
    "category": {"code": "thuc-pham-che-bien"},
    "images": [{"url": "http://shop.test/a.svg", "raster_url": "http://shop.test/a.jpg"}],
}


def _shopee() -> ShopeeAdapter:
    return ShopeeAdapter(
        "http://127.0.0.1:1", ShopeeCredentials(partner_id=1, partner_key="k", shop_id=2, access_token="t")
    )


def test_the_shopee_item_carries_the_gtin_when_the_product_has_one():
    with_gtin = to_listing({**PRODUCT, "gtin": "8935049500018"}, "shopee")
    without = to_listing({**PRODUCT, "gtin": None}, "shopee")

    assert _shopee()._item_body(with_gtin, ["img"])["gtin_code"] == "8935049500018"
    assert "gtin_code" not in _shopee()._item_body(without, ["img"])
    # A GTIN set later is a content change (one update); no GTIN keeps the listing's old fingerprint.
    assert with_gtin.content_key() != without.content_key()
    assert without.content_key() == to_listing(PRODUCT, "shopee").content_key()
