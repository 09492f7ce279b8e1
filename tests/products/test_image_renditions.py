"""Every product shows a picture; og:image, JSON-LD, the Google feed and marketplace uploads get JPEG/PNG, never SVG."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from catalogue.extensions import db
from catalogue.products.models import Product, ProductImage
from catalogue.seeding import seed_catalogue, write_placeholder
from catalogue.storage.local import LocalStorage
from tests import factories

RASTER = ("image/jpeg", "image/png")


def _local(client, url: str):
    return client.get(url.replace("http://shop.test", ""))


def _og_image(html: str) -> str:
    return re.search(r'<meta property="og:image" content="([^"]+)">', html).group(1)


def test_a_seeded_product_shares_a_jpeg_rendition_of_its_svg_placeholder(client):
    product = db.session.scalar(select(Product).where(Product.sku == "QN-BL-0001"))
    assert product.images[0].path.endswith(".svg")  # the storefront still shows the crisp SVG

    html = client.get(f"/products/{product.slug}").get_data(as_text=True)

    og_image = _og_image(html)
    assert og_image == "http://shop.test/media/placeholders/qn-bl-0001.jpg"
    answer = _local(client, og_image)
    assert answer.status_code == 200 and answer.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(answer.data)).size == (800, 800)
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.+?)</script>', html).group(1))
    assert ld["image"] == [og_image]


def test_a_product_without_a_photo_shows_and_shares_the_no_photo_picture(app):
    ref = factories.reference_data()
    maker = factories.producer("HTX Chè Bình Liêu", ref["binh_lieu"])
    bare = factories.product("Chè Bình Liêu", maker, ref["processed"])
    db.session.commit()
    client = app.test_client()

    page = client.get(f"/products/{bare.slug}").get_data(as_text=True)
    listing = client.get("/products").get_data(as_text=True)

    gallery = page[page.index('<div class="gallery">') : page.index('<div class="buy">')]
    assert 'data-testid="no-photo"' in gallery and 'alt="Chưa có ảnh: Chè Bình Liêu"' in gallery
    card = listing[listing.index('<li class="card">') :]
    assert 'data-testid="no-photo"' in card[: card.index("</li>")]
    og_image = _og_image(page)
    assert re.fullmatch(r"http://shop\.test/static/no-photo\.jpg", og_image)
    answer = client.get(og_image.replace("http://shop.test", ""))
    assert answer.status_code == 200 and answer.mimetype == "image/jpeg"


def test_the_google_feeds_link_only_raster_images(client):
    xml = client.get("/feeds/google.xml").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(client.get("/feeds/google.csv").get_data(as_text=True))))

    links = re.findall(r"<g:image_link>([^<]+)</g:image_link>", xml)
    assert len(links) == len(rows) > 300
    assert [row["image_link"] for row in rows] == links
    assert all(link.endswith(".jpg") for link in links)
    for link in links[:3]:
        assert _local(client, link).mimetype in RASTER


def test_the_api_gives_each_image_a_raster_url(client):
    image = client.get("/api/v1/products?per_page=1").get_json()["items"][0]["images"][0]

    assert image["url"].endswith(".svg")
    assert image["raster_url"] == image["url"][: -len(".svg")] + ".jpg"
    assert _local(client, image["raster_url"]).mimetype == "image/jpeg"


def test_an_uploaded_photo_is_its_own_raster(app):
    ref = factories.reference_data()
    maker = factories.producer("HTX Miến dong", ref["binh_lieu"])
    product = factories.product("Miến dong", maker, ref["processed"])
    product.images.append(ProductImage(path="products/x/photo.jpg", alt="", width=10, height=10, position=0))
    db.session.commit()

    image = app.test_client().get(f"/api/v1/products/{product.id}").get_json()["images"][0]

    assert image["raster_url"] == image["url"] == "http://shop.test/media/products/x/photo.jpg"


def test_seeding_draws_a_missing_rendition_again_and_leaves_present_ones(app):
    first = seed_catalogue()
    media = Path(app.config["MEDIA_ROOT"])
    rendition = media / "placeholders/qn-bl-0001.jpg"
    other = media / "placeholders/qn-bl-0002.jpg"
    assert first.renditions_drawn == 0  # drawn with their SVGs
    other_stamp = other.stat().st_mtime_ns
    rendition.unlink()

    again = seed_catalogue()

    assert again.renditions_drawn == 1 and again.products_created == 0
    with Image.open(rendition) as picture:
        assert (picture.format, picture.size) == ("JPEG", (800, 800))
    assert other.stat().st_mtime_ns == other_stamp


def test_a_placeholder_rendition_names_the_product_in_vietnamese_letters(app, tmp_path):
    spec = {"sku": "QN-X-1", "name": "Trà hoa vàng Ba Chẽ", "group_code": "do-uong"}
    relative = write_placeholder(LocalStorage(tmp_path), spec)

    with Image.open(tmp_path / "placeholders/qn-x-1.jpg") as picture:
        colours = picture.convert("RGB").getcolors(maxcolors=1_000_000)
    assert relative == "placeholders/qn-x-1.svg"
    assert len(colours) > 50  # text was drawn, not a flat square
