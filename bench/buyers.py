"""Buyers who place orders the way the checkout page does: the next as soon as one is answered, and when
the shop's waiting room answers 503 with `Retry-After`, the same order again after that long, no sooner.

wrk cannot be told to wait per answer and times every answer alike, so a turned-away 503 (answered in a
millisecond) would count as a fast order. Here each buyer is a thread with its own keep-alive connection
(http.client, the cheapest client the standard library has), and three things are timed apart:

- `placed`: the answer time of each acknowledged order (201);
- `turned_away`: how many answers were the waiting room's 503;
- `to_order`: for each acknowledged order, the time from the buyer's first attempt at it to its 201,
  waits included: what a buyer in the sale lives through.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

CUSTOMER = {"name": "Khách thử tải", "email": "bench@example.com", "phone": "0912345678"}
ADDRESS = {"line1": "1 Hạ Long", "ward": "Phường Bãi Cháy", "province": "Quảng Ninh"}


@dataclass
class Purchases:
    placed: list[float] = field(default_factory=list)  # seconds per acknowledged answer
    to_order: list[float] = field(default_factory=list)  # seconds from first attempt to acknowledgement
    turned_away: int = 0
    other: Counter = field(default_factory=Counter)  # status (or "error") → count

    def add(self, other: Purchases) -> None:
        """Count `other`'s purchases in with these (a further round)."""
        self.placed += other.placed
        self.to_order += other.to_order
        self.turned_away += other.turned_away
        self.other.update(other.other)

    def percentile(self, values: list[float], level: float) -> float:
        """The `level` percentile of `values` in milliseconds (nearest rank); 0 when there are none."""
        if not values:
            return 0.0
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(level / 100 * len(ordered)))] * 1000


def buy(url: str, duration: float, buyers: int, product_ids: list[int]) -> Purchases:
    """`buyers` threads posting one-unit orders of random `product_ids` to `url` for `duration` seconds."""
    parts = urlsplit(url)
    result, lock = Purchases(), threading.Lock()
    deadline = time.monotonic() + duration
    start = threading.Barrier(buyers)

    def one_buyer(seed: int) -> None:
        chooser = random.Random(seed)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=15)
        first_try: float | None = None
        body = None
        start.wait()
        while time.monotonic() < deadline:
            if first_try is None:
                product_id = chooser.choice(product_ids)
                lines = [{"product_id": product_id, "quantity": 1}]
                body = json.dumps({"lines": lines, "customer": CUSTOMER, "shipping_address": ADDRESS}).encode()
                first_try = time.monotonic()
            sent = time.monotonic()
            try:
                connection.request("POST", parts.path, body, {"Content-Type": "application/json"})
                answer = connection.getresponse()
                answer.read()
            except (OSError, http.client.HTTPException):
                connection.close()  # reconnects on the next request
                with lock:
                    result.other["error"] += 1
                first_try = None
                continue
            answered = time.monotonic()
            if answer.status == 201:
                with lock:
                    result.placed.append(answered - sent)
                    result.to_order.append(answered - first_try)
                first_try = None
            elif answer.status == 503 and answer.getheader("Retry-After"):
                with lock:
                    result.turned_away += 1
                time.sleep(max(0.0, min(float(answer.getheader("Retry-After")), deadline - time.monotonic())))
            else:
                with lock:
                    result.other[answer.status] += 1
                first_try = None
        connection.close()

    threads = [threading.Thread(target=one_buyer, args=(seed,), daemon=True) for seed in range(buyers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=duration + 60)
    return result
