"""Concurrent scans of one stamp through a real HTTP server: none lost, each page shows its own count."""

from __future__ import annotations

import re
import urllib.request

from sqlalchemy import select

from catalogue.extensions import db
from catalogue.traceability.models import Lot, LotScanDay
from tests.access_helpers import cast
from tests.conftest import TODAY
from tests.live import race, serving
from tests.traceability_helpers import BROWSER_ACCEPT, a_lot

SCANNERS = 24
_COUNT = re.compile(r'data-testid="scan-count">(\d+)<')


def _scan(url: str) -> int:
    # A phone's browser: a bare client is a machine, redirected to the default link without a scan.
    request = urllib.request.Request(url, headers={"Accept": BROWSER_ACCEPT})
    with urllib.request.urlopen(request, timeout=60) as response:
        return int(_COUNT.search(response.read().decode()).group(1))


def test_concurrent_scans_are_all_counted_and_a_copy_is_flagged_once(app):
    lot = a_lot(cast()["product"], quantity=2)
    lot_id, code = lot.id, lot.code

    with serving(app) as base:
        counts = race(SCANNERS, lambda _: _scan(f"{base}/t/{code}"))

    db.session.expire_all()
    # The upsert locks the day's row until its transaction ends, so every scan saw a total of its own.
    assert sorted(counts) == list(range(1, SCANNERS + 1))
    assert db.session.execute(select(LotScanDay.day, LotScanDay.scans)).all() == [(TODAY, SCANNERS)]
    assert db.session.scalar(select(Lot.suspected_copy_at).where(Lot.id == lot_id)) is not None
