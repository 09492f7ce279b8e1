"""Live page stock stream: N open /live/<code>/events streams — how long a sale takes to show on all of them,
and what holding them costs the shop's read mix.

    .venv/bin/python bench/live_stream.py [--streams 200] [--poll 1.0] [--sales 3] [--rounds 3] [--duration 5]
        [--connections 8] [--postgres URL] [--skip-sqlite] [--no-readme]

For each database (the seeded SQLite catalogue under bench/results/, and a fresh PostgreSQL database
`bench_live_stream` when --postgres or CATALOGUE_TEST_POSTGRES_URL names a server) it serves the shop the way
docs/live-selling.md tells an operator to: the shop on gunicorn's sync workers (2), and the streams on a second
gunicorn, one process, `-k gthread`, a thread per stream. A live session pins the first product of the shop's
featured list. Then, in interleaved rounds (the machine is shared, so each side sees the same minute's load):

1. the shop's read mix (bench/livestream.py's ≥100 distinct public reads, a returning shopper) with wrk,
   no stream open;
2. N clients open a stream each; once every one has its first event, the same read mix while they are held;
3. `--sales` sales (a stock move committed from this process, as any checkout commits it), each timed until
   the event with the new stock reached each stream; the streams end when they have seen the last one.

Prints, and writes between the `live_stream` markers of bench/README.md (unless --no-readme): events timed,
p50 and max sale → shown, and the read mix held / idle. Bounded: N ≤ 1000, each read times out after 10 s.
"""

from __future__ import annotations

import argparse
import platform
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from livestream import read_mix, write_lua  # noqa: E402  (bench scripts share helpers, not a package)
from livestream import wrk as wrk_mix  # noqa: E402
from run import (  # noqa: E402
    README,
    RESULTS,
    BenchError,
    Load,
    Server,
    app_env,
    ensure_database,
    free_port,
    fresh_postgres,
    postgres_server,
    returning_shopper_cookie,
    sqlite_url,
)

from catalogue.storefront.live import HEARTBEAT_SECONDS  # noqa: E402  (the streams server's keepalive)

DATABASE = RESULTS / "catalogue-live-stream.db"
PG_DATABASE = "bench_live_stream"
MARK_START, MARK_END = "<!-- live_stream:start -->", "<!-- live_stream:end -->"


@dataclass
class Result:
    database: str
    streams: int
    idle: list[Load] = field(default_factory=list)
    held: list[Load] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    expected_events: int = 0
    refused: list[str] = field(default_factory=list)


def open_session(database_url: str, product_id: int) -> tuple[str, int]:
    """A live session open now, pinning `product_id` (by its producer); its code and the product's stock."""
    from catalogue import clock, create_app
    from catalogue.extensions import db
    from catalogue.live import services as live
    from catalogue.products.models import Product
    from tests.live_selling.live_helpers import producer

    app = create_app(
        {
            "CATALOGUE_ENV": "testing",
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "MEDIA_ROOT": str(RESULTS / "media"),
        }
    )
    with app.app_context():
        product = db.session.get(Product, product_id)
        now = clock.now()
        session = live.save_session(
            producer(product.producer_id),
            None,
            "Bench live",
            now - timedelta(hours=1),
            now + timedelta(hours=3),
            [live.PinInput(product.id, None, None)],
        )
        code, stock = session.code, product.stock
        db.session.commit()
        db.engine.dispose()
    return code, stock


def sell_one(database_url: str, product_id: int) -> None:
    """One unit taken and committed, as a checkout's reservation takes it."""
    from catalogue import create_app
    from catalogue.extensions import db
    from catalogue.products.stock import take_stock

    app = _SELLER_APPS.get(database_url)
    if app is None:
        app = _SELLER_APPS[database_url] = create_app(
            {"CATALOGUE_ENV": "testing", "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": database_url}
        )
    with app.app_context():
        if not take_stock(product_id, 1):
            raise BenchError("The pinned product ran out of stock: fewer --sales or --rounds.")
        db.session.commit()


_SELLER_APPS: dict[str, object] = {}


class StreamsServer:
    """The streams' own gunicorn: one process, gthread, a thread per stream (docs/live-selling.md)."""

    def __init__(self, database_url: str, streams: int, poll: float):
        self.port = free_port()
        self.env = {
            **app_env(database_url),
            "LIVE_POLL_SECONDS": str(poll),
            "LIVE_STREAM_SECONDS": "600",
            "LIVE_MAX_STREAMS": str(streams + 10),
            "LOG_LEVEL": "WARNING",
        }
        self.threads = streams + 16
        self.process: subprocess.Popen | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> StreamsServer:
        command = [str(REPO / ".venv" / "bin" / "gunicorn"), "-k", "gthread", "--workers", "1",
                   "--threads", str(self.threads), "--graceful-timeout", "3", "--bind", f"127.0.0.1:{self.port}",
                   "--log-level", "warning", "wsgi:app"]  # fmt: skip
        self.process = subprocess.Popen(command, cwd=REPO, env=self.env, start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(self.url("/healthz"), timeout=2).close()
                return self
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.__exit__()
                    raise BenchError("The streams server did not start.") from None
                time.sleep(0.2)

    def __exit__(self, *exc_info) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # open streams end at their next heartbeat; the bench does not wait for them
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def hold_streams(streams_url: str, code: str, product_id: str, count: int, until_stock: int, result: Result):
    """Open `count` streams; returns (threads, ready barrier, sold log, lock). Each stream records, for every
    sale in the log, how long after its commit the event with its stock arrived, and ends at `until_stock`."""
    import json

    import requests

    lock = threading.Lock()
    ready = threading.Barrier(count + 1)
    sold: list[tuple[int, float]] = []

    def watch() -> None:
        with requests.get(f"{streams_url}/live/{code}/events", stream=True, timeout=10) as response:
            if response.status_code != 200:
                with lock:
                    result.refused.append(f"{response.status_code} {response.text[:120]}")
                ready.abort()  # the round cannot have all its streams: say so now, not after the barrier's timeout
                return
            first = True
            for line in response.iter_lines(decode_unicode=True):
                if not line.startswith("data:"):
                    continue
                stock = json.loads(line[5:])["products"].get(product_id, {}).get("stock")
                if first:
                    first = False
                    try:
                        ready.wait(timeout=120)
                    except threading.BrokenBarrierError:
                        return  # the round failed; the main thread says why
                    continue
                seen = time.monotonic()
                with lock:
                    result.latencies.extend(seen - at for after, at in sold if after == stock)
                if stock is not None and stock <= until_stock:
                    return

    threads = [threading.Thread(target=watch, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads, ready, sold, lock


def bench_database(label: str, database_url: str, options: argparse.Namespace) -> Result:
    result = Result(label, options.streams)
    with Server(f"live-shop-{label}", "wsgi:app", app_env(database_url), "/healthz") as shop:
        paths, hot = read_mix(shop)
        code, stock = open_session(database_url, int(hot["id"]))
        if stock < options.sales * options.rounds:
            raise BenchError(f"The pinned product holds {stock} units: fewer --sales or --rounds.")
        lua = write_lua("live-stream", paths, returning_shopper_cookie(shop))
        wrk_mix(shop.url("/"), lua, 2, options.connections)  # every read into the cache once
        with StreamsServer(database_url, options.streams, options.poll) as streams:
            for round_number in range(options.rounds):
                result.idle.append(wrk_mix(shop.url("/"), lua, options.duration, options.connections))
                threads, ready, sold, lock = hold_streams(
                    streams.url(""), code, str(hot["id"]), options.streams, stock - options.sales, result
                )
                try:
                    ready.wait(timeout=120)
                except threading.BrokenBarrierError:
                    raise BenchError(
                        f"{label}: not every stream opened ({len(result.refused)} refused: {result.refused[:1]})."
                    ) from None
                result.held.append(wrk_mix(shop.url("/"), lua, options.duration, options.connections))
                for _ in range(options.sales):
                    time.sleep(options.poll * 1.5)
                    sell_one(database_url, int(hot["id"]))
                    stock -= 1
                    with lock:
                        sold.append((stock, time.monotonic()))
                for thread in threads:
                    thread.join(timeout=30)
                result.expected_events += options.streams * options.sales
                # A stream whose client left ends when a write fails, and the first keepalive after the client's
                # close still lands in the socket's buffer: the second one fails, up to two heartbeats later (WSGI
                # has no word of a closed connection). Until then it holds its thread and counts against
                # LIVE_MAX_STREAMS, so the next round's streams would be refused. Wait those out.
                if round_number < options.rounds - 1:
                    time.sleep(2 * HEARTBEAT_SECONDS + 2)
    return result


def report(results: list[Result], options: argparse.Namespace) -> list[str]:
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on 2 shared cores, Python {platform.python_version()}: the shop on "
        f"gunicorn -w 2 (sync), the streams on a second gunicorn (`-k gthread`, 1 process, a thread per stream); "
        f"one live session, one product pinned, `LIVE_POLL_SECONDS={options.poll:g}`; {options.rounds} interleaved "
        f"rounds of wrk -t2 -c{options.connections} -d{options.duration}s over the read mix of "
        f"bench/livestream.py, with no stream open (idle) and with the streams held. {options.note}".rstrip(),
        "",
        "| database | streams | sales | events timed | sale → shown, p50 | max | read mix idle req/s "
        "| read mix, streams held req/s | held / idle |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for result in results:
        idle = statistics.mean(load.requests_per_second for load in result.idle)
        held = statistics.mean(load.requests_per_second for load in result.held)
        ordered = sorted(result.latencies) or [float("nan")]
        lines.append(
            f"| {result.database} | {result.streams} | {options.sales * options.rounds} "
            f"| {len(result.latencies)}/{result.expected_events} | {statistics.median(ordered):.2f} s "
            f"| {ordered[-1]:.2f} s | {idle:.0f} | {held:.0f} | **{held / idle:.2f}** |"
        )
    errors = [
        f"{r.database}: wrk errors, idle {sum(x.errors for x in r.idle)}, held {sum(x.errors for x in r.held)}"
        for r in results
    ]
    return [*lines, "", *errors]


def update_readme(lines: list[str]) -> None:
    text = README.read_text(encoding="utf-8")
    block = "\n".join([MARK_START, *lines, MARK_END])
    text = re.sub(re.escape(MARK_START) + r".*?" + re.escape(MARK_END), lambda _: block, text, flags=re.S)
    README.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--poll", type=float, default=1.0)
    parser.add_argument("--sales", type=int, default=3, help="sales per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5, help="seconds of each wrk run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--postgres", help="a PostgreSQL server URL (default: CATALOGUE_TEST_POSTGRES_URL)")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--no-readme", action="store_true", help="print only")
    parser.add_argument("--note", default="", help="a note on the machine for the README line")
    options = parser.parse_args()
    options.streams = max(1, min(options.streams, 1000))
    RESULTS.mkdir(parents=True, exist_ok=True)
    results = []
    try:
        if not options.skip_sqlite:
            ensure_database(DATABASE, None)
            results.append(bench_database("SQLite", sqlite_url(DATABASE), options))
        server = postgres_server(options.postgres)
        if server:
            results.append(bench_database("PostgreSQL", fresh_postgres(server, PG_DATABASE), options))
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    lines = report(results, options)
    if not options.no_readme and results:
        update_readme(lines)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
