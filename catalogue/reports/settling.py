"""When the rollup's pending days are rebuilt after a commit: soon, once per burst, and never by the sale itself.

A commit that marked days asks for a settle (catalogue.reports.rollup). The first ask starts a
timer of `ROLLUP_SETTLE_DELAY` seconds (default 1) in this process; asks while it waits join it.
When it fires it settles every day pending, on a connection of its own, or queues the Celery
task `settle_sales_rollup` when `CELERY_BROKER_URL` is set. So a livestream's ten sales a second
cost one rebuild a second, not ten, and no sale's request waits for one (on SQLite, one extra
writer a second rather than one per sale). `ROLLUP_SETTLE_DELAY = 0` settles at once, inside the
commit's caller (the tests, which read the figures right after writing them). The beat job
settles whatever a process that died with its timer left pending.
"""

from __future__ import annotations

import logging
import os
import threading

from flask import Flask, current_app

from catalogue.extensions import db
from catalogue.transactions import after_this_use_case

log = logging.getLogger(__name__)
DEFAULT_DELAY = 1.0
_EXTENSION = "catalogue.rollup_settler"


def settle_soon() -> None:
    """Have the pending days settled: now if the delay is 0, else once this app's timer fires."""
    app = current_app._get_current_object()
    # The environment's value unless the app's config sets one (catalogue.config does not read it yet).
    delay = float(app.config.get("ROLLUP_SETTLE_DELAY", os.environ.get("ROLLUP_SETTLE_DELAY", DEFAULT_DELAY)))
    if delay <= 0:
        # Not while the commit still holds its connection: twenty payments at once would need forty.
        if not after_this_use_case(settle_now):
            settle_now()
        return
    settler = app.extensions.setdefault(_EXTENSION, _Settler())
    settler.ask(app, delay)


def settle_now() -> None:
    """Settle the pending days (or queue the Celery task that does); a failure is logged, never raised.

    The days stay marked on a failure, so the next settle (another sale's, or the beat job's) rebuilds them.
    """
    from catalogue.reports.rollup import settle

    try:
        if current_app.config.get("CELERY_BROKER_URL"):
            from catalogue.tasks import settle_sales_rollup

            settle_sales_rollup.delay()
            return
        with db.engine.begin() as connection:  # the committing session may not run SQL in its hook
            settle(connection)
    except Exception:  # the change is committed; its day waits for the next settle
        log.exception("Settling the sales rollup after a commit failed")


class _Settler:
    """One timer at a time per app: asks while it waits are answered by its settle."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting = False

    def ask(self, app: Flask, delay: float) -> None:
        with self._lock:
            if self._waiting:
                return
            self._waiting = True
        timer = threading.Timer(delay, self._fire, (app,))
        timer.daemon = True
        timer.start()

    def _fire(self, app: Flask) -> None:
        with self._lock:
            # Cleared before settling: a commit during the settle starts the next timer, its day is not lost.
            self._waiting = False
        with app.app_context():
            settle_now()
