"""A short memory of carriers' fees, so a busy checkout does not call the carrier on every page view.

Keyed by (carrier, origin ward, destination ward, weight band, service): a fee depends on
nothing else the shop sends. In-process by default (each worker its own, bounded); shared in
Redis when `CACHE_REDIS_URL` is set. A Redis that does not answer is a miss, never an error.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict
from typing import Protocol

from catalogue.carriers.port import Quote

log = logging.getLogger(__name__)


class QuoteCache(Protocol):
    def get(self, key: str) -> Quote | None: ...

    def set(self, key: str, quote: Quote) -> None: ...


class MemoryQuoteCache:
    """Entries live `ttl_seconds`; at most `size` of them, the least recently used forgotten first."""

    def __init__(self, ttl_seconds: float, size: int = 4096, clock=time.monotonic) -> None:
        self.ttl, self.size, self._clock = ttl_seconds, size, clock
        self._entries: OrderedDict[str, tuple[float, Quote]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Quote | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= self._clock():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def set(self, key: str, quote: Quote) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            self._entries[key] = (self._clock() + self.ttl, quote)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


class RedisQuoteCache:
    """The same, shared by every worker through Redis (`SETEX`)."""

    PREFIX = "catalogue:shipping-quote:"

    def __init__(self, url: str, ttl_seconds: int) -> None:
        import redis

        self.ttl = int(ttl_seconds)
        self._redis = redis.Redis.from_url(url, socket_timeout=0.2, socket_connect_timeout=0.2)

    def get(self, key: str) -> Quote | None:
        try:
            raw = self._redis.get(self.PREFIX + key)
        except Exception as error:  # a cache that does not answer is a miss
            log.warning("Shipping quote cache unavailable: %s", error)
            return None
        if raw is None:
            return None
        data = json.loads(raw)
        return Quote(int(data["fee_vnd"]), str(data["service"]), data.get("eta_days"))

    def set(self, key: str, quote: Quote) -> None:
        if self.ttl <= 0:
            return
        value = json.dumps({"fee_vnd": quote.fee_vnd, "service": quote.service, "eta_days": quote.eta_days})
        try:
            self._redis.setex(self.PREFIX + key, self.ttl, value)
        except Exception as error:
            log.warning("Shipping quote cache unavailable: %s", error)


def cache_from_config(config) -> QuoteCache:
    ttl = int(config.get("SHIPPING_QUOTE_CACHE_SECONDS", 600))
    url = config.get("CACHE_REDIS_URL")
    return RedisQuoteCache(url, ttl) if url else MemoryQuoteCache(ttl)
