"""What a miss is made of, computed once per shown revision: products' JSON, page ids, counts, facets.

Each product serialised once per version: the API's lists are assembled from stored JSON fragments.

A miss of the response cache used to load and dump every product of a page (marshmallow:
~5 ms for 20). What a product's JSON shows depends on its own row (its `version` moves with
every change to it, stock moves included), on rows that a write to them moves the shown
revision for (its certificates, images, producer, product set and group, locality: see
catalogue.products.revision), on today's date (which certificate is valid) and on the host
facts absolute URLs are built from. So a fragment is stored under
(id, version, shown revision, today, scheme, host, root path) and can only be found by a
request that would dump the very same bytes.

The revision is read once per request before the products are loaded (the request's first
state, catalogue.caching.first_state: on the hit engine, or through the session when it is
already in a transaction), and a fragment is keyed by the version of the object it was dumped
from, so an entry is never older than its key (the argument of catalogue.caching). `FRAGMENT_CACHE_SIZE` bounds the
entries per process (0 turns it off); it is separate from the response cache, so a miss
there (or `RESPONSE_CACHE_SIZE=0`) still finds the fragments of unchanged products.

Membership, order and counts are kept the same way, apart from the products (`remembered`):
the ids and total of a list's page, its facet counts and a product's related ids, under
(what was asked, today, shown revision). What decides them — status, moderation,
certificates, prices, names, categories, localities, and stock only as above or at zero —
moves the shown revision whenever it changes (a stock move across zero included), so at
100 000 products the count and the sort run once per revision, not once per miss.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import date
from typing import TypeVar

from flask import Flask, Response, current_app, request

from catalogue.caching import LruCache, first_state, watched_state, writing
from catalogue.products import services
from catalogue.products.facets import Facets, facet_counts
from catalogue.products.freshness import Watch
from catalogue.products.models import Product
from catalogue.products.services import Page, ProductQuery

T = TypeVar("T")

DEFAULT_SIZE = 10_000
_EMPTY_ITEMS = b'"items":[]'


def request_revision() -> int:
    """The shown revision, read once per request before anything it keys is computed (catalogue.caching.first_state).

    With no ORM session in a transaction it is read on the hit engine (catalogue.products.freshness):
    on PostgreSQL one round trip, no BEGIN, ROLLBACK or pre-ping; a miss whose pieces are all kept
    then never opens a session.
    """
    return first_state().revision


def init_fragment_cache(app: Flask) -> None:
    """Give this app its own fragment store, sized by FRAGMENT_CACHE_SIZE (0: none)."""
    size = int(app.config.get("FRAGMENT_CACHE_SIZE", DEFAULT_SIZE))
    app.extensions["fragment_cache"] = LruCache(size) if size > 0 else None


def listing_response(product_ids: list[int], envelope: dict, today: date, dump) -> Response | None:
    """The JSON list `envelope` with `items` made of the products `product_ids`, or None to dump it as usual.

    `envelope` is the list already dumped by its schema with no items; `dump(ids)` gives
    (product, its dumped dict) for the products not stored yet. The bytes are those `jsonify`
    gives for the whole list: the envelope is dumped and the fragments joined into its empty array.
    """
    cache = _json_fragments()
    if cache is None:
        return None
    context = _context(today)
    watched = watched_state(Watch(ids=tuple(product_ids))).products
    versions = {product_id: watched[product_id].version for product_id in product_ids if product_id in watched}
    fragments = {product_id: cache.get((product_id, versions.get(product_id), *context)) for product_id in product_ids}
    missing = [product_id for product_id, fragment in fragments.items() if fragment is None]
    if missing:
        for product, item in dump(missing):
            fragment = current_app.json.dumps(item, separators=(",", ":")).encode()  # as `response` dumps
            cache.put((product.id, product.version, *context), fragment)
            fragments[product.id] = fragment
        if any(fragments[product_id] is None for product_id in product_ids):
            return None  # taken off sale since the page's ids were chosen: let the view load what is left
    head = current_app.json.response(envelope).get_data()
    if head.count(_EMPTY_ITEMS) != 1:
        return None
    items = b'"items":[' + b",".join(fragments[product_id] for product_id in product_ids) + b"]"
    return Response(head.replace(_EMPTY_ITEMS, items), mimetype=current_app.json.mimetype)


def kept_product(product_id: int, today: date) -> tuple[bytes, int] | None:
    """The JSON of product `product_id` (as its detail's body) and its version, if kept; None otherwise.

    A fragment is only ever dumped from a product on sale (a list's, or a detail found on sale), and
    anything that takes a product off sale moves its version or the shown revision, or is a new day.
    """
    cache = _json_fragments()
    if cache is None:
        return None
    first_state(Watch(ids=(product_id,)))  # the revision and the version in one statement, unless already read
    context = _context(today)
    product = watched_state(Watch(ids=(product_id,))).products.get(product_id)
    fragment = cache.get((product_id, product.version, *context)) if product is not None else None
    return (fragment + b"\n", product.version) if fragment is not None else None


def keep_product(product: Product, item: dict, today: date) -> bytes:
    """Keep `product`'s dumped JSON `item` (a product on sale); the detail's body, the bytes `jsonify` gives."""
    cache = _json_fragments()
    if cache is None:
        return current_app.json.response(item).get_data()
    fragment = current_app.json.dumps(item, separators=(",", ":")).encode()  # as `response` dumps
    cache.put((product.id, product.version, *_context(today)), fragment)
    return fragment + b"\n"


def _json_fragments() -> LruCache | None:
    """The fragment cache, when this request may read and fill it and the app dumps compact JSON."""
    cache = current_app.extensions.get("fragment_cache")
    if cache is None or current_app.json.compact is False or current_app.debug or writing():
        return None
    return cache


def _context(today: date) -> tuple:
    """What a product's JSON depends on besides its own row: the shown revision, the day, the host facts."""
    return (request_revision(), today, request.scheme, request.host, request.root_path)


def remembered(kind: str, asked: Hashable, today: date, compute: Callable[[], T]) -> T:
    """`compute()`, kept per worker under (kind, asked, today, shown revision) while nothing it reads changed."""
    cache = current_app.extensions.get("fragment_cache")
    if cache is None or writing():
        return compute()
    key = ("memo", kind, asked, today, request_revision())  # read before computing: never older than its key
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.put(key, found)
    return found


def product_ids(query: ProductQuery, today: date) -> Page[int]:
    """The ids and total of a page of the public catalogue (services.list_product_ids, remembered)."""
    return remembered("ids", query, today, lambda: services.list_product_ids(query, today))


def list_products(query: ProductQuery, today: date) -> Page[Product]:
    """services.list_products with the page's ids remembered: only its ≤100 products are loaded."""
    ids = product_ids(query, today)
    by_id = services.products_by_ids(ids.items, today)
    items = [by_id[product_id] for product_id in ids.items if product_id in by_id]
    return Page(items=items, total=ids.total, page=ids.page, per_page=ids.per_page)


def facets(query: ProductQuery, today: date) -> Facets:
    """facet_counts, remembered."""
    return remembered("facets", query, today, lambda: facet_counts(query, today))


def related_products(product: Product, today: date) -> list[Product]:
    """services.related_products with the related ids remembered."""
    ids = remembered(
        "related",
        (product.id, product.category_id),
        today,
        lambda: [item.id for item in services.related_products(product, today)],
    )
    by_id = services.products_by_ids(ids, today)
    return [by_id[product_id] for product_id in ids if product_id in by_id]
