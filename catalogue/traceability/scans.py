"""Scans of a lot's stamp: counted once per client per day, off the request's path, exact in the end.

Who counts. Only a person's view of the stamp's own URI (catalogue.storefront.resolver decides
that: a browser, a GET, not a bot by its User-Agent, not a prefetch). The client is the keyed hash
(HMAC with SECRET_KEY) of its IP address, its User-Agent and the day: no cookie, because a stamp
is scanned by a phone that has never seen the shop (every scan would be a first visit) and whoever
inflates a counter simply drops cookies; the hash keeps no address readable, and changes daily.

The copy warning. "Looks copied" (a public warning on the origin page and the office's list)
counts *networks*, not views: the keyed hash of the IPv4 address or IPv6 /64, each counted once
per lot for ever. A genuine copy is scanned from many places; one client — rotating its
User-Agent, coming back every day — adds at most one, so it cannot flip the warning of any lot.

Off the request's path. A view only appends a `Scan` to a buffer: Redis (a list shared by every
worker and node) when REDIS_URL is set, else the worker's memory. A flusher thread per worker
drains it every SCAN_FLUSH_SECONDS or as soon as SCAN_FLUSH_SIZE scans wait; `flask scans flush`
and the Celery beat job do the same on demand (they drain the shared Redis list; a worker's memory
buffer is drained by its own thread and when it exits). A flush is one transaction for the whole
batch: the (lot, day, client) rows are inserted with ON CONFLICT DO NOTHING, and only the rows that
were new add to `lot_scan_days` — so the same client counted by two workers, or by two flushes,
still counts once, and N distinct clients end as N. A failed flush puts its scans back.
"""

from __future__ import annotations

import atexit
import hashlib
import hmac
import ipaddress
import json
import logging
import os
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from crawlerdetect import CrawlerDetect
from flask import Flask, current_app
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from catalogue import clock
from catalogue.extensions import db
from catalogue.traceability.models import Lot, LotScanClient, LotScanDay, LotScanSource
from catalogue.transactions import use_case

log = logging.getLogger(__name__)

# A genuine unit is scanned from a few places (shop, buyer, family); far more networks than that per unit is a copy.
SCAN_ALERT_FACTOR = 3
_SEEN_SIZE = 50_000  # (lot, day, client) a worker remembers, so a returning client is not even buffered again
_CHUNK = 400  # rows per INSERT (SQLite's bound parameters stay well under its limit)
_BUFFER = "scan_buffer"
_REDIS_KEY = "catalogue:scans:pending"
_crawlers = CrawlerDetect()


@dataclass(frozen=True)
class Scan:
    """One person's view of a stamp: the lot, the day (Vietnam), the client's and the network's keyed hashes."""

    lot_id: int
    day: date
    client: str
    source: str

    def dump(self) -> str:
        return json.dumps([self.lot_id, self.day.isoformat(), self.client, self.source])

    @classmethod
    def load(cls, raw: str | bytes) -> Scan:
        lot_id, day, client, source = json.loads(raw)
        return cls(int(lot_id), date.fromisoformat(day), client, source)


def is_bot(user_agent: str) -> bool:
    """A crawler, spider, preview fetcher or script by its User-Agent (CrawlerDetect's maintained list), or none."""
    agent = (user_agent or "").strip()
    return not agent or _crawlers.is_crawler(agent)


def network_of(address: str) -> str:
    """What one client controls: an IPv4 address, or an IPv6 /64 (a home or a phone gets a whole /64)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


def scan_of(lot_id: int, address: str, user_agent: str, day: date, secret: str) -> Scan:
    """The scan of `lot_id` by the client at `address` with `user_agent` on `day`."""
    return Scan(lot_id, day, client_of(address, user_agent, day, secret), source_of(address, secret))


def client_of(address: str, user_agent: str, day: date, secret: str) -> str:
    """The client's keyed hash: its address and User-Agent, on that day."""
    digest = hmac.new(secret.encode(), f"client|{day.isoformat()}|{address}|{user_agent}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def source_of(address: str, secret: str) -> str:
    """The network's keyed hash (`network_of`), the same every day."""
    return hmac.new(secret.encode(), f"source|{network_of(address)}".encode(), hashlib.sha256).hexdigest()[:32]


# --- buffers ---------------------------------------------------------------------------------------------------


class MemoryBuffer:
    """The worker's own pending scans (thread-safe)."""

    def __init__(self) -> None:
        self._pending: list[Scan] = []
        self._lock = threading.Lock()

    def add(self, scan: Scan) -> int:
        with self._lock:
            self._pending.append(scan)
            return len(self._pending)

    def drain(self, limit: int) -> list[Scan]:
        with self._lock:
            taken, self._pending = self._pending[:limit], self._pending[limit:]
            return taken

    def restore(self, scans: list[Scan]) -> None:
        with self._lock:
            self._pending[:0] = scans

    def __len__(self) -> int:
        return len(self._pending)


class RedisBuffer:
    """Pending scans in one Redis list, shared by every worker and node: any flusher drains all of them."""

    def __init__(self, url: str, key: str = _REDIS_KEY) -> None:
        import redis

        self.key = key
        self._redis = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)

    def add(self, scan: Scan) -> int:
        return int(self._redis.rpush(self.key, scan.dump()))

    def drain(self, limit: int) -> list[Scan]:
        return [Scan.load(raw) for raw in self._redis.lpop(self.key, limit) or []]  # LPOP with a count is atomic

    def restore(self, scans: list[Scan]) -> None:
        if scans:
            self._redis.lpush(self.key, *(scan.dump() for scan in reversed(scans)))

    def __len__(self) -> int:
        return int(self._redis.llen(self.key))


class ScanCounter:
    """One app's buffer, the (lot, day, client) it has already buffered, and its flusher thread."""

    def __init__(self, app: Flask) -> None:
        url = app.config.get("SCAN_BUFFER_URL")
        key = app.config.get("SCAN_BUFFER_KEY") or _REDIS_KEY
        self.buffer: MemoryBuffer | RedisBuffer = RedisBuffer(url, key) if url else MemoryBuffer()
        self.flush_seconds = float(app.config.get("SCAN_FLUSH_SECONDS", 30))
        self.flush_size = int(app.config.get("SCAN_FLUSH_SIZE", 500))
        self._app = app
        self._seen: OrderedDict[tuple[int, date, str], None] = OrderedDict()
        self._seen_lock = threading.Lock()
        self._wake = threading.Event()
        self._thread_pid: int | None = None
        self._start_lock = threading.Lock()

    def seen(self, lot_id: int, day: date, client: str) -> bool:
        """True when this worker already buffered the client's scan of the lot that day."""
        return (lot_id, day, client) in self._seen

    def record(self, scan: Scan) -> bool:
        """Buffer `scan` unless this worker already buffered its client today; True when buffered."""
        key = (scan.lot_id, scan.day, scan.client)
        with self._seen_lock:
            if key in self._seen:
                return False
            self._seen[key] = None
            while len(self._seen) > _SEEN_SIZE:
                self._seen.popitem(last=False)
        try:
            waiting = self.buffer.add(scan)
        except Exception:  # a scan is worth less than the page: Redis down never fails the view
            log.warning("A stamp scan could not be buffered.", exc_info=True)
            with self._seen_lock:
                self._seen.pop(key, None)
            return False
        self._ensure_flusher()
        if waiting >= self.flush_size:
            self._wake.set()
        return True

    def _ensure_flusher(self) -> None:
        """Start this process's flusher on its first scan (after gunicorn's fork, never before)."""
        if self.flush_seconds <= 0 or self._thread_pid == os.getpid():
            return
        with self._start_lock:
            if self._thread_pid == os.getpid():
                return
            self._thread_pid = os.getpid()
            threading.Thread(target=self._run, name="scan-flusher", daemon=True).start()
            atexit.register(self._flush_quietly)

    def _run(self) -> None:
        while True:
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            self._flush_quietly()

    def _flush_quietly(self) -> None:
        try:
            with self._app.app_context():
                flush()
        except Exception:  # kept in the buffer by flush(); the next round tries again
            log.exception("Stamp scans could not be flushed; they stay buffered.")


def init_scans(app: Flask) -> None:
    """Give `app` its scan counter (Redis buffer when SCAN_BUFFER_URL is set)."""
    app.extensions[_BUFFER] = ScanCounter(app)


def counter() -> ScanCounter:
    return current_app.extensions[_BUFFER]


def record(lot_id: int, address: str, user_agent: str, day: date) -> bool:
    """Count a person's view of `lot_id`'s stamp (buffered; written by the next flush). True when it is new."""
    secret = current_app.config["SECRET_KEY"]
    client = client_of(address, user_agent, day, secret)
    if counter().seen(lot_id, day, client):  # a repeat: not even its network is hashed
        return False
    return counter().record(Scan(lot_id, day, client, source_of(address, secret)))


# --- the flush -------------------------------------------------------------------------------------------------


def flush(limit: int = 100_000) -> int:
    """Write up to `limit` buffered scans in one transaction; how many new (client, day) scans were counted.

    On any failure the scans go back to the buffer, so none is lost and none counts twice (the
    client rows decide what is new).
    """
    buffer = counter().buffer
    total = 0
    while True:
        batch = buffer.drain(min(limit - total, 5_000)) if total < limit else []
        if not batch:
            return total
        try:
            total += _write(batch, clock.now())
        except BaseException:
            buffer.restore(batch)
            raise


@use_case
def _write(batch: list[Scan], now: datetime) -> int:
    lot_ids = sorted({scan.lot_id for scan in batch})
    quantities = dict(db.session.execute(select(Lot.id, Lot.quantity).where(Lot.id.in_(lot_ids))).all())
    scans = [scan for scan in batch if scan.lot_id in quantities]  # a lot deleted since: its scans go with it
    insert = postgresql_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    # Sorted, so two flushers (two workers) take the same rows' locks in the same order: no deadlock.
    clients = sorted({(scan.lot_id, scan.day, scan.client) for scan in scans})
    new: Counter[tuple[int, date]] = Counter()
    table = LotScanClient.__table__
    for start in range(0, len(clients), _CHUNK):
        rows = [{"lot_id": lot, "day": day, "client": client} for lot, day, client in clients[start : start + _CHUNK]]
        statement = insert(table).values(rows).on_conflict_do_nothing().returning(table.c.lot_id, table.c.day)
        new.update((lot, day) for lot, day in db.session.execute(statement).all())
    days = LotScanDay.__table__
    for (lot, day), count in sorted(new.items()):
        db.session.execute(
            insert(days)
            .values(lot_id=lot, day=day, scans=count)
            .on_conflict_do_update(index_elements=[days.c.lot_id, days.c.day], set_={"scans": days.c.scans + count})
        )
    sources = sorted({(scan.lot_id, scan.source): scan.day for scan in scans}.items())
    touched: set[int] = set()
    table = LotScanSource.__table__
    for start in range(0, len(sources), _CHUNK):
        chunk = sources[start : start + _CHUNK]
        rows = [{"lot_id": lot, "source": source, "first_day": day} for (lot, source), day in chunk]
        statement = insert(table).values(rows).on_conflict_do_nothing().returning(table.c.lot_id)
        touched.update(db.session.scalars(statement).all())
    if touched:
        counts = db.session.execute(
            select(table.c.lot_id, func.count()).where(table.c.lot_id.in_(sorted(touched))).group_by(table.c.lot_id)
        ).all()
        flagged = [lot for lot, networks in counts if looks_copied(networks, quantities[lot])]
        if flagged:
            db.session.execute(
                update(Lot.__table__)
                .where(Lot.__table__.c.id.in_(flagged), Lot.__table__.c.suspected_copy_at.is_(None))
                .values(suspected_copy_at=now)
            )
    # Only today's and yesterday's clients can still be met again (a scan buffered before midnight).
    oldest = clock.today() - timedelta(days=1)
    db.session.execute(LotScanClient.__table__.delete().where(LotScanClient.__table__.c.day < oldest))
    return sum(new.values())


def looks_copied(networks: int, quantity: int) -> bool:
    """True when a stamp has been scanned from far more networks than its lot has units."""
    return networks > SCAN_ALERT_FACTOR * quantity


def total_scans(lot_id: int) -> int:
    """How many times the lot's stamp has been scanned (once per client per day), all days, as flushed."""
    return int(
        db.session.scalar(select(func.coalesce(func.sum(LotScanDay.scans), 0)).where(LotScanDay.lot_id == lot_id))
    )


def suspected_copies() -> list[Lot]:
    """Lots flagged as scanned far more than they have units, newest flag first (the office's list)."""
    return list(
        db.session.scalars(select(Lot).where(Lot.suspected_copy_at.is_not(None)).order_by(Lot.suspected_copy_at.desc()))
    )
