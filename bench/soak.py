"""A soak on the cluster: a steady mix for N minutes, sampled every minute, and the books checked at the end.

    .venv/bin/python bench/soak.py [--minutes 30] [--no-readme]

Root only: it brings up the cluster of tests/cluster/harness.py (two web nodes, a celery worker, nginx, on
PostgreSQL `ocop_cluster`, Redis and moto's S3) — never while `make test-cluster` or bench/cluster.py runs
(it refuses when `ip netns list` shows ocop-a). The office uploads three producers' invoice certificates
on the portal (production signs only with a producer's own), then, all through nginx:

- shoppers' reads: 3 threads cycling lists, a search, details, categories and a product page;
- orders: one a second or so (VietQR), each of 1–2 of those producers' products, paid ~1 s later by
  the bank's feed (a signed SePay webhook) — so every paid order invoices on the worker;
- marketplace sales: POST /api/v1/marketplaces/shopee/orders with a sync token, every ~3 s;
- sync pushes: the sync job's round every ~3 s — GET /api/v1/sync/changes, then PUT each changed
  product's shopee listing (live, the version and what was pushed) and PUT the cursor.

Every minute it samples the worker node's memory (RSS of the celery master and its children), the 5xx
count and p99 of that minute's requests. At the end it waits for the worker to drain and checks the
books: one original invoice per producer per paid order, each producer's numbers gap-free and unique,
and every product's stock exactly its initial stock minus what orders and marketplace sales took.
Figures go between the `soak` markers of bench/README.md.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.cluster import flows  # noqa: E402
from tests.cluster.harness import Cluster  # noqa: E402

README = REPO / "bench" / "README.md"
MARK_START, MARK_END = "<!-- soak:start -->", "<!-- soak:end -->"


class Recorder:
    """Every request's (minute, kind, status, seconds), thread-safe."""

    def __init__(self, started: float):
        self.started, self.lock, self.rows = started, threading.Lock(), []

    def call(self, kind: str, send) -> requests.Response | None:
        begun = time.monotonic()
        try:
            answer = send()
            status = answer.status_code
        except requests.RequestException:
            answer, status = None, 0
        with self.lock:
            self.rows.append((int((begun - self.started) // 60), kind, status, time.monotonic() - begun))
        return answer


def worker_rss_mb(cluster: Cluster) -> float:
    """The celery master's resident memory plus its pool children's (from /proc; the node's own processes)."""
    root = cluster.processes["w"].pid
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
            for task in Path(f"/proc/{pid}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, AttributeError):
            continue
    return total / 1024


def soak(cluster: Cluster, minutes: int) -> dict:
    cluster.flask("users", "create", "--email", flows.OFFICE_EMAIL, "--password", flows.OFFICE_PASSWORD,
                  "--role", "admin")  # fmt: skip
    out = cluster.flask("tokens", "create", "--email", flows.OFFICE_EMAIL, "--scope", "sync", "--name", "soak")
    token = re.findall(r"[A-Za-z0-9_\-]{30,}", out)[-1]
    sync_headers = {"Authorization": f"Bearer {token}"}
    producers = flows.invoicing_producers(cluster, 3)
    flows.upload_certificates(cluster, producers)
    products = [producer["product_id"] for producer in producers]
    skus = dict(cluster.sql("SELECT id, sku FROM products WHERE id = ANY(%(ids)s)", ids=products))
    admin = re.findall(r"[A-Za-z0-9_\-]{30,}", cluster.flask("tokens", "create", "--email", flows.OFFICE_EMAIL,
                       "--scope", "admin", "--name", "soak-office"))[-1]  # fmt: skip
    for product in products:  # enough stock for the whole run: a sold-out product would end the orders
        url = f"{cluster.base}/api/v1/products/{product}"
        etag = requests.get(url, verify=False, timeout=10).headers["ETag"]
        stocked = requests.patch(url, json={"stock": 100_000}, verify=False, timeout=10,
                                 headers={"Authorization": f"Bearer {admin}", "If-Match": etag})  # fmt: skip
        if stocked.status_code != 200:
            raise RuntimeError(f"stock of {product}: {stocked.status_code} {stocked.text[:300]}")
    initial = dict(cluster.sql("SELECT id, stock FROM products WHERE id = ANY(%(ids)s)", ids=products))
    reads = [*(f"/api/v1/products/{product}" for product in products), "/api/v1/products?per_page=20",
             "/api/v1/categories", "/api/v1/products?q=mien+dong+binh+lieu", "/"]  # fmt: skip

    started = time.monotonic()
    deadline = started + minutes * 60
    record = Recorder(started)
    sold: dict[int, int] = defaultdict(int)
    paid_orders: list[str] = []
    lock = threading.Lock()

    def shopper(index: int) -> None:
        session = flows.browser(cluster)
        for path in itertools.cycle(reads[index:] + reads[:index]):
            if time.monotonic() > deadline:
                return
            record.call("read", lambda path=path: session.get(f"{cluster.base}{path}", timeout=30))
            time.sleep(0.05)

    def buyer() -> None:
        session, numbers = flows.browser(cluster), itertools.count(1)
        while time.monotonic() < deadline:
            chosen = random.sample(products, random.choice((1, 2)))
            email = f"soak.{next(numbers)}@cluster.test"
            placed = record.call("order", lambda c=chosen, e=email: flows.place(session, cluster.base, c, e))
            if placed is not None and placed.status_code == 201:
                with lock:
                    for product in chosen:
                        sold[product] += 1
                time.sleep(1)  # the shopper's transfer reaches the bank's feed
                paid = record.call("payment", lambda placed=placed: flows.pay_by_sepay(session, cluster, placed.json()))
                if paid is not None and paid.status_code == 200 and paid.json().get("outcomes") == ["paid"]:
                    paid_orders.append(placed.json()["code"])
            time.sleep(random.uniform(0.3, 0.8))

    sales_url = f"{cluster.base}/api/v1/marketplaces/shopee/orders"

    def marketplace() -> None:
        session, numbers = flows.browser(cluster), itertools.count(1)
        while time.monotonic() < deadline:
            product = random.choice(products)
            sale = {"external_order_id": f"SHP-SOAK-{next(numbers):06d}", "lines": [{"sku": skus[product],
                    "quantity": 1}]}  # fmt: skip
            answer = record.call(
                "sale", lambda s=sale: session.post(sales_url, json=s, headers=sync_headers, timeout=30)
            )
            if answer is not None and answer.status_code == 201:
                with lock:
                    sold[product] += 1
            time.sleep(random.uniform(2, 4))

    def sync_job() -> None:
        session, cursor = flows.browser(cluster), None
        while time.monotonic() < deadline:
            query = f"?limit=50&since={cursor}" if cursor else "?limit=50"
            feed = record.call("sync", lambda query=query: session.get(
                f"{cluster.base}/api/v1/sync/changes{query}", headers=sync_headers, timeout=30))  # fmt: skip
            if feed is not None and feed.status_code == 200:
                body = feed.json()
                for change in body.get("items", [])[:10]:
                    product = change.get("product") or change
                    if "id" not in product or "version" not in product:
                        continue
                    pushed = {"status": "live", "external_id": f"SP{product['id']}",
                              "synced_version": product["version"],
                              "pushed": {"price_vnd": product.get("price_vnd", 0), "stock": product.get("stock", 0),
                                         "content": "soak"}}  # fmt: skip
                    record.call("sync", lambda product=product, pushed=pushed: session.put(
                        f"{cluster.base}/api/v1/products/{product['id']}/listings/shopee", json=pushed,
                        headers=sync_headers, timeout=30))  # fmt: skip
                cursor = body.get("next_cursor") or body.get("cursor") or cursor
                if cursor:
                    record.call("sync", lambda cursor=cursor: session.put(
                        f"{cluster.base}/api/v1/sync/cursors/shopee", json={"cursor": cursor},
                        headers=sync_headers, timeout=30))  # fmt: skip
            time.sleep(random.uniform(2, 4))

    threads = [threading.Thread(target=shopper, args=(i,)) for i in range(3)]
    threads += [threading.Thread(target=target) for target in (buyer, marketplace, sync_job)]
    for thread in threads:
        thread.start()
    samples = []
    for minute in range(minutes):
        time.sleep(max(0.0, started + (minute + 1) * 60 - time.monotonic()))
        with record.lock:
            rows = [row for row in record.rows if row[0] == minute]
        seconds = sorted(row[3] for row in rows)
        sample = {
            "minute": minute + 1,
            "requests": len(rows),
            "5xx": sum(1 for row in rows if row[2] >= 500 or row[2] == 0),
            "p99_ms": 1000 * statistics.quantiles(seconds, n=100)[98] if len(seconds) > 1 else 0.0,
            "worker_rss_mb": worker_rss_mb(cluster),
            "statuses": sorted({row[2] for row in rows}),
        }
        samples.append(sample)
        print(sample, flush=True)
    for thread in threads:
        thread.join(timeout=60)
    return {"samples": samples, "check": check_books(cluster, paid_orders, dict(sold), initial, producers),
            "kinds": _kinds(record.rows)}  # fmt: skip


def _kinds(rows) -> dict[str, dict[str, int]]:
    kinds: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for _, kind, status, _ in rows:
        kinds[kind][str(status)] += 1
    return {kind: dict(statuses) for kind, statuses in kinds.items()}


def check_books(cluster: Cluster, paid: list[str], sold: dict[int, int], initial: dict[int, int],
                producers: list[dict]) -> dict:  # fmt: skip
    """Invoices: one original per producer per paid order, numbers gap-free; stock: initial − sold."""
    ids = [producer["id"] for producer in producers]
    expected = cluster.sql(
        "SELECT count(DISTINCT (o.id, l.producer_id)) FROM orders o JOIN order_lines l ON l.order_id = o.id "
        "WHERE o.code = ANY(%(codes)s) AND l.producer_id = ANY(%(ids)s)", codes=paid, ids=ids
    )[0][0]  # fmt: skip
    deadline = time.monotonic() + 180
    while True:  # the worker drains what the last minutes queued
        issued = cluster.sql(
            "SELECT count(*), count(DISTINCT (i.order_id, i.producer_id)) FROM invoices i JOIN orders o "
            "ON o.id = i.order_id WHERE o.code = ANY(%(codes)s) AND i.kind = 'original'", codes=paid
        )[0]  # fmt: skip
        if issued[1] >= expected or time.monotonic() > deadline:
            break
        time.sleep(2)
    gaps = cluster.sql(
        "SELECT producer_id, series, count(*), count(DISTINCT number), min(number), max(number) FROM invoices "
        "WHERE producer_id = ANY(%(ids)s) GROUP BY producer_id, series", ids=ids
    )  # fmt: skip
    numbering_ok = all(count == distinct == high - low + 1 for _, _, count, distinct, low, high in gaps)
    stock = dict(cluster.sql("SELECT id, stock FROM products WHERE id = ANY(%(ids)s)", ids=list(initial)))
    stock_ok = all(stock[product] == initial[product] - sold.get(product, 0) for product in initial)
    return {
        "paid_orders": len(paid), "invoices_expected": expected, "invoices": issued[0],
        "invoices_distinct": issued[1], "invoices_exact": issued[0] == issued[1] == expected,
        "numbering_gap_free": numbering_ok, "stock_exact": stock_ok,
        "stock": {product: (initial[product], sold.get(product, 0), stock[product]) for product in initial},
    }  # fmt: skip


def report(result: dict, minutes: int) -> list[str]:
    samples, check = result["samples"], result["check"]
    warm = [sample["worker_rss_mb"] for sample in samples[1:]] or [samples[0]["worker_rss_mb"]]
    drift = (max(warm) - min(warm)) / min(warm) * 100
    p99s = [sample["p99_ms"] for sample in samples]
    lines = [
        f"{minutes}-minute run, {platform.machine()}, {os.cpu_count()} cores shared with other jobs, Python "
        f"{platform.python_version()}; the cluster of tests/cluster/harness.py (2 nodes × 2 gunicorn workers, "
        "1 celery worker with concurrency 2, nginx, PostgreSQL, Redis, moto S3).",
        "",
        "| minute | requests | 5xx / failed | p99 (ms) | worker RSS (MB) |",
        "|---|---|---|---|---|",
        *(
            f"| {s['minute']} | {s['requests']} | {s['5xx']} | {s['p99_ms']:.0f} | {s['worker_rss_mb']:.1f} |"
            for s in samples
        ),  # fmt: skip
        "",
        f"- Requests by kind and status: {result['kinds']}.",
        f"- Worker memory after the first minute: {min(warm):.1f}–{max(warm):.1f} MB, a spread of {drift:.1f} % "
        f"({'flat: within 10 %' if drift <= 10 else 'NOT flat: over 10 %'}).",
        f"- p99: first minute {p99s[0]:.0f} ms, last {p99s[-1]:.0f} ms, median {statistics.median(p99s):.0f} ms, "
        f"worst {max(p99s):.0f} ms.",
        f"- 5xx and failed requests: {sum(s['5xx'] for s in samples)} in all.",
        f"- Books: {check['paid_orders']} paid orders → {check['invoices']} original invoices for "
        f"{check['invoices_expected']} (order, producer) pairs "
        f"({'exact' if check['invoices_exact'] else 'NOT exact'}); "
        f"numbering gap-free and unique: {check['numbering_gap_free']}; stock exact (initial − sold): "
        f"{check['stock_exact']} — {check['stock']} (product: initial, sold, now).",
    ]
    return lines


def update_readme(lines: list[str]) -> None:
    text = README.read_text()
    block = "\n".join([MARK_START, *lines, MARK_END])
    if MARK_START in text:
        before, rest = text.split(MARK_START, 1)
        text = before + block + rest.split(MARK_END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    README.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=int, default=30)
    parser.add_argument("--no-readme", action="store_true")
    options = parser.parse_args()
    if os.geteuid() != 0:
        print("bench/soak.py needs root (ip netns)", file=sys.stderr)
        return 2
    if "ocop-a" in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout:
        print("a cluster is already running on this machine (ocop-a exists): wait for it", file=sys.stderr)
        return 2
    import urllib3

    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    unlimited = {"ORDER_LIMIT_PER_CLIENT": "1000000 per hour", "ORDER_LIMIT_PER_CONTACT": "1000000 per hour"}
    cluster = Cluster(Path(tempfile.mkdtemp(prefix="ocop-soak-")), extra_env=unlimited)  # one address, one phone
    try:
        cluster.up()
        result = soak(cluster, options.minutes)
    finally:
        cluster.down()
    lines = report(result, options.minutes)
    print("\n".join(lines))
    if not options.no_readme:
        update_readme(lines)
    check = result["check"]
    return 0 if check["invoices_exact"] and check["numbering_gap_free"] and check["stock_exact"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
