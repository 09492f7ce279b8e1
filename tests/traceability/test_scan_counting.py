"""Stamp scans: once per client per day, only a person's, off the request's path, exact in the end (issue 22)."""

from __future__ import annotations

import re
import time
import urllib.request
import uuid
from datetime import timedelta

import pytest
import redis
from sqlalchemy import func, select

from catalogue.extensions import db
from catalogue.traceability import scans
from catalogue.traceability.models import Lot, LotScanClient, LotScanDay, LotScanSource
from tests.access_helpers import cast
from tests.conftest import TODAY, count_statements
from tests.live import race, serving
from tests.traceability.traceability_helpers import BROWSER_ACCEPT, PHONE_AGENT, a_lot, browser, flushed_scans

SCANNERS = 24
_COUNT = re.compile(r'data-testid="scan-count">(\d+)<')
WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE)", re.IGNORECASE)


def _scan(url: str, agent: str = PHONE_AGENT) -> int:
    request = urllib.request.Request(url, headers={"Accept": BROWSER_ACCEPT, "User-Agent": agent})
    with urllib.request.urlopen(request, timeout=60) as response:
        return int(_COUNT.search(response.read().decode()).group(1))


def _flagged(lot_id: int) -> bool:
    db.session.expire_all()
    return db.session.scalar(select(Lot.suspected_copy_at).where(Lot.id == lot_id)) is not None


def test_one_client_scanning_24_times_at_once_is_one_scan(app):
    lot = a_lot(cast()["product"], quantity=1)
    lot_id, code = lot.id, lot.code

    with serving(app) as base:
        shown = race(SCANNERS, lambda _: _scan(f"{base}/t/{code}"))

    assert max(shown) == 1  # each page counts its own view once, none counts a repeat
    assert flushed_scans(lot_id) == 1
    assert db.session.execute(select(LotScanDay.day, LotScanDay.scans)).all() == [(TODAY, 1)]
    assert not _flagged(lot_id)


def test_one_network_rotating_its_user_agent_cannot_flip_the_copy_warning(app):
    lot = a_lot(cast()["product"], quantity=1)
    lot_id, code = lot.id, lot.code

    with serving(app) as base:
        race(SCANNERS, lambda index: _scan(f"{base}/t/{code}", f"{PHONE_AGENT} build/{index}"))

    # 24 clients (address + User-Agent) are 24 scans shown, but one network: the warning needs more than 3 × 1.
    assert flushed_scans(lot_id) == SCANNERS
    assert db.session.scalar(select(func.count()).select_from(LotScanSource)) == 1
    assert not _flagged(lot_id)


def test_one_client_coming_back_every_day_feeds_the_warning_once(app):
    lot = a_lot(cast()["product"], quantity=1)
    for day in range(10):
        scans.record(lot.id, "203.0.113.5", PHONE_AGENT, TODAY - timedelta(days=day))
    scans.flush()

    assert db.session.scalar(select(func.sum(LotScanDay.scans))) == 10  # once a day, each day
    assert not _flagged(lot.id)
    # Yesterday's and today's clients are kept to recognise a repeat; older ones are pruned.
    assert {day for (day,) in db.session.execute(select(LotScanClient.day))} == {TODAY, TODAY - timedelta(days=1)}


def test_n_distinct_clients_end_as_n_and_a_client_twice_as_one_across_workers_and_flushes(app):
    lot = a_lot(cast()["product"], quantity=100)
    clients = 37
    for index in range(clients):
        browser(app, address=f"198.51.100.{index + 1}").get(f"/t/{lot.code}")
    browser(app, address="198.51.100.1").get(f"/t/{lot.code}")  # the same client again: this worker drops it
    assert scans.total_scans(lot.id) == 0  # nothing written on the request's path
    assert flushed_scans(lot.id) == clients

    # Another worker (its own memory buffer, which never saw this client) after the flush: still once.
    scans.init_scans(app)
    browser(app, address="198.51.100.1").get(f"/t/{lot.code}")
    browser(app, address="198.51.100.200").get(f"/t/{lot.code}")
    assert flushed_scans(lot.id) == clients + 1


def test_bots_prefetches_heads_and_the_product_pages_link_are_no_scans(app):
    world = cast()
    lot = a_lot(world["product"])
    path = f"/t/{lot.code}"
    for agent in ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "curl/8.5.0", ""):
        assert browser(app, agent=agent).get(path).status_code == 200
    browser(app).get(path, headers={"Sec-Purpose": "prefetch"})
    browser(app).head(path)
    shopper = browser(app, address="198.51.100.9")
    follow = shopper.get(f"/products/{world['product'].slug}/nguon-goc")
    assert shopper.get(follow.headers["Location"]).status_code == 200

    assert flushed_scans(lot.id) == 0
    assert browser(app).get(path).status_code == 200
    assert flushed_scans(lot.id) == 1


def test_a_kept_origin_page_costs_what_a_kept_product_page_does_and_shows_new_counts(app):
    product = cast()["product"]
    lot = a_lot(product)
    path = f"/t/{lot.code}"
    first = browser(app, address="198.51.100.1").get(path).get_data(as_text=True)  # rendered and kept
    browser(app).get(f"/products/{product.slug}")  # and the product page, kept

    with count_statements(db.engine, raw=True) as statements:
        hit = browser(app, address="198.51.100.2").get(path)
    with count_statements(db.engine, raw=True) as product_page:
        browser(app).get(f"/products/{product.slug}")
    assert hit.status_code == 200 and hit.headers["Cache-Control"] == "private, no-store"
    # One read and no write, as a product page's hit: two numbers by primary key, no table of the lot's scanned.
    assert len(statements) == len(product_page) == 1 and not WRITES.match(statements[0]), statements
    assert set(re.findall(r"FROM (\w+)", statements[0])) == {"change_counters", "lots"}, statements
    assert re.search(r"\bWHERE id = (\?|%s)$", statements[0]), statements

    flushed_scans(lot.id)  # the flush renumbers the lot's page: the next view is computed again, with the new total
    again = browser(app, address="198.51.100.1").get(path).get_data(as_text=True)  # a repeat: the flushed total
    # Each view shows the flushed total plus itself when it is a new scan (the others wait for the flush).
    assert [_COUNT.search(html).group(1) for html in (first, hit.get_data(as_text=True), again)] == ["1", "1", "2"]


def test_scans_are_flushed_by_the_worker_once_enough_wait(app):
    lot = a_lot(cast()["product"], quantity=100)
    app.config.update(SCAN_FLUSH_SECONDS=3600, SCAN_FLUSH_SIZE=3)
    scans.init_scans(app)
    for index in range(3):
        browser(app, address=f"198.51.100.{index + 1}").get(f"/t/{lot.code}")

    deadline = time.monotonic() + 20
    while scans.total_scans(lot.id) < 3 and time.monotonic() < deadline:
        db.session.rollback()  # a fresh snapshot for the next look
        time.sleep(0.1)
    assert scans.total_scans(lot.id) == 3


def test_a_failed_flush_keeps_its_scans_for_the_next(app, monkeypatch):
    lot = a_lot(cast()["product"], quantity=100)
    for index in range(5):
        scans.record(lot.id, f"198.51.100.{index}", PHONE_AGENT, TODAY)

    def broken(batch, now):
        raise RuntimeError("database gone")

    with monkeypatch.context() as patched:
        patched.setattr(scans, "_write", broken)
        with pytest.raises(RuntimeError):
            scans.flush()
    assert flushed_scans(lot.id) == 5


@pytest.fixture
def redis_buffer(app):
    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    key = f"test:scans:{uuid.uuid4().hex}"
    app.config.update(SCAN_BUFFER_URL=url, SCAN_BUFFER_KEY=key)
    yield url
    redis.Redis.from_url(url).delete(key)


def test_workers_share_a_redis_buffer_and_count_a_client_once(app, redis_buffer):
    lot = a_lot(cast()["product"], quantity=100)
    workers = []
    for _ in range(2):
        scans.init_scans(app)
        workers.append(app.extensions["scan_buffer"])
    for index, worker in enumerate(workers):  # two workers, each seeing the same client and one of its own
        app.extensions["scan_buffer"] = worker
        browser(app).get(f"/t/{lot.code}")
        browser(app, address=f"198.51.100.{100 + index}").get(f"/t/{lot.code}")
    assert len(workers[0].buffer) == 4  # one list, whatever worker pushed

    assert flushed_scans(lot.id) == 3
    assert len(workers[1].buffer) == 0
