"""What every carrier adapter does the same way: send with retries, read JSON, keep master data a while.

`CarrierAPI.call` sends through the shop's retrying client (catalogue.http_client: timeouts,
429/5xx retried with backoff) and turns "no usable answer" into `CarrierUnavailable` with a
Vietnamese message naming the carrier. Reading the answer (its envelope, its error codes) is
each adapter's own business.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import requests

from catalogue.carriers.port import CarrierUnavailable
from catalogue.http_client import BUSY_OR_SERVER_ERRORS, Unreachable, send

CONNECT_TIMEOUT_SECONDS = 3.05
READ_TIMEOUT_SECONDS = 10.0


class CarrierAPI:
    """One carrier's HTTP API at one base URL."""

    def __init__(
        self,
        brand: str,
        base: str,
        *,
        session: requests.Session | None = None,
        timeout: float | tuple[float, float] = (CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS),
        attempts: int = 3,
        backoff: float = 0.2,
    ) -> None:
        self.brand, self.base = brand, base.rstrip("/")
        self.session = session or requests.Session()
        self.timeout, self.attempts, self.backoff = timeout, attempts, backoff

    def unavailable(self, detail: str) -> CarrierUnavailable:
        return CarrierUnavailable(
            f"{self.brand}: {detail}",
            f"{self.brand} chưa phản hồi (mạng chậm hoặc hệ thống đang bận). Vui lòng thử lại sau ít phút.",
        )

    def call(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """`url` is a path under the base, or a whole URL (a print page on another host)."""
        whole = url if url.startswith(("http://", "https://")) else self.base + url
        try:
            return send(
                self.session, method, whole, service=self.brand, timeout=self.timeout, attempts=self.attempts,
                retry_statuses=BUSY_OR_SERVER_ERRORS, backoff=self.backoff, **kwargs,
            )  # fmt: skip
        except Unreachable as error:
            raise self.unavailable(str(error)) from error

    def json_of(self, response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError as error:
            raise self.unavailable(f"HTTP {response.status_code}, not JSON") from error


class TTLCache:
    """A small per-adapter cache of master data (provinces, districts, wards), kept `seconds`."""

    def __init__(self, seconds: float = 24 * 3600, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds, self.clock = seconds, clock
        self._values: dict[object, tuple[float, object]] = {}
        self._lock = threading.Lock()

    def get(self, key: object, load: Callable[[], object]) -> Any:
        now = self.clock()
        with self._lock:
            hit = self._values.get(key)
        if hit and now - hit[0] < self.seconds:
            return hit[1]
        value = load()  # outside the lock: a slow carrier must not hold every other lookup
        with self._lock:
            self._values[key] = (now, value)
        return value
