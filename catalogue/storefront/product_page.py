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
(catalogue.fragments.remembered: the revision is read before they are computed, and a
session with uncommitted catalogue writes neither reads nor fills it); every request reads the
product's stock with the revision, in one statement (catalogue.caching.first_state), and renders
only the stock lines, the form and the layout.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask import Response, current_app, render_template, request, session, url_for
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from catalogue import fragments
from catalogue.caching import first_state, watched_state
from catalogue.errors import NotFound
from catalogue.products.freshness import State, Watch
from catalogue.products.models import Product
from catalogue.storefront import select_locale
from catalogue.storefront.forms import AddToCartForm
from catalogue.urls import absolute_url

PAGE_TEMPLATE = "storefront/product.html"
PARTS_TEMPLATE = "storefront/_product_parts.html"
STOCK_TEMPLATE = "storefront/_product_stock.html"
_SLOTS = ("title", "description", "canonical", "meta", "content", "next", "cart")
_MARKER = "\x00slot:"  # the layout shows no catalogue data, and no NUL: only the markers can match
_TOKEN = f"{_MARKER}token{_MARKER}"  # the CSRF token in the kept stock lines
_MARKED = re.compile(f"{_MARKER}([a-z]+){_MARKER}")
_CART_COUNT = re.compile(r'(<span class="badge" data-testid="cart-count">)\d+(</span>)')


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
    macros = _macros(PARTS_TEMPLATE)
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


def product_page(slug: str, today: date, load: Callable[[], Product], refused: AddToCartForm | None = None) -> Response:
    """The page of the product `slug`; `load()` gives the product when its parts must be rendered (or raises NotFound).

    `refused`: the add-to-cart form as the shopper sent it, shown with its errors; by default a new one.
    """
    loaded: dict[str, int] = {}

    def compute() -> ProductParts:
        product = load()
        loaded["stock"] = product.stock
        return render_parts(product, today)

    # The revision and this product's stock in one statement (unless the response cache read them already).
    state = first_state(Watch(slug=slug))
    facts = (select_locale(), request.scheme, request.host, request.root_path)
    parts = fragments.remembered("product page", (slug, *facts), today, compute)
    stock = loaded["stock"] if loaded else _stock(parts.product_id, state)
    # The one place that says whether a page has the add-to-cart form: while there is stock. A sold-out page
    # shows none, so no token is made for it: it is kept and sets no cookie.
    has_form = stock > 0
    token = generate_csrf() if has_form else None
    if refused is not None:
        stock_lines = _macros(STOCK_TEMPLATE).stock_and_form(stock, refused if has_form else None)
    else:  # the same for every shopper at this stock level but for the token
        kept = fragments.remembered(
            "product stock",
            (parts.product_id, stock, *facts),
            today,
            lambda: _stock_lines(parts.product_id, stock, token),
        )
        stock_lines = Markup(kept.replace(_TOKEN, token) if token is not None else kept)
    values = {
        "title": parts.title,
        "description": parts.description,
        "canonical": parts.canonical,
        "meta": parts.meta,
        "content": parts.top + stock_lines + parts.bottom,
        "next": escape(request.full_path if request.query_string else request.path),
        "cart": str(sum(session.get("cart", {}).values())),
    }
    if session.get("_flashes"):  # the layout shows them once: never kept
        layout = Layout.render()
    else:
        layout = fragments.remembered("product layout", facts, today, Layout.render)
    return Response(layout.fill(values), mimetype="text/html")


@dataclass(frozen=True)
class Layout:
    """The product page's layout (base.html) as UTF-8 pieces between named slots."""

    parts: tuple[bytes | str, ...]

    @classmethod
    def render(cls) -> Layout:
        """Render storefront/product.html with a marker in each slot, and cut it there."""
        markers = {name: f"{_MARKER}{name}{_MARKER}" for name in _SLOTS}
        html = render_template(
            PAGE_TEMPLATE,
            slots={name: Markup(marker) for name, marker in markers.items()},
            next_url=Markup(markers["next"]),
        )
        html, counts = _CART_COUNT.subn(rf"\g<1>{markers['cart']}\g<2>", html)
        pieces = _MARKED.split(html)  # text, slot, text, slot, …, text
        named = [piece for index, piece in enumerate(pieces) if index % 2]
        if counts != 1 or sorted(named) != sorted(_SLOTS):
            raise RuntimeError("storefront/product.html must show each slot exactly once")
        return cls(tuple(piece if index % 2 else piece.encode() for index, piece in enumerate(pieces)))

    def fill(self, values: dict[str, str]) -> bytes:
        """The page with each slot's value (already safe HTML or plain text that needs no escaping)."""
        encoded = {name: str(value).encode() for name, value in values.items()}
        return b"".join(encoded[piece] if isinstance(piece, str) else piece for piece in self.parts)


def _stock_lines(product_id: int, stock: int, token: str | None) -> str:
    """The stock lines and a new add-to-cart form, its CSRF token replaced by a marker; sold out (no `token`), the
    lines alone (a form would make a token, and with it a session)."""
    if token is None:
        return str(_macros(STOCK_TEMPLATE).stock_and_form(stock, None))
    html = _macros(STOCK_TEMPLATE).stock_and_form(stock, AddToCartForm(product_id=product_id, quantity=1))
    return str(html).replace(token, _TOKEN)


def _macros(template: str):
    return current_app.jinja_env.get_template(template).module


def _stock(product_id: int, state: State) -> int:
    """The product's stock as this request read it (the one thing on its page a sale changes, revision unmoved).

    Read with the request's first state when that watched the product, else now (never older than the parts' key).
    """
    product = state.products.get(product_id) or watched_state(Watch(ids=(product_id,))).products.get(product_id)
    if product is None:
        raise NotFound(f"No product with id {product_id} is on sale.")
    return product.stock
