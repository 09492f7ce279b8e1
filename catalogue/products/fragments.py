"""Each product serialised once per version: the API's lists are assembled from stored JSON fragments.

A miss of the response cache used to load and dump every product of a page (marshmallow:
~5 ms for 20). What a product's JSON shows depends on its own row (its `version` moves with
every change to it, stock moves included), on rows that a write to them moves the shown
revision for (its certificates, images, producer, product set and group, locality: see
catalogue.products.revision), on today's date (which certificate is valid) and on the host
facts absolute URLs are built from. So a fragment is stored under
(id, version, shown revision, today, scheme, host, root path) and can only be found by a
request that would dump the very same bytes.

The revision is read through the request's session before the products are loaded, and a
fragment is keyed by the version of the object it was dumped from, so an entry is never
older than its key (the argument of catalogue.caching). `FRAGMENT_CACHE_SIZE` bounds the
entries per process (0 turns it off); it is separate from the response cache, so a miss
there (or `RESPONSE_CACHE_SIZE=0`) still finds the fragments of unchanged products.
"""

from __future__ import annotations

from datetime import date

from flask import Flask, Response, current_app, request
from sqlalchemy import select

from catalogue.caching import LruCache
from catalogue.extensions import db
from catalogue.products.models import Product
from catalogue.products.revision import shown_revision

DEFAULT_SIZE = 10_000
_EMPTY_ITEMS = b'"items":[]'


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
    cache = current_app.extensions.get("fragment_cache")
    if cache is None or current_app.json.compact is False or current_app.debug:
        return None
    context = (shown_revision(), today, request.scheme, request.host, request.root_path)
    versions = dict(db.session.execute(select(Product.id, Product.version).where(Product.id.in_(product_ids))).all())
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
