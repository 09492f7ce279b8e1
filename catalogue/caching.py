"""An in-process cache of public answers, keyed by the catalogue's revision and today's date.

Why it needs no expiry time: everything a public answer shows comes from

- the catalogue tables, and every committed write to them moves the revision
  forward (catalogue.products.revision: ORM flushes by a listener, stock moves and
  the seeder by hand), and
- today's date in Vietnam, which decides which certificates are valid,

plus the request itself (endpoint, path, query string, host for absolute URLs,
and for pages the locale). All of these are in the key, so an entry can only be
found by a request that would compute the very same answer; after a change or at
midnight the old entries are simply never asked for again and age out of the LRU.

Two rules keep it exact: the revision is read before the answer is computed (so
an entry is never older than its key), and a session that has uncommitted
catalogue writes neither reads nor fills the cache (so a rolled-back change can
never be stored under a number a later commit will reuse).

A hit is meant to cost next to nothing beyond Flask itself: it creates no ORM
session. The revision is read with one raw cursor on a pooled connection
(`committed_revision`), and the uncommitted-writes rule only looks at a session
that already exists in this app context (`existing_session`): a request that has
not touched the ORM cannot have written anything. When that session is inside a
transaction the revision is read through it instead, so the key is never newer
than the snapshot the answer would be computed from.

Each process (gunicorn worker) has its own cache; `RESPONSE_CACHE_SIZE` bounds its
entries (0 turns it off).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import wraps

from flask import Flask, Response, current_app, make_response, request
from flask_smorest.exceptions import NotModified
from werkzeug.http import unquote_etag

from catalogue import clock
from catalogue.products.revision import committed_revision, current_revision, existing_session, has_uncommitted_changes

DEFAULT_SIZE = 2048


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


def init_response_cache(app: Flask) -> None:
    """Give this app its own cache, sized by RESPONSE_CACHE_SIZE (0: no cache)."""
    size = int(app.config.get("RESPONSE_CACHE_SIZE", DEFAULT_SIZE))
    app.extensions["response_cache"] = LruCache(size) if size > 0 else None


def response_cache() -> LruCache | None:
    """The current app's cache, or None when it is off or this request cannot use it."""
    cache = current_app.extensions.get("response_cache")
    if cache is None or _writing():
        return None
    return cache


def _writing() -> bool:
    """True when this app context's session (if it has one) holds uncommitted catalogue changes."""
    session = existing_session()
    return session is not None and has_uncommitted_changes(session)


def request_revision() -> int:
    """The revision this request's answer will be computed at, read without creating an ORM session.

    A session already inside a transaction may be reading from a snapshot (SQLite keeps one
    for the whole read transaction): the revision is then read through it, as the answer will
    be. Otherwise the answer's queries all start after this read, so the last committed
    revision, read on a pooled connection, is never newer than what they see.
    """
    session = existing_session()
    if session is not None and session.in_transaction():
        return current_revision(session)
    return committed_revision()


def request_key(*extra: Hashable) -> tuple:
    """Everything a public answer depends on, for this request."""
    return (
        request.endpoint,
        request.path,
        # What absolute URLs are built from; the same facts as request.host_url, without building that URL.
        request.scheme,
        request.host,
        request.root_path,
        tuple(sorted(request.args.items(multi=True))),
        clock.today(),
        request_revision(),
        *extra,
    )


def shareable(response: Response) -> bool:
    """A complete 200 answer, computed by a request that wrote nothing to the catalogue."""
    return response.status_code == 200 and not response.direct_passthrough and not _writing()


def remember(cache: LruCache, key: tuple, response: Response) -> None:
    """Store a shareable answer's bytes and headers."""
    if not shareable(response):
        return
    headers = tuple((name, value) for name, value in response.headers.items() if name != "Content-Length")
    cache.put(key, CachedAnswer(response.get_data(), headers))


def cached_json(view: Callable) -> Callable:
    """Serve a public JSON read from the cache; on a miss, compute, answer and store it.

    Put it above the flask-smorest decorators: a hit skips argument parsing (only
    valid query strings were ever stored) and serialisation. An ETag the view set is
    stored with the body, and a matching If-None-Match gets the same 304 as before.
    """

    @wraps(view)
    def wrapper(*args, **kwargs):
        cache = response_cache()
        if cache is None:
            return view(*args, **kwargs)
        key = request_key()
        hit = cache.get(key)
        if hit is None:
            response = make_response(view(*args, **kwargs))
            remember(cache, key, response)
            return response
        response = hit.response()
        etag = response.headers.get("ETag")
        if etag and unquote_etag(etag)[0] in request.if_none_match:
            raise NotModified
        return response

    return wrapper
