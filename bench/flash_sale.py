"""A flash sale: 32 buyers on one product against the same load spread over ~150 products.

    .venv/bin/python bench/flash_sale.py [--duration 15] [--connections 32] [--postgres URL] [--skip-sqlite]
                                         [--waiting-room N]

Serves the app as bench/orders.py does (gunicorn, localstripe for the PaymentIntent every order
creates) on SQLite and on a fresh PostgreSQL database, with the shop's waiting room as configured
(ORDER_PLACEMENTS_IN_FLIGHT, its default unless --waiting-room says; 0 turns it off), and sends
`POST /api/v1/orders` from bench/buyers.py's buyers, who come back when the waiting room says so:
first every order for one hot product, then the same load over 150 products. Reports acknowledged
orders per second (orders that got their PaymentIntent, counted in the database), the answer time of
acknowledged orders (p50, p99) and a buyer's time to an order (waits included), the waiting room's
503s, how many units were oversold (a stock below zero, or a stock that is not the initial stock
minus the units of the orders acknowledged; must be 0), and the shop's read mix (wrk) alone and
during the sale. Results go to bench/README.md between the `flash-sale` markers.
"""

from __future__ import annotations

import argparse
import platform
import re
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from buyers import Purchases, buy  # noqa: E402
from cpu_split import GROUPS, CpuSplit  # noqa: E402
from livestream import read_mix  # noqa: E402
from livestream import write_lua as mix_lua  # noqa: E402
from livestream import wrk as wrk_mix  # noqa: E402
from orders import (  # noqa: E402  (bench scripts share helpers, not a package)
    DATABASE,
    STOCK,
    localstripe,
    placed_orders,
    prepare_database,
)
from run import (  # noqa: E402
    README,
    RESULTS,
    BenchError,
    Server,
    app_env,
    ensure_database,
    execute_sql,
    fresh_postgres,
    postgres_server,
    returning_shopper_cookie,
    sqlite_url,
    web_threads,
    worker_model,
)

PG_DATABASE = "bench_flash"
READ_CONNECTIONS = 8
SPREAD = 150


def oversold(database_url: str, ids: list[int]) -> int:
    """Units sold beyond the stock: below zero, or missing from stock without an acknowledged order line."""
    wrong = 0
    for product_id in ids:
        stock = execute_sql(database_url, f"SELECT stock FROM products WHERE id = {int(product_id)}")[0][0]
        sold = execute_sql(
            database_url, f"SELECT COALESCE(SUM(quantity), 0) FROM order_lines WHERE product_id = {int(product_id)}"
        )[0][0]
        wrong += max(0, -stock) + abs(STOCK - sold - stock)
    return wrong


def one_run(label: str, kind: str, database_url: str, stripe_url: str, options: argparse.Namespace) -> dict:
    ids = prepare_database(database_url)
    chosen = ids[:1] if kind == "hot" else ids[:SPREAD]
    env = {**app_env(database_url), "STRIPE_API_BASE": stripe_url, "STRIPE_SECRET_KEY": "sk_test_bench",
           "ORDER_LIMIT_PER_CLIENT": "1000000 per hour", "ORDER_LIMIT_PER_CONTACT": "1000000 per hour"}  # fmt: skip
    if options.waiting_room is not None:
        env["ORDER_PLACEMENTS_IN_FLIGHT"] = str(options.waiting_room)
    if options.wait_ms is not None:
        env["ORDER_ADMISSION_WAIT_MS"] = str(options.wait_ms)
    if options.pace is not None:
        env["ORDER_PLACEMENTS_PER_SECOND"] = str(options.pace)
    with Server(f"flash-{kind}-{label.lower()}", "wsgi:app", env, "/healthz", threads=options.threads) as app:
        # The shop's read mix (bench/livestream.py's ≥100 public reads, a returning shopper): alone, then
        # while the buyers buy; every read cached once first.
        paths, _ = read_mix(app)
        reads_lua = mix_lua(f"flash-{kind}", paths, returning_shopper_cookie(app))
        wrk_mix(app.url("/"), reads_lua, 2, READ_CONNECTIONS)
        # Each wrk run spreads its 8 connections over the 2 workers as the accepts fall (8/0 … 4/4), which moves a
        # run's reads/s by up to 1.7× whatever else happens: rounds alternate alone / during, medians are compared.
        idle, during, sale = [], [], Purchases()
        idle_cpu, sale_cpu = CpuSplit(), CpuSplit()
        for _ in range(options.rounds):
            with CpuSplit() as split:
                idle.append(wrk_mix(app.url("/"), reads_lua, options.duration, READ_CONNECTIONS).requests_per_second)
            idle_cpu.add(split)
            reader = threading.Thread(
                target=lambda: during.append(
                    wrk_mix(app.url("/"), reads_lua, options.duration, READ_CONNECTIONS).requests_per_second
                )
            )
            with CpuSplit() as split:
                reader.start()
                sale.add(buy(app.url("/api/v1/orders"), options.duration, options.connections, chosen))
                reader.join(timeout=options.duration + 60)
            sale_cpu.add(split)
    acknowledged = placed_orders(database_url)
    return {
        "products": len(chosen),
        "per_second": acknowledged / (options.duration * options.rounds),
        "p50": sale.percentile(sale.placed, 50),
        "p99": sale.percentile(sale.placed, 99),
        "to_order_p50": sale.percentile(sale.to_order, 50),
        "to_order_p99": sale.percentile(sale.to_order, 99),
        "turned_away": sale.turned_away,
        "errors": sum(sale.other.values()),
        "oversold": oversold(database_url, chosen),
        "reads_idle": statistics.median(idle),
        "reads_during": statistics.median(during) if during else 0.0,
        "cpu_idle": idle_cpu.cores(),
        "cpu_sale": sale_cpu.cores(),
    }


def cpu_table(results: dict) -> list[str]:
    """Where the machine's cores went, reads alone and during the sale (cores busy on average, by process group;
    bench/cpu_split.py). Not per order: with the reads' share moving by ±20 % from one wrk run to the next, what
    a few orders a second add cannot be told from it (bench/orders.py says an order's CPU, without reads)."""
    names = {"gunicorn": "shop (gunicorn)", "postgres": "PostgreSQL", "localstripe": "localstripe",
             "wrk": "wrk (reads)", "bench": "buyers (bench)", "other": "other"}  # fmt: skip
    groups = [*GROUPS, "other"]
    lines = [
        "",
        "Where the cores went (cores busy on average, by process; bench/cpu_split.py):",
        "",
        "| database | load | when | " + " | ".join(names[group] for group in groups) + " | all |",
        "|---|---|---|" + "--:|" * (len(groups) + 1),
    ]
    for (label, kind), result in results.items():
        load = "1 hot product" if kind == "hot" else f"{result['products']} products"
        for when, used in (("reads alone", result["cpu_idle"]), ("during the sale", result["cpu_sale"])):
            cells = " | ".join(f"{used.get(group, 0):.2f}" for group in groups)
            lines.append(f"| {label} | {load} | {when} | {cells} | {sum(used.values()):.2f} |")
    return lines


def update_readme(lines: list[str]) -> None:
    start, end = "<!-- flash-sale:start -->", "<!-- flash-sale:end -->"
    text = README.read_text(encoding="utf-8")
    block = "\n".join([start, *lines, end])
    if start in text:
        text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n## Flash sale (one hot product)\n\n" + block + "\n"
    README.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3, help="sales per database and load (reads: medians)")
    parser.add_argument("--postgres", help="a PostgreSQL server URL (default: CATALOGUE_TEST_POSTGRES_URL)")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--no-readme", action="store_true", help="print only")
    parser.add_argument(
        "--threads", type=int, default=web_threads(), help="threads per gunicorn worker (default: as ocop-web.service)"
    )
    parser.add_argument(
        "--waiting-room", type=int, help="ORDER_PLACEMENTS_IN_FLIGHT for the app (default: the app's; 0: off)"
    )
    parser.add_argument("--wait-ms", type=int, help="ORDER_ADMISSION_WAIT_MS for the app (default: the app's)")
    parser.add_argument("--pace", type=int, help="ORDER_PLACEMENTS_PER_SECOND for the app (default: the app's; 0: off)")
    parser.add_argument("--note", default="", help="a note on the machine for the README line")
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
        with localstripe() as stripe_url:
            for label, url in databases:
                for kind in ("hot", "spread"):
                    results[label, kind] = one_run(label, kind, url, stripe_url, options)
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    room = "the app's default" if options.waiting_room is None else str(options.waiting_room)
    if options.wait_ms is not None:
        room += f", wait {options.wait_ms} ms"
    if options.pace is not None:
        room += f", pace (ORDER_PLACEMENTS_PER_SECOND) {options.pace or 'off'}"
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')}: 2 cores, Python {platform.python_version()}, "
        f"gunicorn {worker_model(options.threads)}, waiting room (ORDER_PLACEMENTS_IN_FLIGHT) {room}; "
        f"{options.connections} buyers (bench/buyers.py) for {options.duration} s × {options.rounds} rounds, "
        "`POST /api/v1/orders` (reserve stock + PaymentIntent on localstripe), each back after `Retry-After` when "
        "turned away; beside them, the "
        f"shop's read mix (wrk -t2 -c{READ_CONNECTIONS}, bench/livestream.py's public reads), alone first, then "
        f"during the sale, in alternate runs (reads/s: medians). {options.note}".rstrip(),
        "",
        "| database | load | acknowledged orders/s | p50 ms | p99 ms | time to an order p50 / p99 ms "
        "| turned away (503) | other errors | oversold units | reads/s alone | reads/s during | during / alone |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for (label, kind), result in results.items():
        load = "1 hot product" if kind == "hot" else f"{result['products']} products"
        lines.append(
            f"| {label} | {load} "
            f"| {result['per_second']:.1f} | {result['p50']:.1f} | {result['p99']:.1f} "
            f"| {result['to_order_p50']:.0f} / {result['to_order_p99']:.0f} | {result['turned_away']} "
            f"| {result['errors']} | {result['oversold']} | {result['reads_idle']:.0f} | {result['reads_during']:.0f} "
            f"| {result['reads_during'] / result['reads_idle'] if result['reads_idle'] else 0:.2f} |"
        )
    for label, _ in databases:
        hot, spread = results[label, "hot"], results[label, "spread"]
        ratio = hot["per_second"] / spread["per_second"] if spread["per_second"] else 0
        lines.append(f"\n{label}: hot / spread = {ratio:.2f}.")
    lines += cpu_table(results)
    if not options.no_readme and len(databases) == 2:
        update_readme(lines)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
