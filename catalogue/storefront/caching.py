"""HTTP caching for storefront pages: a shared render with per-session holes, and ETags.

A page is the same for every shopper but for three things: the CSRF token (one per
session), the cart count and flashed messages. So a page is rendered once per
(path, query string, locale, today) and shown revision — the public answers cache,
see catalogue/caching.py for why it is exact — with the token and the count cut out
into fixed slots, and every request fills the slots with its own values. A session
with flashed messages gets a page of its own, neither read from nor stored in the cache.

A product page shows its product's stock level ("only 3 left", the quantity field's
maximum): `cacheable(watch_slug=True)` reads that product's version by the page's slug
in the same statement as the revision, before rendering, and a moved version is a miss.
Listing pages show stock only as the "sold out" badge and in-stock counts, which only a
move to or from zero changes, and such a move moves the revision.

Pages stay `private` for browsers and proxies (they carry the shopper's token);
the ETag, computed on the final bytes, lets a browser revalidate and get a 304.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import wraps

from flask import Response, g, make_response, request, session
from flask_wtf.csrf import generate_csrf

from catalogue import metrics
from catalogue.caching import Entry, request_key, request_state, response_cache, shareable
from catalogue.products.freshness import Watch
from catalogue.storefront import select_locale

CSRF_SLOT = "__csrf_token_slot__"
CART_COUNT_SLOT = "__cart_count_slot__"
SCAN_COUNT_SLOT = "__scan_count_slot__"  # the origin page's scan count (catalogue.storefront.resolver)
_CART_COUNT = re.compile(r'(<span class="badge" data-testid="cart-count">)\d+(</span>)')
_SLOTS = re.compile(f"({CSRF_SLOT}|{CART_COUNT_SLOT}|{SCAN_COUNT_SLOT})")


@dataclass(frozen=True)
class PageTemplate:
    """A rendered page with slots for the session's CSRF token and cart count.

    Kept as UTF-8 pieces between the slots (`parts`, the slot names in between), so
    filling it is one join of bytes: no search, no re-encoding of the page.
    """

    parts: tuple[bytes | str, ...]
    headers: tuple[tuple[str, str], ...]

    @classmethod
    def cut(cls, html: str, headers: tuple[tuple[str, str], ...]) -> PageTemplate:
        """The template of `html`, in which the slots have been written."""
        pieces = _SLOTS.split(html)  # text, slot, text, slot, …, text
        return cls(tuple(piece if index % 2 else piece.encode() for index, piece in enumerate(pieces)), headers)

    @property
    def needs_csrf(self) -> bool:
        """The page holds a form that carries the session's CSRF token (the language switch carries none)."""
        return CSRF_SLOT in self.parts

    def fill(self, cart_count: int, scan_count: int = 0) -> Response:
        """This session's page. The CSRF token is made (and kept in the session) only for a page with a form that
        needs one: a first visit to a page without one signs nothing and sets no cookie."""
        values = {
            CSRF_SLOT: generate_csrf().encode() if self.needs_csrf else b"",
            CART_COUNT_SLOT: str(cart_count).encode(),
            SCAN_COUNT_SLOT: str(scan_count).encode(),
        }
        body = b"".join(values[piece] if isinstance(piece, str) else piece for piece in self.parts)
        return Response(body, status=200, headers=list(self.headers))


def cacheable(view=None, *, watch_slug: bool = False):
    """Serve the page through the shared-render cache; add an ETag and answer 304 when it matches.

    `watch_slug`: the page shows the stock of the product whose slug is the `slug` path argument.
    """
    if view is None:
        return lambda function: cacheable(function, watch_slug=watch_slug)

    @wraps(view)
    def wrapper(*args, **kwargs):
        watch = Watch(slug=kwargs["slug"]) if watch_slug else None
        response = _shared_render(view, args, kwargs, watch)
        if response.status_code == 200:
            response.add_etag()
            response.headers["Cache-Control"] = "private, no-cache"
            response.headers["Vary"] = "Cookie"
            response.make_conditional(request)
        return response

    return wrapper


def _shared_render(view, args, kwargs, watch: Watch | None) -> Response:
    cache = response_cache()
    if cache is None or session.get("_flashes"):
        return make_response(view(*args, **kwargs))
    # The raw query string too: the language form sends the shopper back to this exact URL. The locale is
    # keyed by what the selector returns (Babel's locale is a function of it), not parsed on every request.
    key = request_key(select_locale(), request.query_string)
    state = request_state(watch)
    entry = cache.get(key)
    if entry is not None and entry.fresh(state):
        metrics.CACHE.labels("hit").inc()
        return entry.answer.fill(cart_count())
    metrics.CACHE.labels("miss").inc()
    response = make_response(view(*args, **kwargs))
    template = cut_slots(response) if shareable(response) else None
    if template is not None:
        cache.put(key, Entry(template, state.revision, state.versions()))
    return response


def cut_slots(response: Response) -> PageTemplate | None:
    """The page with the session's token (if its render made one) and cart count cut out, or None if they are not
    where expected."""
    if response.mimetype != "text/html":
        return None
    html = response.get_data(as_text=True)
    html, counts = _CART_COUNT.subn(rf"\g<1>{CART_COUNT_SLOT}\g<2>", html)
    csrf_token = g.get("csrf_token")  # flask_wtf keeps the request's signed token there once a form asked for it
    if counts != 1 or (csrf_token is not None and csrf_token not in html):
        return None  # a page this cache does not understand is never shared
    headers = tuple((name, value) for name, value in response.headers.items() if name != "Content-Length")
    return PageTemplate.cut(html.replace(csrf_token, CSRF_SLOT) if csrf_token else html, headers)


def cart_count() -> int:
    return sum(session.get("cart", {}).values())
