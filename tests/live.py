"""Real HTTP for tests: the app served on 127.0.0.1, and many clients released at once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from werkzeug.serving import make_server

T = TypeVar("T")


@contextmanager
def serving(app, request_handler=None) -> Iterator[str]:
    """`app` behind a threaded WSGI server on a free port of 127.0.0.1; yields its base URL."""
    options = {"request_handler": request_handler} if request_handler else {}
    server = make_server("127.0.0.1", 0, app, threaded=True, **options)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
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
