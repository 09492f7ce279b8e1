"""Livestream: shoppers browse a mix of public reads while a marketplace sells one product 10 times a second.

    .venv/bin/python bench/livestream.py [--duration 5] [--rounds 3] [--connections 8] [--postgres URL] [--skip-sqlite]

For each database (SQLite under bench/results/, and PostgreSQL when --postgres or
CATALOGUE_TEST_POSTGRES_URL names a server: a fresh database `bench_livestream` is
created on it, migrated and seeded) it serves the seeded catalogue with gunicorn
(2 workers) and:

1. records one body of each of ≥100 distinct public reads (API lists, searches,
   filters, details; storefront home, listings, product pages) for bench/bare.py;
2. loads the mix with wrk (a Lua script picking a random read per request, the storefront
   as a returning shopper) against the bare app, then the app with no sale, then the app
   while a sale thread posts `POST /api/v1/marketplaces/shopee/orders` (one unit of the hot
   product, the first of the featured list, so it is on many lists) 10 times a second;
3. each sale on a thread of its own (webhooks do not wait for each other); after each ack,
   reads the hot product's detail and the featured list that shows it, and counts any answer
   whose stock does not yet count every sale acknowledged so far (stale reads);
4. on PostgreSQL, counts the client/server round trips of a cache hit in-process (libpq trace).

Ratios are taken within one run (the machine is shared); results go to bench/README.md
between the `livestream` markers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import (  # noqa: E402  (bench scripts share helpers, not a package)
    BENCH,
    README,
    REPO,
    RESULTS,
    Load,
    Server,
    app_env,
    ensure_database,
    execute_sql,
    fetch,
    flask_cli,
    fresh_postgres,
    parse_wrk,
    postgres_server,
    returning_shopper_cookie,
    sqlite_url,
)

DATABASE = RESULTS / "catalogue-livestream.db"
PG_DATABASE = "bench_livestream"
LUA = RESULTS / "livestream-{side}.lua"
SALES_PER_SECOND = 10
HOT_STOCK = 1_000_000
SYNC_EMAIL = "bench-sync@example.com"
MARK_START, MARK_END = "<!-- livestream:start -->", "<!-- livestream:end -->"
SEARCHES = (
    "mien dong",
    "tra hoa vang",
    "ruou",
    "cha muc",
    "nuoc mam",
    "ba kich",
    "sa sung",
    "hai san",
    "mat ong",
    "banh",
    "dong binh lieu",
    "che",
)


@dataclass
class SaleLog:
    """What the sale thread saw."""

    latencies_ms: list[float] = field(default_factory=list)
    failed: int = 0
    rounds: int = 0
    checked: int = 0
    stale: list[str] = field(default_factory=list)


def sync_token(database_url: str) -> str:
    """A token with the sync scope (a new office user on first use)."""
    if not execute_sql(database_url, "SELECT id FROM users WHERE email = ?", (SYNC_EMAIL,)):
        flask_cli(
            database_url,
            # Never signed in with (the bench uses the API token); random, so the password rules take it.
            ["users", "create", "--email", SYNC_EMAIL, "--password", secrets.token_urlsafe(24), "--role", "admin"],
            timeout=60,
        )
    output = flask_cli(
        database_url, ["tokens", "create", "--email", SYNC_EMAIL, "--scope", "sync", "--name", "bench"], timeout=60
    )
    return output.strip().split()[-1]


def read_mix(app: Server) -> tuple[list[str], dict]:
    """≥100 distinct public reads; and the hot product (first of the featured list)."""
    first = json.loads(fetch(app.url("/api/v1/products?per_page=20")))["items"]
    hot = first[0]
    more = json.loads(fetch(app.url("/api/v1/products?per_page=100&sort=name")))["items"]
    categories = [item["code"] for item in json.loads(fetch(app.url("/api/v1/categories")))["items"]][:8]
    localities = [item["code"] for item in json.loads(fetch(app.url("/api/v1/localities")))["items"]][:6]
    api = ["/api/v1/products?per_page=20", "/api/v1/categories", "/api/v1/localities", "/api/v1/producers"]
    api += [f"/api/v1/products?per_page=20&page={page}" for page in (2, 3, 4)]
    api += [f"/api/v1/products?q={query.replace(' ', '+')}" for query in SEARCHES]
    api += [f"/api/v1/products?category={code}" for code in categories]
    api += [f"/api/v1/products?locality={code}" for code in localities]
    api += [f"/api/v1/products?stars={stars}" for stars in (3, 4, 5)]
    api += ["/api/v1/products?in_stock=true", "/api/v1/products?sort=price", "/api/v1/products?sort=-stars"]
    api += [f"/api/v1/products/{item['id']}" for item in [hot, *more[:24]]]
    pages = ["/", "/products", "/products?in_stock=true", "/products?sort=newest", "/products?page=2"]
    pages += [f"/products?q={query.replace(' ', '+')}" for query in SEARCHES[:6]]
    pages += [f"/products?category={code}" for code in categories[:4]]
    pages += [f"/localities/{code}" for code in localities[:4]]
    pages += [f"/products/{item['slug']}" for item in [hot, *more[:24]]]
    return api + pages, hot


def record(app: Server, paths: list[str]) -> list[str]:
    """Save each read's body for bench/bare.py; the bare names, in order."""
    for old in RESULTS.glob("*ls-*.body"):
        old.unlink()
    names = []
    for number, path in enumerate(paths):
        name = f"{'page-' if not path.startswith('/api/') else ''}ls-{number}"
        (RESULTS / f"{name}.body").write_bytes(fetch(app.url(path)))
        names.append(name)
    return names


def write_lua(side: str, paths: list[str], cookie: str | None) -> Path:
    """A wrk script requesting a random path of `paths` each time (with the shopper's cookie)."""
    script = Path(str(LUA).format(side=side))
    lines = ["local paths = {" + ",".join(json.dumps(path) for path in paths) + "}"]
    if cookie:
        lines.append(f'wrk.headers["Cookie"] = {json.dumps(cookie)}')
    lines += ["request = function()", "  return wrk.format(nil, paths[math.random(#paths)])", "end"]
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return script


def wrk(base_url: str, script: Path, duration: int, connections: int) -> Load:
    """One wrk run of a mix script."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s", "-s", str(script)]
    output = subprocess.run(
        [*command, base_url], capture_output=True, text=True, timeout=duration + 30, check=True
    ).stdout
    return parse_wrk(output)


def _request(url: str, body: dict | None = None, token: str | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    if data:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def sell(app: Server, token: str, hot: dict, run_id: str, stop: threading.Event, log: SaleLog) -> None:
    """Sell one unit of the hot product 10 times a second, each sale on its own thread (webhooks do not queue).

    After each ack, the product's detail and the featured list are read: the stock they show must
    already count every sale acknowledged so far (at most the starting stock less the acks).
    """
    start = int(_request(app.url(f"/api/v1/products/{hot['id']}"))["stock"])
    log.rounds += 1
    acked, lock = [0], threading.Lock()

    def one(number: int) -> None:
        started = time.perf_counter()
        try:
            _request(
                app.url("/api/v1/marketplaces/shopee/orders"),
                {"external_order_id": f"{run_id}-{number}", "lines": [{"sku": hot["sku"], "quantity": 1}]},
                token,
            )
        except (urllib.error.URLError, OSError):
            with lock:
                log.failed += 1
            return
        latency = (time.perf_counter() - started) * 1000
        with lock:
            acked[0] += 1
            bound = start - acked[0]
            log.latencies_ms.append(latency)
        detail = _request(app.url(f"/api/v1/products/{hot['id']}"))
        listed = [
            item for item in _request(app.url("/api/v1/products?per_page=20"))["items"] if item["id"] == hot["id"]
        ]
        with lock:
            for label, seen in (("detail", detail), *(("list", item) for item in listed)):
                log.checked += 1
                if seen["stock"] > bound:
                    log.stale.append(f"{label}: {seen['stock']} > {bound}")

    threads: list[threading.Thread] = []
    next_at, number = time.monotonic(), 0
    while not stop.is_set():
        number += 1
        thread = threading.Thread(target=one, args=(number,))
        thread.start()
        threads.append(thread)
        next_at += 1 / SALES_PER_SECOND
        time.sleep(max(0.0, next_at - time.monotonic()))
    for thread in threads:
        thread.join(timeout=60)


def percentile(values: list[float], fraction: float) -> float:
    """The `fraction` percentile of `values` (0 when empty)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def hit_round_trips(database_url: str, hot: dict) -> dict[str, float]:
    """Client→server round trips (libpq Query/Sync messages) per cache hit, in-process, on PostgreSQL.

    Each count runs in a process of its own (libpq's trace is flushed when the process exits):
    3 warm-up requests then `n` more, for n = 0 and n = 20; the difference over 20 is per hit.
    """
    counts = {}
    for label, path in (
        ("list", "/api/v1/products?per_page=20"),
        ("detail", f"/api/v1/products/{hot['id']}"),
        ("page", f"/products/{hot['slug']}"),
    ):
        totals = []
        for extra in (0, 20):
            trace = RESULTS / f"libpq-{label}-{extra}.trace"
            trace.unlink(missing_ok=True)
            subprocess.run(
                [sys.executable, __file__, "--trace-hits", database_url, path, str(extra), str(trace)],
                cwd=REPO,
                env=app_env(database_url),
                check=True,
                timeout=120,
            )
            text = trace.read_text(errors="replace")
            totals.append(len(re.findall(r"\tF\t\d+\t(?:Query|Sync)\b", text)))
        counts[label] = (totals[1] - totals[0]) / 20
    return counts


def trace_hits(database_url: str, path: str, extra: int, trace: str) -> None:
    """(In a child process) GET `path` 3 + `extra` times in-process, libpq tracing every connection to `trace`."""
    sys.path.insert(0, str(REPO))
    from sqlalchemy import event
    from sqlalchemy.pool import Pool

    from catalogue import create_app

    handle = open(trace, "w")  # noqa: SIM115 - libpq writes to it until the process exits

    @event.listens_for(Pool, "connect")
    def _trace(dbapi_connection, _record):
        dbapi_connection.pgconn.trace(handle.fileno())

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench"})
    client = app.test_client()
    for number in range(3 + extra):
        with app.app_context():  # each request its own app context, as under a server
            assert client.get(path).status_code == 200, path
        if number == 2:
            handle.flush()


@dataclass
class Result:
    """One database's livestream figures."""

    database: str
    reads: int
    bare: Load
    quiet: Load
    selling: Load
    sales: SaleLog
    duration: int
    trips: dict[str, float]


def bench_database(label: str, database_url: str, duration: int, connections: int, rounds: int) -> Result:
    """The livestream scenario on one database."""
    token = sync_token(database_url)
    with Server(f"livestream-{label}", "wsgi:app", app_env(database_url), "/healthz") as app:
        paths, hot = read_mix(app)
        # Behind the app's back, so as a write must: a new version for the product, a new revision.
        execute_sql(
            database_url, "UPDATE products SET stock = ?, version = version + 1 WHERE id = ?", (HOT_STOCK, hot["id"])
        )
        execute_sql(database_url, "UPDATE change_counters SET value = value + 1")
        names = record(app, paths)
        cookie = returning_shopper_cookie(app)
        app_lua = write_lua("app", paths, cookie)
        bare_lua = write_lua("bare", [f"/bare/{name}" for name in names], None)
        wrk(app.url("/"), app_lua, 2, connections)  # warm every read into the cache
        log = SaleLog()
        loads: dict[str, list[Load]] = {"bare": [], "quiet": [], "selling": []}
        with Server(f"bare-livestream-{label}", "bare:app", dict(os.environ), f"/bare/{names[0]}", chdir=BENCH) as bare:
            # Interleaved rounds: the machine is shared, so each side sees the same minute's load.
            for round_number in range(rounds):
                loads["bare"].append(wrk(bare.url("/"), bare_lua, duration, connections))
                loads["quiet"].append(wrk(app.url("/"), app_lua, duration, connections))
                stop = threading.Event()
                run_id = f"ls-{label}-{time.time_ns()}-{round_number}"
                seller = threading.Thread(target=sell, args=(app, token, hot, run_id, stop, log))
                seller.start()
                try:
                    loads["selling"].append(wrk(app.url("/"), app_lua, duration, connections))
                finally:
                    stop.set()
                    seller.join(timeout=60)
    trips = hit_round_trips(database_url, hot) if database_url.startswith("postgresql") else {}
    mean = {side: _mean(runs) for side, runs in loads.items()}
    return Result(label, len(paths), mean["bare"], mean["quiet"], mean["selling"], log, duration * rounds, trips)


def _mean(loads: list[Load]) -> Load:
    count = len(loads)
    return Load(
        sum(load.requests_per_second for load in loads) / count,
        sum(load.p50_ms for load in loads) / count,
        max(load.p99_ms for load in loads),
        sum(load.errors for load in loads),
    )


def report(results: list[Result], connections: int) -> list[str]:
    """The markdown block for bench/README.md."""
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on 2 shared cores, Python {platform.python_version()}; gunicorn -w 2, "
        f"wrk -t2 -c{connections} over a mix of distinct public reads; sales: one unit, {SALES_PER_SECOND}/s.",
        "",
        "| database | reads | bare req/s | no sale req/s | selling req/s | selling / no sale | selling / bare "
        "| sales/s acked | sale p50 ms | sale p99 ms | stale reads (checked) | hit round trips |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for result in results:
        sales = result.sales
        trips = ", ".join(f"{name} {value:.1f}" for name, value in result.trips.items()) or "–"
        lines.append(
            f"| {result.database} | {result.reads} | {result.bare.requests_per_second:.0f} "
            f"| {result.quiet.requests_per_second:.0f} | {result.selling.requests_per_second:.0f} "
            f"| {result.selling.requests_per_second / result.quiet.requests_per_second:.2f} "
            f"| {result.selling.requests_per_second / result.bare.requests_per_second:.3f} "
            f"| {len(sales.latencies_ms) / result.duration:.1f} | {percentile(sales.latencies_ms, 0.5):.1f} "
            f"| {percentile(sales.latencies_ms, 0.99):.1f} | {len(sales.stale)} ({sales.checked}) | {trips} |"
        )
    errors = [
        f"{r.database}: wrk errors {r.quiet.errors}/{r.selling.errors}, sales failed {r.sales.failed}" for r in results
    ]
    return [*lines, "", *errors]


def update_readme(lines: list[str]) -> None:
    """Write `lines` between the livestream markers of bench/README.md."""
    text = README.read_text(encoding="utf-8")
    block = "\n".join([MARK_START, *lines, MARK_END])
    if MARK_START in text:
        text = re.sub(re.escape(MARK_START) + r".*?" + re.escape(MARK_END), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n## Livestream\n\n" + block + "\n"
    README.write_text(text, encoding="utf-8")


def main() -> None:
    if len(sys.argv) == 6 and sys.argv[1] == "--trace-hits":
        trace_hits(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds of each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of bare / no sale / selling")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--postgres", help="a PostgreSQL server URL (default: CATALOGUE_TEST_POSTGRES_URL)")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--no-readme", action="store_true", help="print only")
    options = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    results = []
    if not options.skip_sqlite:
        ensure_database(DATABASE, None)
        results.append(
            bench_database("SQLite", sqlite_url(DATABASE), options.duration, options.connections, options.rounds)
        )
    server = postgres_server(options.postgres)
    if server:
        url = fresh_postgres(server, PG_DATABASE)
        results.append(bench_database("PostgreSQL", url, options.duration, options.connections, options.rounds))
    lines = report(results, options.connections)
    for result in results:
        for stale in result.sales.stale[:5]:
            lines.append(f"- {result.database} stale: {stale}")
    if not options.no_readme:
        update_readme(lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
