"""Marketplace uploads get the JPEG rendition of a seeded SVG placeholder; the fakes refuse SVG as Shopee does."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from catalogue.extensions import db
from catalogue.products.models import Product
from catalogue.seeding import write_placeholder
from catalogue.storage import storage
from marketplace_sync.mapping import Listing
from marketplace_sync.marketplace import RejectedError
from tests.sync.marketplace_fakes import IMAGE_MAGIC
from tests.sync.sync_fixtures import (  # noqa: F401 - the *_fixture names register fixtures
    lazada_adapter,
    lazada_fixture,
    shop_fixture,
    shopee_adapter,
    shopee_fixture,
    worker,
)

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])


def _with_svg_placeholder(app, product_id: int) -> bytes:
    """Give the product a seeded-style SVG placeholder; returns the bytes of its JPEG rendition."""
    media = Path(app.config["MEDIA_ROOT"])
    product = db.session.get(Product, product_id)
    spec = {"sku": product.sku, "name": product.name, "group_code": product.category.group.code}
    product.images[0].path = write_placeholder(storage(), spec)
    db.session.commit()
    return (media / f"placeholders/{product.sku.lower()}.jpg").read_bytes()


def test_a_product_with_an_svg_placeholder_reaches_both_marketplaces_as_a_jpeg(app, shop, shopee, lazada):
    product_id, sku = shop.listable[0]
    rendition = _with_svg_placeholder(app, product_id)

    for adapter in [shopee_adapter(shopee), lazada_adapter(lazada)]:
        worker(shop, adapter).run_once()

    assert shopee.refused_images == 0 and lazada.refused_images == 0
    assert rendition in shopee.uploaded_images and rendition in lazada.migrated_images
    assert all(content.startswith(IMAGE_MAGIC) for content in shopee.uploaded_images + lazada.migrated_images)
    assert {name: listing["status"] for name, listing in shop.listings(product_id).items()} == {
        "shopee": "live",
        "lazada": "live",
    }
    assert shopee.skus()[sku] == 1 and lazada.skus()[sku] == 1


def _svg_listing(shop, sku: str) -> Listing:
    svg = shop.api("GET", f"/products/{shop.listable[1][0]}").json()["images"][0]["url"]
    assert svg.endswith(".svg")
    return Listing(sku, "Chè", "Chè Bình Liêu", 90000, 5, 0.5, 100017, (svg,), (("logistics", (70001,)),))


def test_shopee_is_never_sent_an_svg(app, shop, shopee):
    _with_svg_placeholder(app, shop.listable[1][0])
    adapter = shopee_adapter(shopee)

    with pytest.raises(RejectedError, match="not a JPEG or PNG"):
        adapter.create(_svg_listing(shop, "QN-SVG-1"))

    assert shopee.uploaded_images == [] and shopee.skus() == {}


def test_the_fakes_refuse_an_svg_as_the_platforms_do(app, shop, shopee, lazada):
    _with_svg_placeholder(app, shop.listable[1][0])
    svg_url = _svg_listing(shop, "QN-SVG-2").image_urls[0]

    with pytest.raises(RejectedError, match="InvalidImage"):
        lazada_adapter(lazada).create(_svg_listing(shop, "QN-SVG-2"))
    svg = requests.get(svg_url, timeout=5).content
    with pytest.raises(RejectedError, match="error_param"):  # sent past our own check, the way a bug would
        shopee_adapter(shopee)._call("POST", "media_space/upload_image", files=lambda: {"image": ("image", svg)})

    assert shopee.refused_images == 1 and lazada.refused_images == 1
    assert lazada.skus() == {} and shopee.images == set()
