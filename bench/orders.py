"""Order placement throughput and latency, each order creating its Stripe PaymentIntent.

    .venv/bin/python bench/orders.py [--duration 10] [--connections 8] [--postgres URL] [--skip-sqlite]
                                     [--threads N] [--provider-latency-ms MS]

Serves the seeded catalogue with gunicorn (2 workers) on SQLite, and on a fresh
PostgreSQL database `bench_orders` (created, migrated and seeded in the run) when
--postgres or CATALOGUE_TEST_POSTGRES_URL names a server, with the real
Stripe SDK pointed at localstripe on 127.0.0.1, and drives `POST /api/v1/orders`
with wrk (a Lua script posting a valid checkout for a random product). Stock is
raised first so no order is refused for stock. For scale, it also times the
PaymentIntent creation alone (the SDK against localstripe), which every order
waits for. Results go to bench/README.md between the `orders` markers (not with --provider-latency-ms:
Stripe held that far away behind a delaying proxy, to compare worker models as production meets Stripe).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import platform
import re
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cpu_split import GROUPS, CpuSplit  # noqa: E402
from run import (  # noqa: E402  (bench scripts share helpers, not a package)
    BIN,
    README,
    REPO,
    RESULTS,
    BenchError,
    Load,
    Server,
    app_env,
    ensure_database,
    execute_sql,
    free_port,
    fresh_postgres,
    parse_wrk,
    postgres_server,
    sqlite_url,
    web_threads,
    worker_model,
)

DATABASE = RESULTS / "catalogue-orders.db"
PG_DATABASE = "bench_orders"
LUA = RESULTS / "order.lua"
STOCK = 1_000_000
WRK_TIMEOUT_GRACE = 30


def write_lua(product_ids: list[int]) -> None:
    """A wrk script posting a checkout for one random product per request."""
    body = {
        "lines": [{"product_id": 0, "quantity": 1}],
        "customer": {"name": "Khách thử tải", "email": "bench@example.com", "phone": "0912345678"},
        "shipping_address": {"line1": "1 Hạ Long", "ward": "Phường Bãi Cháy", "province": "Quảng Ninh"},
    }
    template = json.dumps(body, ensure_ascii=False).replace('"product_id": 0', '"product_id": %d')
    LUA.write_text(
        "local ids = {" + ",".join(map(str, product_ids)) + "}\n"
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        "request = function()\n"
        f"  return wrk.format(nil, nil, nil, string.format([[{template}]], ids[math.random(#ids)]))\n"
        "end\n",
        encoding="utf-8",
    )


def clear_orders(database_url: str) -> None:
    """Delete every order with what hangs from it (lines, events, payments, parcels…) by the schema's cascades.

    SQLite runs them only with `PRAGMA foreign_keys` on, and it reuses the ids of deleted orders: a parcel left
    behind by an earlier run on the reused bench/results database then collides with a new order's parcel
    (UNIQUE order_id, producer_id), a 500 that is the bench's, not the shop's."""
    if database_url.startswith("sqlite"):
        path = database_url.removeprefix("sqlite:///")
        with contextlib.closing(sqlite3.connect(path)) as connection:
            connection.execute("PRAGMA foreign_keys = ON")
            with connection:
                connection.execute("DELETE FROM orders")
                # Rows an earlier run left without their order (deleted before with the cascades off).
                for table, column, parent in _cascading_children(connection, ("orders", "parcels")):
                    connection.execute(f'DELETE FROM "{table}" WHERE "{column}" NOT IN (SELECT id FROM "{parent}")')
        return
    execute_sql(database_url, "DELETE FROM orders")


def _cascading_children(connection: sqlite3.Connection, parents: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(table, column, parent) of every foreign key ON DELETE CASCADE to one of `parents`, children of parcels
    first."""
    tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    found = []
    for table in tables:
        for key in connection.execute(f'PRAGMA foreign_key_list("{table}")'):
            parent, column, on_delete = key[2], key[3], key[6]
            if parent in parents and on_delete == "CASCADE":
                found.append((table, column, parent))
    return sorted(found, key=lambda entry: parents.index(entry[2]), reverse=True)


def prepare_database(database_url: str) -> list[int]:
    """The seeded catalogue with plenty of stock and no orders; returns the ids of products on sale."""
    execute_sql(database_url, "UPDATE products SET stock = ?", (STOCK,))
    clear_orders(database_url)
    # Only products that can be delivered: one without a weight is refused at checkout (its parcel cannot be priced).
    rows = execute_sql(
        database_url, "SELECT id FROM products WHERE status = 'active' AND net_weight_g > 0 ORDER BY id LIMIT 200"
    )
    return [row[0] for row in rows]


@contextlib.contextmanager
def localstripe():
    """localstripe on a free port (a test tool; never shipped)."""
    port = free_port()
    log = open(RESULTS / "localstripe.log", "w")  # noqa: SIM115 - closed in finally
    # In memory only (tests/localstripe_in_memory.py): localstripe as installed pickles its whole store to
    # /tmp/localstripe.pickle on every write, a cost that grows with each PaymentIntent of the run; and each run
    # starts with an empty Stripe, so runs compare.
    command = [str(BIN / "python"), str(REPO / "tests" / "localstripe_in_memory.py"), "--port", str(port)]
    process = subprocess.Popen(command, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"{url}/js.stripe.com/v3/", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("localstripe did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def intent_latency(api_base: str, count: int = 200) -> tuple[float, float]:
    """p50 and p99 in ms of creating a PaymentIntent through the SDK, alone."""
    sys.path.insert(0, str(BIN.parent.parent))
    from catalogue.payments.stripe_rail.gateway import StripeGateway

    gateway = StripeGateway("sk_test_bench", "pk_test_bench", "whsec_bench", api_base=api_base)
    timings = []
    for number in range(count):
        started = time.perf_counter()
        gateway.create_payment_intent(f"QN-BENCH-{number}", 200_000, f"bench-{number}")
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return timings[len(timings) // 2], timings[int(len(timings) * 0.99) - 1]


def run_orders(url: str, duration: int, connections: int):
    command = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        url,
    ]
    output = subprocess.run(
        command, capture_output=True, text=True, timeout=duration + WRK_TIMEOUT_GRACE, check=True
    ).stdout
    return parse_wrk(output)


@contextlib.contextmanager
def far_away(url: str, latency_ms: int):
    """`url` as if the provider were `latency_ms` away: a TCP proxy on 127.0.0.1 that holds each answer that long.

    Stripe answers from the US, hundreds of milliseconds from Vietnam; localstripe answers in a few. The proxy
    runs in a thread of this process on its own event loop and delays every chunk the provider sends back (one
    per answer here: localstripe writes each answer at once)."""
    if latency_ms <= 0:
        yield url
        return
    host, port = url.removeprefix("http://").split(":")
    loop = asyncio.new_event_loop()

    async def pipe(reader, writer, delay: float) -> None:
        try:
            while data := await reader.read(65536):
                if delay:
                    await asyncio.sleep(delay)
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def handle(client_reader, client_writer) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
        await asyncio.gather(
            pipe(client_reader, upstream_writer, 0), pipe(upstream_reader, client_writer, latency_ms / 1000)
        )

    server = loop.run_until_complete(asyncio.start_server(handle, "127.0.0.1", 0))
    proxy_port = server.sockets[0].getsockname()[1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{proxy_port}"
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)


def placed_orders(database_url: str) -> int:
    """Orders that got their PaymentIntent."""
    return execute_sql(database_url, "SELECT count(*) FROM orders WHERE payment_intent_id IS NOT NULL")[0][0]


def update_readme(lines: list[str]) -> None:
    start, end = "<!-- orders:start -->", "<!-- orders:end -->"
    text = README.read_text(encoding="utf-8")
    block = "\n".join([start, *lines, end])
    if start in text:
        text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n## Order placement\n\n" + block + "\n"
    README.write_text(text, encoding="utf-8")


def bench_database(
    label: str, database_url: str, stripe_url: str, options: argparse.Namespace
) -> tuple[Load, int, CpuSplit]:
    """wrk on `POST /api/v1/orders` against the app on one database; the load, the orders placed, where the CPU went."""
    write_lua(prepare_database(database_url))
    env = {**app_env(database_url), "STRIPE_API_BASE": stripe_url, "STRIPE_SECRET_KEY": "sk_test_bench",
           # one client places every order here: its placement limits (catalogue.orders.placement_limits) lifted
           "ORDER_LIMIT_PER_CLIENT": "1000000 per hour", "ORDER_LIMIT_PER_CONTACT": "1000000 per hour",
           # what the order path can place: the waiting room's gate is bench/flash_sale.py's; its pace is the
           # shop's default, which paces only beside pages, and here no page is served (not even /healthz counts)
           "ORDER_PLACEMENTS_IN_FLIGHT": "0"}  # fmt: skip
    server = Server(f"orders-app-{label.lower()}", "wsgi:app", env, "/healthz", threads=options.threads)
    with server as app, CpuSplit() as split:
        load = run_orders(app.url("/api/v1/orders"), options.duration, options.connections)
    return load, placed_orders(database_url), split


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--postgres", help="a PostgreSQL server URL (default: CATALOGUE_TEST_POSTGRES_URL)")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--no-readme", action="store_true", help="print only")
    parser.add_argument(
        "--threads", type=int, default=web_threads(), help="threads per gunicorn worker (default: as ocop-web.service)"
    )
    parser.add_argument(
        "--provider-latency-ms", type=int, default=0, help="hold each localstripe answer this long (a far provider)"
    )
    options = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    databases: list[tuple[str, str]] = []
    try:
        if not options.skip_sqlite:
            ensure_database(DATABASE, None)
            databases.append(("SQLite", sqlite_url(DATABASE)))
        server = postgres_server(options.postgres)
        if server:
            databases.append(("PostgreSQL", fresh_postgres(server, PG_DATABASE)))
        if not databases:
            raise BenchError("Nothing to run: --skip-sqlite without a PostgreSQL server (--postgres).")
        results = {}
        with localstripe() as stripe_url, far_away(stripe_url, options.provider_latency_ms) as provider_url:
            for label, url in databases:
                results[label] = bench_database(label, url, provider_url, options)
            intent_p50, intent_p99 = intent_latency(provider_url)
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')}: 2 cores, "
        f"Python {platform.python_version()}, gunicorn {worker_model(options.threads)}, "
        f"wrk -t2 -c{options.connections} -d{options.duration}s; Stripe is localstripe on 127.0.0.1"
        + (f", each answer held {options.provider_latency_ms} ms." if options.provider_latency_ms else "."),
        "",
        "| what | database | req/s | p50 ms | p99 ms | orders placed | errors or not 2xx |",
        "|---|---|--:|--:|--:|--:|--:|",
    ]
    for label, (load, orders, _) in results.items():
        lines.append(
            f"| `POST /api/v1/orders` (reserve stock + PaymentIntent) | {label} | {load.requests_per_second:.0f} "
            f"| {load.p50_ms:.1f} | {load.p99_ms:.1f} | {orders} | {load.errors} |"
        )
    lines.append(
        f"| PaymentIntent create alone (SDK → localstripe, sequential) | – | {1000 / intent_p50:.0f} "
        f"| {intent_p50:.1f} | {intent_p99:.1f} | – | – |"
    )
    groups = [*GROUPS, "other"]
    lines += [
        "",
        "CPU per order placed, by process (ms; bench/cpu_split.py):",
        "",
        "| database | " + " | ".join(groups) + " | all |",
        "|---|" + "--:|" * (len(groups) + 1),
    ]
    for label, (_, orders, split) in results.items():
        per_order = {group: split.seconds.get(group, 0) / orders * 1000 if orders else 0 for group in groups}
        cells = " | ".join(f"{per_order[group]:.1f}" for group in groups)
        lines.append(f"| {label} | {cells} | {sum(per_order.values()):.1f} |")
    if not options.no_readme and len(results) == 2 and not options.provider_latency_ms:
        update_readme(lines)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
