"""Pull feeds for marketplaces that fetch: Google Merchant Center XML (RSS 2.0) and CSV."""

from __future__ import annotations

import io
import json
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

import nh3
from flask import Blueprint, Response
from sqlalchemy.orm import joinedload, selectinload

from catalogue import clock
from catalogue.extensions import db
from catalogue.products.models import Category, Product
from catalogue.products.services import publicly_listed
from catalogue.spreadsheets import CsvDictWriter
from catalogue.urls import absolute_url, product_url, raster_image_url

feeds = Blueprint("feeds", __name__, url_prefix="/feeds")
CATEGORIES_FILE = Path(__file__).with_name("google_categories.json")
FIELDS = (
    "id",
    "title",
    "description",
    "link",
    "image_link",
    "price",
    "availability",
    "condition",
    "brand",
    "google_product_category",
    "identifier_exists",
)


@lru_cache(maxsize=1)
def _categories() -> dict[str, str]:
    return json.loads(CATEGORIES_FILE.read_text(encoding="utf-8"))


def google_category(category_code: str) -> str | None:
    """Google's product taxonomy path for an OCOP product set, if mapped."""
    return _categories().get(category_code)


def _feed_items() -> list[dict[str, str]]:
    """One entry per product on sale now (active, rated today)."""
    products = db.session.scalars(
        publicly_listed(clock.today())
        .options(
            joinedload(Product.producer),
            joinedload(Product.category).joinedload(Category.group),
            selectinload(Product.images),
        )
        .order_by(Product.id)
    ).unique()
    return [
        {
            "id": product.sku[:50],
            "title": product.name[:150],
            "description": nh3.clean(product.description, tags=set()).strip()[:5000] or product.name,
            "link": product_url(product.slug),
            "image_link": raster_image_url(product),
            "price": f"{product.price_vnd} VND",
            "availability": "in_stock" if product.stock > 0 else "out_of_stock",
            "condition": "new",
            "brand": product.producer.name,
            "google_product_category": google_category(product.category.code) or "",
            "identifier_exists": "no",
        }
        for product in products
    ]


@feeds.get("/google.xml")
def google_xml():
    """Google Merchant Center product feed (RSS 2.0 with the g: namespace)."""
    entries = []
    for item in _feed_items():
        fields = "".join(
            f"<g:{name}>{escape(value)}</g:{name}>"
            if name not in ("title", "description", "link")
            else f"<{name}>{escape(value)}</{name}>"
            for name, value in item.items()
            if value
        )
        entries.append(f"<item>{fields}</item>")
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel>'
        f"<title>OCOP Quảng Ninh</title><link>{escape(absolute_url('/'))}</link>"
        "<description>Sản phẩm OCOP 3–5 sao của Quảng Ninh</description>" + "".join(entries) + "</channel></rss>"
    )
    return Response(body, mimetype="application/xml", headers={"Cache-Control": "public, max-age=900"})


@feeds.get("/google.csv")
def google_csv():
    """The same feed as CSV (Google accepts tab- or comma-separated; this is comma)."""
    buffer = io.StringIO()
    writer = CsvDictWriter(buffer, fieldnames=FIELDS)
    writer.writeheader()
    writer.writerows(_feed_items())
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={
            "Cache-Control": "public, max-age=900",
            "Content-Disposition": 'inline; filename="ocop-quangninh-google.csv"',
        },
    )
