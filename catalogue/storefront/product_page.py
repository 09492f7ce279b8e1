"""The product page, assembled: what every shopper sees alike is rendered once per product and shown revision.

A response-cache miss of a product page (a sale moved the product's version, the entry was
evicted, or `RESPONSE_CACHE_SIZE=0`) used to render the whole page with Jinja, its related
cards included, and load the product with its details and the related products: most of the
page's time. Of all that, only the stock level ("only 3 left", the quantity field's maximum)
and the session's parts (the add-to-cart form's CSRF token, the layout's cart count and
language form) can change without moving the shown revision: every other thing the page
shows — the product's names, price, pictures, certificate, producer, product set, related
products and, since a move to or from zero moves the revision, whether it is in stock — is
covered by the shown revision (catalogue.products.revision) and today's date (which
certificate is valid). So the parts in storefront/_product_parts.html are rendered once per
(slug, locale, host facts, today, shown revision) and kept in the fragment cache
(catalogue.products.fragments.remembered: the revision is read before they are computed, and a
session with uncommitted catalogue writes neither reads nor fills it); every request reads the
product's stock by primary key and renders only the stock lines, the form and the layout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask import current_app, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy import select

from catalogue.errors import NotFound
from catalogue.extensions import db
from catalogue.products import fragments
from catalogue.products.models import Product
from catalogue.storefront import select_locale
from catalogue.urls import absolute_url

PARTS_TEMPLATE = "storefront/_product_parts.html"


@dataclass(frozen=True)
class ProductParts:
    """The rendered parts of one product's page that are the same for every shopper and every stock level."""

    product_id: int
    title: Markup
    description: Markup
    canonical: Markup
    meta: Markup
    top: Markup
    bottom: Markup


def render_parts(product: Product, today: date) -> ProductParts:
    """Render `product`'s shared parts (its related products included) as of `today`."""
    macros = current_app.jinja_env.get_template(PARTS_TEMPLATE).module
    page_url = absolute_url(url_for("storefront.product", slug=product.slug))
    return ProductParts(
        product_id=product.id,
        title=macros.title(product),
        description=macros.description(product),
        canonical=macros.canonical(page_url),
        meta=macros.meta(product, page_url),
        top=macros.top(product, product.rating_on(today)),
        bottom=macros.bottom(product, fragments.related_products(product, today)),
    )


def product_page(slug: str, today: date, load: Callable[[], Product], form_for: Callable[[int], object]) -> str:
    """The page of the product `slug`; `load()` gives the product when its parts must be rendered (or raises NotFound).

    `form_for(product_id)` gives this request's add-to-cart form.
    """
    loaded: dict[str, int] = {}

    def compute() -> ProductParts:
        product = load()
        loaded["stock"] = product.stock
        return render_parts(product, today)

    asked = (slug, select_locale(), request.scheme, request.host, request.root_path)
    parts = fragments.remembered("product page", asked, today, compute)
    stock = loaded["stock"] if loaded else _stock(parts.product_id)
    return render_template("storefront/product.html", parts=parts, stock=stock, form=form_for(parts.product_id))


def _stock(product_id: int) -> int:
    """The product's stock as committed now: the one thing on its page a sale changes without moving the revision."""
    stock = db.session.scalar(select(Product.stock).where(Product.id == product_id))
    if stock is None:
        raise NotFound(f"No product with id {product_id} is on sale.")
    return stock
