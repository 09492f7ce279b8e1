"""Findability: sitemap.xml and robots.txt."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, send_from_directory, url_for
from sqlalchemy import select

from catalogue import clock
from catalogue.extensions import db
from catalogue.geography.models import Locality
from catalogue.ids import parse_id
from catalogue.producers.models import Producer
from catalogue.products.models import Product
from catalogue.products.services import publicly_listed
from catalogue.storefront.pages import POLICY_ENDPOINTS
from catalogue.urls import absolute_url

seo = Blueprint("seo", __name__)

URLS_PER_SITEMAP = 45_000  # the protocol allows 50 000 per file


@seo.get("/sitemap.xml")
def sitemap():
    """Every public page; a sitemap index when products need several files."""
    today = clock.today()
    product_total = db.session.scalar(publicly_listed(today, db.func.count(Product.id))) or 0
    if product_total > URLS_PER_SITEMAP:
        parts = range(1, -(-product_total // URLS_PER_SITEMAP) + 1)
        urls = [absolute_url(url_for("seo.sitemap_part", number=n)) for n in ("pages", *parts)]
        return _xml("seo/sitemap_index.xml", sitemaps=urls)
    return _xml("seo/sitemap.xml", urls=_page_urls() + _product_urls(today, 0, URLS_PER_SITEMAP))


@seo.get("/sitemap-<number>.xml")
def sitemap_part(number: str):
    """One file of a split sitemap: `pages`, or the n-th block of products."""
    if number == "pages":
        return _xml("seo/sitemap.xml", urls=_page_urls())
    block = parse_id(number)  # bounded: a 30-digit block number is not found, not an OFFSET overflow
    if block is None:
        return Response("Not found", status=404)
    offset = (block - 1) * URLS_PER_SITEMAP
    return _xml("seo/sitemap.xml", urls=_product_urls(clock.today(), offset, URLS_PER_SITEMAP))


@seo.get("/favicon.ico")
def favicon():
    """The shop's small icon, which browsers ask for at the root whatever the page says (was a 404)."""
    return send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon",
                               max_age=7 * 24 * 3600)  # fmt: skip


@seo.get("/robots.txt")
def robots():
    """Let crawlers in, keep them out of carts, checkout, the portal and the API."""
    body = "\n".join(
        [
            "User-agent: *",
            "Disallow: /cart",
            "Disallow: /checkout",
            "Disallow: /portal",
            "Disallow: /api/",
            f"Sitemap: {absolute_url('/sitemap.xml')}",
            "",
        ]
    )
    return Response(body, mimetype="text/plain")


def _page_urls() -> list[str]:
    producers = db.session.scalars(select(Producer.slug).order_by(Producer.id))
    localities = db.session.scalars(select(Locality.code).order_by(Locality.position))
    policies = [absolute_url(url_for(f"storefront.{endpoint}")) for endpoint in POLICY_ENDPOINTS]
    return (
        [absolute_url("/"), absolute_url("/products")]
        + policies
        + [absolute_url(f"/producers/{slug}") for slug in producers]
        + [absolute_url(f"/localities/{code}") for code in localities]
    )


def _product_urls(today, offset: int, limit: int) -> list[str]:
    slugs = db.session.scalars(publicly_listed(today, Product.slug).order_by(Product.id).offset(offset).limit(limit))
    return [absolute_url(f"/products/{slug}") for slug in slugs]


def _xml(template: str, **context) -> Response:
    response = Response(render_template(template, **context), mimetype="application/xml")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
