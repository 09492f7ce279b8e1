"""Real HTTP for tests: the app served on 127.0.0.1, and many clients released at once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from werkzeug.serving import WSGIRequestHandler, make_server

T = TypeVar("T")


class QuietHandler(WSGIRequestHandler):
    """No access log: the call log says what tests need."""

    def log_request(self, *args, **kwargs) -> None:
        pass


class ServedFake:
    """A fake provider's WSGI app (its `wsgi` method) on 127.0.0.1, served by a thread while its `with` block runs.

    `port` 0 takes a free port; `flask dev fakes` gives each fake a fixed one (devtools/fakes.py). A subclass calls
    `_serve()` at the end of its `__init__`, once `wsgi` has what it needs; `url` is then its base URL.
    """

    port = 0

    def _serve(self) -> None:
        self.server = make_server("127.0.0.1", self.port, self.wsgi, threaded=True, request_handler=QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.server.shutdown()
        self.thread.join(timeout=10)


@contextmanager
def serving(app, request_handler=None) -> Iterator[str]:
    """`app` behind a threaded WSGI server on a free port of 127.0.0.1; yields its base URL."""
    options = {"request_handler": request_handler} if request_handler else {}
    server = make_server("127.0.0.1", 0, app, threaded=True, **options)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def race(count: int, action: Callable[[int], T], timeout: float = 120) -> list[T]:
    """Run `action(i)` in `count` threads released together by a barrier; their results, in any order."""
    start, results = threading.Barrier(count), []

    def run(index: int) -> None:
        start.wait(timeout=30)
        results.append(action(index))

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results


@contextmanager
def gunicorn_serving(
    config: dict, workers: int = 3, start_seconds: float = 60, environment: dict | None = None
) -> Iterator[str]:
    """The app built from `config` (JSON values only) behind gunicorn with `workers` processes on 127.0.0.1.

    Separate processes, each with its own connections, as production runs it: what they share is
    only the database, so a race between two requests is a race between two transactions.
    """
    import json
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    root = Path(__file__).resolve().parents[1]
    environment = {**os.environ, **(environment or {}), "CATALOGUE_TEST_APP_CONFIG": json.dumps(config)}
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
               "--log-level", "warning", "--timeout", "60", "tests.served_app:app"]  # fmt: skip
    process = subprocess.Popen(command, cwd=root, env=environment)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_seconds
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode} before it answered")
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
