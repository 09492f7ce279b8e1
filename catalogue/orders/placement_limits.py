"""Order placement is limited: units per line and per order, orders per client and per contact.

Placing an order reserves stock for RESERVATION_MINUTES without paying. Unbounded, an anonymous
client reserved a product's whole stock in three requests and did it again every 15 minutes. So:

- a line may hold at most ORDER_MAX_UNITS_PER_LINE units and an order ORDER_MAX_UNITS_PER_ORDER
  (a refusal names the cap: a buyer who needs more calls the shop);
- a client (its address) may place ORDER_LIMIT_PER_CLIENT orders, and one email or one phone
  number ORDER_LIMIT_PER_CONTACT (limits' notation: "10 per hour", "5/hour;20/day");
- a process places at most ORDER_PLACEMENTS_IN_FLIGHT orders at once, and, while it also serves
  pages, starts at most ORDER_PLACEMENTS_PER_SECOND in any one second: past either, a buyer is asked to come back in
  ORDER_RETRY_AFTER_SECONDS (`admitted`, the waiting room of a flash sale). Being asked does not count
  as an attempt.

Attempts are counted in Flask-Limiter's storage (RATELIMIT_STORAGE_URI: Redis in production, so
every worker and node agrees), before the stock is touched: a burst of concurrent requests is
counted one by one, and an attempt refused for another reason still counts (the reservation is the
abuse, not the payment). Each is set by the office in the environment; defaults below.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from http import HTTPStatus

from limits import RateLimitItem, parse_many

from catalogue import metrics
from catalogue.errors import DomainError, InvalidInput
from catalogue.extensions import limiter

DEFAULTS = {
    "ORDER_MAX_UNITS_PER_LINE": 20,
    "ORDER_MAX_UNITS_PER_ORDER": 50,
    "ORDER_LIMIT_PER_CLIENT": "10 per hour;30 per day",
    "ORDER_LIMIT_PER_CONTACT": "5 per hour;15 per day",
    "ORDER_PLACEMENTS_IN_FLIGHT": 2,
    "ORDER_PLACEMENTS_PER_SECOND": 2,
    "ORDER_ADMISSION_WAIT_MS": 20,
    "ORDER_RETRY_AFTER_SECONDS": 1,
}


class TooManyOrders(DomainError):
    """Too many orders from this client or contact just now; `limit` says which limit, for the refusal."""

    http_status = HTTPStatus.TOO_MANY_REQUESTS

    def __init__(self, message: str, who: str, limit: RateLimitItem) -> None:
        super().__init__(message, {who: [f"At most {limit}."]})
        self.who, self.limit = who, limit


class Busy(DomainError):
    """Answered as 503 with Retry-After: this process places as many orders at once as it may; nothing was placed."""

    http_status = HTTPStatus.SERVICE_UNAVAILABLE
    code = "order.busy"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Many orders are being placed right now; nothing was placed or reserved. Try again in {retry_after} s."
        )
        self.retry_after = retry_after

    @property
    def headers(self) -> tuple[tuple[str, str], ...]:
        return retry_headers(self.retry_after)


def retry_headers(seconds: int) -> tuple[tuple[str, str], ...]:
    """What tells a buyer turned away when to come back: the API's 503, the checkout page and its room question."""
    return (("Retry-After", str(seconds)),)


class Gate:
    """`limit` placements at once in this process, and at most as many more waiting for one of them to end."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._inside = self._waiting = 0
        self._changed = threading.Condition()

    @property
    def full(self) -> bool:
        """Every place is taken just now (a glance: the next `enter` decides)."""
        return self._inside >= self.limit

    def enter(self, wait_seconds: float) -> bool:
        """Take a place now, or wait up to `wait_seconds` for one unless `limit` others already wait."""
        with self._changed:
            if self._inside >= self.limit:
                if wait_seconds <= 0 or self._waiting >= self.limit:
                    return False
                self._waiting += 1
                try:
                    if not self._changed.wait_for(lambda: not self.full, timeout=wait_seconds):
                        return False
                finally:
                    self._waiting -= 1
            self._inside += 1
            return True

    def leave(self) -> None:
        with self._changed:
            self._inside -= 1
            self._changed.notify()

    def __enter__(self) -> Gate:  # a place held outright (tests hold one as "another buyer's order")
        with self._changed:
            self._changed.wait_for(lambda: not self.full)
            self._inside += 1
        return self

    def __exit__(self, *_) -> None:
        self.leave()


def _monotonic() -> float:
    """The pace's clock (tests stop it)."""
    return time.monotonic()


class Pace:
    """At most `per_second` placements started in this process in any one second (a moving window of start
    times, on the monotonic clock; per process like the gate: a worker's share of its node's CPU).

    Not limits' MovingWindowRateLimiter on its MemoryStorage: that storage starts a timer thread on nearly
    every hit, and starting a thread waits for the interpreter lock, 17 ms at the median with three busy
    threads beside it, about what the placement itself costs."""

    def __init__(self, per_second: int) -> None:
        self.per_second = per_second
        self._started: deque[float] = deque()
        self._lock = threading.Lock()

    def _forget_past(self, now: float) -> None:
        while self._started and self._started[0] <= now - 1:
            self._started.popleft()

    @property
    def spent(self) -> bool:
        """This second's placements have all started (a glance: the next `take` decides)."""
        with self._lock:
            self._forget_past(_monotonic())
            return len(self._started) >= self.per_second

    def take(self) -> bool:
        """Count a placement started now, unless this second's are spent."""
        with self._lock:
            now = _monotonic()
            self._forget_past(now)
            if len(self._started) >= self.per_second:
                return False
            self._started.append(now)
            return True


class Pages:
    """The requests other than placements this process serves: what a pace gives way to, and what steps aside
    for a paced placement.

    The web side counts them (`catalogue.waiting_room`: every request but placements, the room question and
    probes, from its start to its teardown). Pages are `served` while one is in flight or one ended less than
    a second ago (the pace's window): where placements hold every thread, a page waits in the worker's queue,
    and the pages that still get through between placements keep the pace on.

    While a paced placement runs (`placing`), pages start one at a time beside it (each waits up to
    STEP_ASIDE_SECONDS for the one before to end). The worker's threads share one interpreter lock: with three
    page threads beside it, a placement got a quarter of its worker's turns and took ~120–130 ms at the median
    and 213–292 at p99 (pace 3, PostgreSQL, the 2-core bench); with one, ~110–120 and 199–215, while the pages,
    waiting for the lock anyway, kept their pace (bench/README.md, "Flash sale", session 11)."""

    STEP_ASIDE_SECONDS = 0.2

    def __init__(self) -> None:
        self._serving = self._placing = 0
        self._last_ended = float("-inf")
        self._changed = threading.Condition()

    @property
    def served(self) -> bool:
        """A page is in flight, or one ended less than a second ago."""
        return self._serving > 0 or _monotonic() - self._last_ended < 1

    def started(self) -> None:
        with self._changed:
            if self._placing and self._serving:
                self._changed.wait_for(lambda: not self._placing or not self._serving, self.STEP_ASIDE_SECONDS)
            self._serving += 1

    def ended(self) -> None:
        with self._changed:
            self._serving -= 1
            self._last_ended = _monotonic()
            self._changed.notify()

    @contextmanager
    def placing(self) -> Iterator[None]:
        """A paced placement runs meanwhile: pages start one at a time."""
        with self._changed:
            self._placing += 1
        try:
            yield
        finally:
            with self._changed:
                self._placing -= 1
                self._changed.notify_all()


pages = Pages()


_gates: dict[int, Gate] = {}
_paces: dict[int, Pace] = {}
_gates_lock = threading.Lock()


def gate(limit: int) -> Gate:
    """This process's gate for `limit` placements at once (one per limit, made on first use)."""
    with _gates_lock:
        if limit not in _gates:  # not setdefault: it would build a gate (its condition) on every placement
            _gates[limit] = Gate(limit)
        return _gates[limit]


def pace(per_second: int) -> Pace:
    """This process's pace of `per_second` placements (one per figure, made on first use)."""
    with _gates_lock:
        if per_second not in _paces:
            _paces[per_second] = Pace(per_second)
        return _paces[per_second]


def retry_after(config: Mapping) -> int:
    """Seconds a buyer turned away waits before coming back (ORDER_RETRY_AFTER_SECONDS)."""
    return int(setting(config, "ORDER_RETRY_AFTER_SECONDS"))


def has_room(config: Mapping) -> bool:
    """Whether this process would start a placement now (no limit: always). The checkout page asks before
    sending a turned-away order again: the question costs ~0.3 ms in-process, the page's answer to a
    turned-away order ~9 ms."""
    chosen, paced = _gate_of(config), _pace_of(config)
    return (chosen is None or not chosen.full) and (paced is None or not paced.spent)


def _gate_of(config: Mapping) -> Gate | None:
    """This process's gate for ORDER_PLACEMENTS_IN_FLIGHT, None when it is 0 (no limit)."""
    limit = int(setting(config, "ORDER_PLACEMENTS_IN_FLIGHT"))
    return gate(limit) if limit > 0 else None


def _pace_of(config: Mapping) -> Pace | None:
    """This process's pace for ORDER_PLACEMENTS_PER_SECOND; None when it is 0 (no limit), or when this process
    serves no page (`Pages.served`): nothing to give way to, the placements may take the whole CPU."""
    per_second = int(setting(config, "ORDER_PLACEMENTS_PER_SECOND"))
    return pace(per_second) if per_second > 0 and pages.served else None


@contextmanager
def admitted(config: Mapping, buyer: tuple[str, str, str] | None = None) -> Iterator[None]:
    """Place at most ORDER_PLACEMENTS_IN_FLIGHT orders at once in this process (0: no limit); Busy past it.
    Once admitted, the `buyer`'s attempt (client address, email, phone) is counted (`count_attempt`).

    The waiting room of a flash sale. Each placement holds a web thread and a share of the CPU for
    its whole run, payment provider included, while the buyers of a sale send the next order the
    moment one is answered. Unlimited, they fill every thread and take the CPU: a shopper opening
    the live page or the product list waits behind the whole queue (bench/README.md, "Flash sale").
    Past the limit a placement waits up to ORDER_ADMISSION_WAIT_MS, so that two buyers who happen
    to meet are both served, but only while no more than the limit already wait; else it is told
    at once to come back (503, Retry-After; the checkout page sends it again by itself), holding
    no thread meanwhile, so the other threads keep serving pages. The limit is per process, so a
    node's share grows with its workers (one per core).

    ORDER_PLACEMENTS_PER_SECOND (0: no limit) also paces the placements a process starts while it serves pages
    (`pages`). The gate bounds how many run at once, not how much of the CPU they take: where the CPU is the
    limit, the placements admitted take as much of it as they can use, and shoppers reading pages keep what is
    left. A pace bounds the orders' share, and so keeps the pages' (bench/README.md, "Flash sale": at what pace
    the read mix keeps 0.8× of its idle throughput on 2 cores). With no page being served there is nothing to
    keep, and the placements are not paced (an order-only burst, bench/orders.py). A buyer whose own limits
    refuse the placement (`check_attempt`) is refused before taking one of the pace's places: else one client
    past its limits, sending a few orders a second, would keep every other buyer out.
    """
    chosen, paced = _gate_of(config), _pace_of(config)
    if paced is not None and paced.spent:  # not worth a wait in the gate
        metrics.ORDERS_TURNED_AWAY.inc()
        raise Busy(retry_after(config))
    if chosen is not None and not chosen.enter(int(setting(config, "ORDER_ADMISSION_WAIT_MS")) / 1000):
        metrics.ORDERS_TURNED_AWAY.inc()
        raise Busy(retry_after(config))
    try:
        if paced is not None:
            if buyer is not None:
                check_attempt(config, *buyer)  # a placement its own limits refuse takes none of the pace
            if not paced.take():
                metrics.ORDERS_TURNED_AWAY.inc()
                raise Busy(retry_after(config))
        if buyer is not None:
            count_attempt(config, *buyer)
        with pages.placing() if paced is not None else nullcontext():
            yield
    finally:
        if chosen is not None:
            chosen.leave()


def setting(config: Mapping, name: str):
    """The office's setting `name`, or its default."""
    value = config.get(name)
    return DEFAULTS[name] if value in (None, "") else value


def check_units(config: Mapping, quantities: Sequence[int]) -> None:
    """InvalidInput naming `lines` when a line or the whole order holds more units than the caps allow."""
    per_line, per_order = (
        int(setting(config, "ORDER_MAX_UNITS_PER_LINE")),
        int(setting(config, "ORDER_MAX_UNITS_PER_ORDER")),
    )
    errors = {
        str(index): {"quantity": [f"At most {per_line} units of one product per order."]}
        for index, quantity in enumerate(quantities)
        if quantity > per_line
    }
    if errors:
        raise InvalidInput(
            f"At most {per_line} units of one product per order; call the shop for more.", {"lines": errors}
        )
    if sum(quantities) > per_order:
        raise InvalidInput(
            f"At most {per_order} units per order ({sum(quantities)} asked); call the shop for more.",
            {"lines": [f"At most {per_order} units per order."]},
        )


def contact_keys(email: str, phone: str) -> list[tuple[str, str]]:
    """The buyer's email (case-folded) and phone (digits, +84 read as 0) as they are counted."""
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("84") and len(digits) > 9:
        digits = "0" + digits[2:]
    keys = [("email", (email or "").strip().casefold())]
    if digits:
        keys.append(("phone", digits))
    return keys


def check_attempt(config: Mapping, client: str, email: str, phone: str) -> None:
    """TooManyOrders when `count_attempt` would refuse this placement now; counts nothing."""
    _attempt(config, client, email, phone, count=False)


def count_attempt(config: Mapping, client: str, email: str, phone: str) -> None:
    """Count this placement for the client and each contact; TooManyOrders (nothing placed) past a limit."""
    _attempt(config, client, email, phone, count=True)


def _attempt(config: Mapping, client: str, email: str, phone: str, *, count: bool) -> None:
    """TooManyOrders past a limit of the client's or a contact's; the placement counted for each when `count`."""
    own = limiter.of_app()
    if not own.enabled or own.limiter is None:
        return
    strategy = own.limiter
    counted = [("client", client, setting(config, "ORDER_LIMIT_PER_CLIENT"))]
    counted += [(who, value, setting(config, "ORDER_LIMIT_PER_CONTACT")) for who, value in contact_keys(email, phone)]
    for who, value, limits in counted:
        for limit in parse_many(str(limits)):
            keys = (str(config.get("RATELIMIT_KEY_PREFIX") or ""), "order-placement", who, value)
            if not (strategy.hit if count else strategy.test)(limit, *keys):
                raise TooManyOrders(
                    f"Too many orders from this {'address' if who == 'client' else who} (at most {limit}); "
                    "try again later or call the shop.",
                    who,
                    limit,
                )
