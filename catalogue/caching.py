"""An in-process cache of public answers, keyed by what they show.

Why it needs no expiry time: everything a public answer shows comes from

- the catalogue tables. Every committed write to them but one kind moves the *shown*
  revision forward (catalogue.products.revision). The exception is a stock move that
  keeps the stock above zero (a sale, an order): it changes one product's `stock`,
  `version` and `updated_at` and nothing else, so it must not make every answer
  unreachable. An answer that shows a stock level records the versions of the products
  it shows, and a hit checks them (catalogue.products.freshness reads the revision and
  those versions in one statement);
- today's date in Vietnam, which decides which certificates are valid,

plus the request itself (endpoint, path, query string, host for absolute URLs, and for
pages the locale). The request and the day make the key; the revision and the versions
are kept in the entry and compared on every hit. So an entry can only be served to a
request that would compute the very same answer; after a change or at midnight the old
entries are recomputed in place or age out of the LRU.

Which answers show stock levels, and how a hit deals with a moved version:

- a JSON list of products (`cached_json(patch=True)`): its items carry `id` and `version`,
  so the entry records them from the body; when only versions moved, the stock, version
  and updated_at of those items are written into the stored body from the row just read
  (exact: nothing else can have changed without moving the revision) and the hit goes on;
- a JSON product (the detail, with its ETag of id and version): the same check, and a
  moved version is a miss;
- a product page (catalogue.storefront.caching, `watch_slug`): the product's version is
  read by slug before the page is rendered, and a moved version is a miss;
- every other answer (lists of HTML cards, facet counts, producers, categories) shows
  stock only as "sold out" or as in/out-of-stock membership, which only a move to or from
  zero changes, and such a move moves the revision.

Two rules keep it exact: the state is read before the answer is computed (so an entry is
never older than what it records), and a session that has uncommitted catalogue writes
neither reads nor fills the cache (so a rolled-back change can never be stored under a
number a later commit will reuse).

A hit creates no ORM session and costs one statement (one round trip on PostgreSQL: see
catalogue.products.freshness). When this app context's session is already inside a
transaction the state is read through it instead, so it is never newer than the snapshot
the answer would be computed from.

Each process (gunicorn worker) has its own cache; `RESPONSE_CACHE_SIZE` bounds its
entries (0 turns it off). Its keys come from the database, so several workers or
machines stay correct.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import wraps

from flask import Flask, Response, current_app, make_response, request
from flask_smorest.exceptions import NotModified
from sqlalchemy.orm import Session
from werkzeug.http import unquote_etag

from catalogue import clock, metrics
from catalogue.products.freshness import State, Watch, read_state
from catalogue.products.revision import existing_session, has_uncommitted_changes
from catalogue.products.schemas import UtcDateTime

DEFAULT_SIZE = 2048
PRODUCT, PRODUCTS = "product", "products"  # what a JSON answer shows the stock of: one product, or its items
_STATE_KEY = "catalogue.request_state"  # in the WSGI environ: one request's first state, never another's


class LruCache:
    """A bounded, thread-safe mapping that forgets the least recently used entry first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable):
        """The value stored under `key` (now the most recently used), or None."""
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: object) -> None:
        """Store `value`, evicting the least recently used entry when full."""
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


@dataclass(frozen=True)
class CachedAnswer:
    """What is kept of a 200 answer: its bytes and the headers the view set."""

    body: bytes
    headers: tuple[tuple[str, str], ...]

    def response(self) -> Response:
        """A fresh response object with the stored body and headers."""
        return Response(self.body, status=200, headers=list(self.headers))


@dataclass(frozen=True)
class Entry:
    """A stored answer and what it was computed at: the shown revision and the versions of the products it shows."""

    answer: object
    revision: int
    versions: tuple[tuple[int, int], ...] = ()

    def watch(self) -> Watch:
        """The products a hit must check."""
        return Watch(ids=tuple(product_id for product_id, _ in self.versions))

    def fresh(self, state: State) -> bool:
        """True when nothing it shows has changed."""
        return state.revision == self.revision and state.versions() == self.versions


def init_response_cache(app: Flask) -> None:
    """Give this app its own cache, sized by RESPONSE_CACHE_SIZE (0: no cache)."""
    size = int(app.config.get("RESPONSE_CACHE_SIZE", DEFAULT_SIZE))
    app.extensions["response_cache"] = LruCache(size) if size > 0 else None


def response_cache() -> LruCache | None:
    """The current app's cache, or None when it is off or this request cannot use it."""
    cache = current_app.extensions.get("response_cache")
    if cache is None or writing():
        return None
    return cache


def writing() -> bool:
    """True when this app context's session (if it has one) holds uncommitted catalogue changes."""
    session = existing_session()
    return session is not None and has_uncommitted_changes(session)


def request_state(watch: Watch | None = None) -> State:
    """The shown revision (and watched products) this request's answer will be computed at, without an ORM session.

    A session already inside a transaction may be reading from a snapshot (SQLite keeps one
    for the whole read transaction): the state is then read through it, as the answer will
    be. Otherwise the answer's queries all start after this read, so the last committed
    state is never newer than what they see. The request's first state is kept for it
    (`first_state`): what a miss computes is keyed by that revision, with no second read.
    """
    state = read_state(watch, _reading_session())
    request.environ.setdefault(_STATE_KEY, state)
    return state


def first_state(watch: Watch | None = None) -> State:
    """The state this request read first (reading it now, watching `watch`, if it has not read one)."""
    state = request.environ.get(_STATE_KEY)
    return state if state is not None else request_state(watch)


def watched_state(watch: Watch) -> State:
    """The state of the products `watch` names by id, as this request sees them: its first state when it holds them all.

    A later read is never older than the first one, so what is computed from it is never older than its key.
    """
    state = request.environ.get(_STATE_KEY)
    if state is not None and all(product_id in state.products for product_id in watch.ids):
        return state
    return read_state(watch, _reading_session())


def _reading_session() -> Session | None:
    """This app context's session when it is inside a transaction (its snapshot is what the answer reads), else None."""
    session = existing_session()
    return session if session is not None and session.in_transaction() else None


def request_key(*extra: Hashable) -> tuple:
    """Everything a public answer depends on in the request, and the day."""
    return (
        request.endpoint,
        request.path,
        # What absolute URLs are built from; the same facts as request.host_url, without building that URL.
        request.scheme,
        request.host,
        request.root_path,
        tuple(sorted(request.args.items(multi=True))),
        clock.today(),
        *extra,
    )


def shareable(response: Response) -> bool:
    """A complete 200 answer, computed by a request that wrote nothing to the catalogue."""
    return response.status_code == 200 and not response.direct_passthrough and not writing()


def _stored_headers(response: Response) -> tuple[tuple[str, str], ...]:
    return tuple((name, value) for name, value in response.headers.items() if name != "Content-Length")


def _shown_versions(body: bytes, shows: str) -> tuple[tuple[int, int], ...] | None:
    """(id, version) of the products a JSON answer shows: its items (a list) or itself; None if unreadable."""
    try:
        data = json.loads(body)
        products = data["items"] if shows == PRODUCTS else [data]
        return tuple(sorted((int(item["id"]), int(item["version"])) for item in products))
    except (ValueError, KeyError, TypeError):
        return None


def _patched(entry: Entry, state: State) -> Entry | None:
    """The list with the moved products' stock, version and updated_at as just read; None when it cannot be."""
    answer = entry.answer
    if any(name == "ETag" for name, _ in answer.headers):
        return None  # a validator over the old bytes: recompute instead
    data = json.loads(answer.body)
    for item in data["items"]:
        product = state.products.get(item["id"])
        if product is None:
            return None  # gone from the table: only a write that moves the revision can do that
        if product.version != item["version"]:
            item["stock"], item["version"] = product.stock, product.version
            item["updated_at"] = UtcDateTime()._serialize(product.updated_at, None, None)
    body = current_app.json.response(data).get_data()
    return Entry(CachedAnswer(body, answer.headers), entry.revision, state.versions())


def cached_json(view: Callable | None = None, *, shows: str | None = None) -> Callable:
    """Serve a public JSON read from the cache; on a miss, compute, answer and store it.

    Put it above the flask-smorest decorators: a hit skips argument parsing (only
    valid query strings were ever stored) and serialisation. An ETag the view set is
    stored with the body, and a matching If-None-Match gets the same 304 as before.
    `shows` says which products' stock levels the answer shows, whose (id, version) the
    entry records: PRODUCT (the answer is one), PRODUCTS (its `items`; a moved product's
    stock is then written into the stored list instead of recomputing it) or None.
    """
    if view is None:
        return lambda function: cached_json(function, shows=shows)

    @wraps(view)
    def wrapper(*args, **kwargs):
        cache = response_cache()
        if cache is None:
            return view(*args, **kwargs)
        key = request_key()
        entry = cache.get(key)
        state = request_state(entry.watch() if entry is not None else None)
        if entry is not None and not entry.fresh(state) and shows == PRODUCTS and state.revision == entry.revision:
            entry = _patched(entry, state)
            if entry is not None:
                cache.put(key, entry)
        if entry is None or not entry.fresh(state):
            metrics.CACHE.labels("miss").inc()
            response = make_response(view(*args, **kwargs))
            _remember(cache, key, response, state.revision, shows)
            return response
        metrics.CACHE.labels("hit").inc()
        response = entry.answer.response()
        etag = response.headers.get("ETag")
        if etag and unquote_etag(etag)[0] in request.if_none_match:
            raise NotModified
        return response

    return wrapper


def _remember(cache: LruCache, key: tuple, response: Response, revision: int, shows: str | None) -> None:
    """Store a shareable answer's bytes and headers, with the versions of the products it shows."""
    if not shareable(response):
        return
    body = response.get_data()
    versions = _shown_versions(body, shows) if shows else ()
    if versions is None:
        return  # an answer whose products cannot be told is never shared
    cache.put(key, Entry(CachedAnswer(body, _stored_headers(response)), revision, versions))
