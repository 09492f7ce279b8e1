"""What every marketplace adapter shares: its interface, errors, rate limit, retries and call count.

An adapter is the only way the sync worker reaches a marketplace. Each one signs its
own requests, waits for its own rate limit, sets explicit (connect, read) timeouts and
retries what is worth retrying (429, 5xx, the marketplace's rate-limit error, timeouts,
dropped connections) with exponential backoff and jitter. What it cannot fix it raises:
`TransientError` when a later run may succeed, `RejectedError` when the marketplace
refused the listing itself (a later run with the same data would fail the same way).
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from marketplace_sync.mapping import Listing


class MarketplaceError(Exception):
    """A marketplace call failed."""


class TransientError(MarketplaceError):
    """Still failing after the retries (overload, outage, timeouts): try again on a later run."""


class RejectedError(MarketplaceError):
    """The marketplace refused the request itself (bad field, unknown category): retrying will not help."""


class Retryable(Exception):
    """One attempt failed in a way worth another attempt."""


@dataclass(frozen=True)
class RemoteItem:
    """A listing as the marketplace holds it."""

    external_id: str
    sku: str
    price_vnd: int
    stock: int
    listed: bool
    fields: dict = field(default_factory=dict)  # name, description, category_id, weight_kg as the marketplace has them


@dataclass(frozen=True)
class Sale:
    """An order made on a marketplace, in our terms."""

    external_order_id: str
    lines: list[dict]  # [{"sku", "quantity"}]
    cancelled: bool = False  # cancelled on the marketplace: our stock comes back
    updated_at: int = 0  # Unix time of the order's last change on the marketplace (0: not known)


@dataclass(frozen=True)
class Tuning:
    """Timeouts, retries and rate limit of one adapter (tests shorten them)."""

    connect_timeout: float = 3.05
    read_timeout: float = 15.0
    attempts: int = 5
    backoff_base: float = 0.5  # seconds; the wait is random in [0, base * 2**attempt], capped
    backoff_max: float = 30.0
    calls_per_second: float = 10.0


class RateLimiter:
    """A token bucket: at most `rate` calls a second on average, at most `burst` at once (thread-safe)."""

    def __init__(self, rate: float, burst: float = 1.0):
        self.rate, self.capacity = rate, max(burst, 1.0)
        self.tokens, self.updated = self.capacity, time.monotonic()
        self.lock = threading.Lock()

    def acquire(self) -> None:
        """Wait until a call may be made, then spend its token."""
        if self.rate <= 0:
            return
        while True:
            with self.lock:
                now = time.monotonic()
                self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
                self.updated = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                wait = (1 - self.tokens) / self.rate
            time.sleep(wait)


class Adapter:
    """Base of the marketplace adapters: HTTP session, rate limit, retries and a count of calls made."""

    name = ""

    def __init__(self, base_url: str, tuning: Tuning | None = None, session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.tuning = tuning or Tuning()
        self.session = session or requests.Session()
        self.limiter = RateLimiter(self.tuning.calls_per_second)
        self.calls = 0  # HTTP requests sent, retries included
        self._count_lock = threading.Lock()

    # --- the interface the worker uses -------------------------------------------

    def find_by_sku(self, sku: str) -> RemoteItem | None:
        raise NotImplementedError

    def create(self, listing: Listing) -> str:
        """Create the listing and return its external id; never creates a second one for the SKU."""
        for attempt in range(1, self.tuning.attempts + 1):
            try:
                return self._create(listing)
            except TransientError:
                # The create may have landed before its answer was lost: look before trying again.
                found = self.find_by_sku(listing.sku)
                if found is not None:
                    return found.external_id
                if attempt == self.tuning.attempts:
                    raise
                time.sleep(random.uniform(0, min(self.tuning.backoff_max, self.tuning.backoff_base * 2**attempt)))
        raise AssertionError("unreachable")

    def update(self, external_id: str, listing: Listing) -> None:
        """Push name, description, category, weight and images."""
        raise NotImplementedError

    def update_price_stock(self, external_id: str, listing: Listing, price: bool, stock: bool) -> None:
        raise NotImplementedError

    def unlist(self, external_id: str, sku: str) -> None:
        raise NotImplementedError

    def relist(self, external_id: str, listing: Listing) -> None:
        raise NotImplementedError

    def order_changes(self, since: int, until: int) -> list[Sale]:
        """Orders updated in [since, until] (Unix times), with their lines and whether they were cancelled."""
        raise NotImplementedError

    def order_details(self, order_ids: list[str]) -> list[Sale]:
        """These orders, with their lines and state (for a push, which names the order only)."""
        raise NotImplementedError

    def _create(self, listing: Listing) -> str:
        raise NotImplementedError

    # --- plumbing ---------------------------------------------------------------------

    def _retrying(self) -> Retrying:
        return Retrying(
            retry=retry_if_exception_type(Retryable),
            stop=stop_after_attempt(self.tuning.attempts),
            wait=wait_random_exponential(multiplier=self.tuning.backoff_base, max=self.tuning.backoff_max),
            retry_error_callback=_give_up,
            reraise=False,
        )

    def _send(self, method: str, path: str, build: callable, check: callable, idempotent: bool = True) -> dict:
        """Send one logical call: `build()` gives fresh request kwargs (a new signature) for every attempt.

        A call that is not idempotent (a create) is retried here only when the marketplace
        surely refused it (429, rate-limit errors); after a timeout or a 5xx it may have
        landed, so TransientError goes up at once and `create` looks before trying again.
        """
        for attempt in self._retrying():
            with attempt:
                self.limiter.acquire()
                with self._count_lock:
                    self.calls += 1
                try:
                    response = self.session.request(
                        method,
                        f"{self.base_url}{path}",
                        timeout=(self.tuning.connect_timeout, self.tuning.read_timeout),
                        **build(),
                    )
                except (requests.Timeout, requests.ConnectionError) as error:
                    if not idempotent:
                        raise TransientError(f"{self.name} {path}: {type(error).__name__}") from error
                    raise Retryable(f"{self.name} {path}: {type(error).__name__}") from error
                if response.status_code >= 500 and not idempotent:
                    raise TransientError(f"{self.name} {path}: HTTP {response.status_code}")
                if response.status_code == 429 or response.status_code >= 500:
                    raise Retryable(f"{self.name} {path}: HTTP {response.status_code}")
                try:
                    body = response.json()
                except ValueError as error:
                    raise RejectedError(f"{self.name} {path}: HTTP {response.status_code}, not JSON") from error
                return check(path, response.status_code, body)
        raise AssertionError("unreachable: tenacity either returned or called _give_up")


RASTER_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")  # JPEG, PNG


def fetch_raster(url: str, timeout: tuple[float, float], shown: str) -> bytes:
    """The image bytes from our own service, for a marketplace that wants an upload, not a URL (JPEG/PNG only)."""
    try:
        response = requests.get(url, timeout=timeout)
    except (requests.Timeout, requests.ConnectionError) as error:
        raise TransientError(f"Image {url} could not be fetched: {type(error).__name__}.") from error
    if response.status_code != 200:
        raise RejectedError(f"Image {url} could not be fetched: HTTP {response.status_code}.")
    if not response.content.startswith(RASTER_MAGIC):  # an SVG would be refused
        raise RejectedError(f"Image {url} is not a JPEG or PNG picture; {shown} accepts only those.")
    return response.content


def _give_up(state: RetryCallState):
    error = state.outcome.exception()
    raise TransientError(f"{error} (after {state.attempt_number} attempts)") from error
