"""One order's cost in-process: `POST /api/v1/orders` through the Flask test client, no gunicorn, no wrk.

    .venv/bin/python bench/order_inprocess.py [--postgres URL | --sqlite PATH] [--orders 200] [--profile N]

Against the database bench/orders.py prepares (PostgreSQL: `bench_orders` on CATALOGUE_TEST_POSTGRES_URL or
--postgres; SQLite: bench/results/catalogue-orders.db; run bench/orders.py once first), with the real Stripe
SDK pointed at a localstripe it starts. Places --orders orders (one unit of a random product each, the same
body as the wrk script) and prints the median and mean ms per order, and the SQL statements and transactions
per order (SQLAlchemy's engine events; raw DBAPI cursors such as the response cache's revision read are not
seen; the sales rollup's settle, a background timer once a second per process at most, is counted with the
orders it follows). `--statements` prints the SQL of the last order, BEGIN / COMMIT / ROLLBACK included.
`--profile N` prints cProfile's top N functions by cumulative time over the orders (`--sort tottime`…).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from orders import DATABASE, PG_DATABASE, localstripe, prepare_database  # noqa: E402
from run import REPO, app_env, postgres_server, sqlite_url  # noqa: E402

BODY = {
    "customer": {"name": "Khách thử tải", "email": "bench@example.com", "phone": "0912345678"},
    "shipping_address": {"line1": "1 Hạ Long", "ward": "Phường Bãi Cháy", "province": "Quảng Ninh"},
}


class Statements:
    """Counts what the app's engines send (statements, commits, rollbacks) and keeps the last order's SQL."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.last: list[str] = []

    def watch(self, engine) -> None:
        from sqlalchemy import event

        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "checkout", lambda *_: self.counts.update(["checkouts"]))
        for name, label in (("begin", "BEGIN"), ("commit", "COMMIT"), ("rollback", "ROLLBACK")):
            event.listen(engine, name, lambda *_, label=label: self._note(label))

    def _statement(self, _connection, _cursor, statement, *_) -> None:
        self.counts["statements"] += 1
        self.last.append(statement)

    def _note(self, label: str) -> None:
        self.counts[{"BEGIN": "begins", "COMMIT": "commits", "ROLLBACK": "rollbacks"}[label]] += 1
        self.last.append(label)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="server URL (default CATALOGUE_TEST_POSTGRES_URL); uses bench_orders")
    parser.add_argument("--sqlite", type=Path, help=f"a SQLite database (default {DATABASE.name} if no server)")
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--profile", type=int, default=0, help="print the top N functions (cumulative)")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--cpu", action="store_true", help="profile CPU time only (waits are not counted)")
    parser.add_argument("--dump", type=Path, help="write the cProfile stats to this file (with --profile)")
    parser.add_argument("--statements", action="store_true", help="print the SQL of the last order")
    options = parser.parse_args()
    server = None if options.sqlite else postgres_server(options.postgres)
    if server:
        database_url = re.sub(r"/[^/]*$", f"/{PG_DATABASE}", server)
    else:
        database_url = sqlite_url((options.sqlite or DATABASE).resolve())
    product_ids = prepare_database(database_url)
    sys.path.insert(0, str(REPO))
    with localstripe() as stripe_url:
        env = {**app_env(database_url), "STRIPE_API_BASE": stripe_url, "STRIPE_SECRET_KEY": "sk_test_bench",
               "ORDER_LIMIT_PER_CLIENT": "1000000 per hour", "ORDER_LIMIT_PER_CONTACT": "1000000 per hour"}  # fmt: skip
        os.environ.update(env)
        from catalogue import create_app
        from catalogue.extensions import db

        app = create_app()
        client = app.test_client()
        seen = Statements()
        with app.app_context():
            for engine in {db.engine, *db.engines.values()}:
                seen.watch(engine)

        def order() -> float:
            body = {**BODY, "lines": [{"product_id": random.choice(product_ids), "quantity": 1}]}
            seen.last.clear()
            started = time.perf_counter()
            response = client.post("/api/v1/orders", json=body)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 201:
                raise SystemExit(f"answered {response.status_code}: {response.get_data(as_text=True)[:500]}")
            return elapsed

        for _ in range(20):  # warm: imports, pools, prepared statements, caches
            order()
        seen.counts.clear()
        # --cpu: the profile counts this process's CPU time, not waits on the database or Stripe.
        profiler = (
            (cProfile.Profile(time.process_time) if options.cpu else cProfile.Profile()) if options.profile else None
        )
        if profiler:
            profiler.enable()
        cpu_started = time.process_time()
        timings = [order() for _ in range(options.orders)]
        cpu_ms = (time.process_time() - cpu_started) * 1000 / options.orders
        if profiler:
            profiler.disable()
    label = "PostgreSQL" if server else "SQLite"
    per = {key: seen.counts[key] / options.orders for key in ("statements", "commits", "rollbacks")}
    print(
        f"{label}: {options.orders} orders, median {statistics.median(timings):.2f} ms, mean "
        f"{statistics.fmean(timings):.2f} ms ({cpu_ms:.1f} ms of this process's CPU); per order "
        f"{per['statements']:.1f} statements, {per['commits']:.1f} commits, {per['rollbacks']:.1f} rollbacks"
    )
    if server:
        # psycopg sends BEGIN on its own before a transaction's first statement, and the pool pings a connection
        # (pool_pre_ping) each time one is checked out: each is a round trip to the server, like each statement
        # and each COMMIT / ROLLBACK (one that ends no transaction costs none: not counted by the engine either).
        trips = sum(seen.counts[key] for key in ("statements", "begins", "commits", "rollbacks", "checkouts"))
        print(f"  round trips to PostgreSQL per order: {trips / options.orders:.1f}")
    if options.statements:
        print("\n".join(" ".join(sql.split())[:300] for sql in seen.last))
    if profiler and options.dump:
        profiler.dump_stats(options.dump)
    if profiler:
        pstats.Stats(profiler).sort_stats(options.sort).print_stats(options.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
