"""The live page's stock stream: one poller per process feeds every open stream of a session.

Each open `/live/<code>/events` stream waits on a condition, holding no database connection;
one thread per process reads the stock of the sessions that have watchers (one indexed query
per session every `interval` seconds, however many streams watch it) and wakes the streams of
a session whose stock or versions moved. So the database load is bounded by the sessions
being watched, not by the viewers, and a sale shows within about one interval.

A held stream is a held thread (or greenlet): streams are served by their own server
process with threads (gunicorn `-k gthread`, see README "Live selling"), never by the shop's
sync workers; `max_streams` bounds what one process holds (beyond it: 503, and the page polls).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)


class StockHub:
    """Snapshots of the watched sessions' stock, `generation` counting the changes seen."""

    def __init__(self, read: Callable[[int], dict], interval: float = 1.0, max_streams: int = 1000) -> None:
        self._read = read  # session_id -> {product_id: {...}}, run on the poller thread (it sets up its own context)
        self.interval = interval
        self.max_streams = max_streams
        self._changed = threading.Condition()
        self._watchers: dict[int, int] = {}
        self._snapshots: dict[int, tuple[int, dict]] = {}
        self._thread: threading.Thread | None = None
        self.streams = 0

    @contextmanager
    def watching(self, session_id: int, current: dict) -> Iterator[bool]:
        """Register a stream for the session (False: this process holds max_streams already)."""
        with self._changed:
            if self.streams >= self.max_streams:
                yield False
                return
            self.streams += 1
            self._watchers[session_id] = self._watchers.get(session_id, 0) + 1
            if session_id not in self._snapshots:
                self._snapshots[session_id] = (0, current)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="live-stock-poller", daemon=True)
                self._thread.start()
        try:
            yield True
        finally:
            with self._changed:
                self.streams -= 1
                self._watchers[session_id] -= 1
                if not self._watchers[session_id]:
                    del self._watchers[session_id]
                    del self._snapshots[session_id]

    def wait(self, session_id: int, seen: int, timeout: float) -> tuple[int, dict]:
        """The session's (generation, snapshot) once its generation passes `seen`, or as it is after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                generation, snapshot = self._snapshots.get(session_id, (seen, {}))
                left = deadline - time.monotonic()
                if generation > seen or left <= 0:
                    return generation, snapshot
                self._changed.wait(left)

    def _run(self) -> None:
        while True:
            with self._changed:
                watched = list(self._watchers)
                if not watched:
                    self._thread = None  # the next stream starts another
                    return
            started = time.monotonic()
            for session_id in watched:
                try:
                    current = self._read(session_id)
                except Exception:  # a database hiccup: the streams keep their last snapshot, the next round retries
                    log.exception("Reading the stock of live session %s failed", session_id)
                    continue
                with self._changed:
                    known = self._snapshots.get(session_id)
                    if known is not None and known[1] != current:
                        self._snapshots[session_id] = (known[0] + 1, current)
                        self._changed.notify_all()
            time.sleep(max(0.0, self.interval - (time.monotonic() - started)))


def changed(before: dict, after: dict) -> dict:
    """The products whose stock or version differs (string keys, as JSON has them)."""
    return {str(key): value for key, value in after.items() if before.get(key) != value}
