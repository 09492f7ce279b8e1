"""The office's dashboard over 100 000 orders of two years, on SQLite and PostgreSQL.

    .venv/bin/python bench/reports.py [--orders 100000] [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

Builds the seeded catalogue on each database, adds `--orders` shop orders spread over the two
years before 21/11/2026 (1–3 lines each; 85 % paid, shipped or delivered, the rest cancelled,
refunded or unpaid) and a fifth as many Shopee and Lazada sales in bulk SQL, rebuilds the
daily rollup from them (as `flask reports rebuild` would), then signs in as the office
and times `GET /portal/admin/` through the Flask test client: for each period the first
request on a fresh connection pool (cold: no connection, no statement cached) and the median
of the next five. The first request of all, which also compiles the templates, is shown apart.
Results go to bench/README.md between the `reports` markers.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

RESULTS = REPO / "bench" / "results"
README = REPO / "bench" / "README.md"
TODAY = date(2026, 11, 21)
PERIODS = {
    "month 11/2026": "period=month&month=2026-11",
    "quarter 4/2026": "period=quarter&quarter=2026-Q4",
    "year 2026": "period=year&year=2026",
    "two years (custom)": "period=custom&from=2024-11-22&to=2026-11-21",
}
STATUSES = ["delivered"] * 60 + ["shipped"] * 10 + ["paid"] * 15 + ["cancelled"] * 8 + ["refunded"] * 4
STATUSES += ["pending_payment"] * 2 + ["payment_failed"] * 1
RAILS = ["vietqr"] * 5 + ["vnpay"] * 2 + ["momo"] * 2 + ["stripe"]
PASSWORD = "bench mật khẩu dài 123"


def build_app(url: str, schema: str | None):
    from catalogue import create_app

    config = {
        "CATALOGUE_ENV": "testing",
        "SECRET_KEY": "bench",
        "SQLALCHEMY_DATABASE_URI": url,
        "MEDIA_ROOT": str(RESULTS / "media"),
        "CATALOGUE_TODAY": TODAY,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
    }
    if schema:
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"options": f"-csearch_path={schema}"}}
    return create_app(config)


def fill(app, orders: int) -> None:
    """Migrate, seed, then add the orders and marketplace sales in bulk (executemany, no ORM objects)."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from catalogue.accounts.services import create_user
    from catalogue.extensions import db
    from catalogue.reports.rollup import rebuild
    from catalogue.seeding import seed_catalogue

    with app.app_context():
        upgrade()
        seed_catalogue(media_root=RESULTS / "media")
        create_user("office@bench.test", PASSWORD, "admin")
        products = db.session.execute(text("SELECT id, producer_id, sku, price_vnd FROM products")).all()
        rng = random.Random(12)
        start = datetime(2024, 11, 22, tzinfo=UTC)
        span = (datetime(2026, 11, 21, 16, 59, tzinfo=UTC) - start).total_seconds()
        order_rows, line_rows = [], []
        for number in range(1, orders + 1):
            at = start + timedelta(seconds=rng.random() * span)
            chosen = rng.sample(products, rng.choice((1, 1, 2, 3)))
            subtotal = 0
            for product in chosen:
                quantity = rng.randint(1, 4)
                subtotal += product.price_vnd * quantity
                line_rows.append(
                    {"order_id": number, "product_id": product.id, "producer_id": product.producer_id,
                     "sku": product.sku, "name": "x", "unit": "gói", "unit_price_vnd": product.price_vnd,
                     "quantity": quantity, "line_total_vnd": product.price_vnd * quantity}
                )  # fmt: skip
            order_rows.append(
                {"id": number, "code": f"QN-B{number:07d}", "status": rng.choice(STATUSES), "access_token_hash": "0",
                 "customer_name": "Khách", "customer_email": "k@example.com", "customer_phone": "0912345678",
                 "shipping_line1": "1", "shipping_ward": "Bãi Cháy", "shipping_ward_code": "1",
                 "shipping_province": "Quảng Ninh", "shipping_province_code": "22", "subtotal_vnd": subtotal,
                 "shipping_fee_vnd": 30000, "total_vnd": subtotal + 30000, "weight_g": 500,
                 "payment_method": rng.choice(RAILS), "stock_held": False, "created_at": at, "updated_at": at}
            )  # fmt: skip
        columns = ", ".join(order_rows[0])
        values = ", ".join(f":{name}" for name in order_rows[0])
        db.session.execute(text(f"INSERT INTO orders ({columns}) VALUES ({values})"), order_rows)
        columns = ", ".join(line_rows[0])
        values = ", ".join(f":{name}" for name in line_rows[0])
        db.session.execute(text(f"INSERT INTO order_lines ({columns}) VALUES ({values})"), line_rows)
        sales, sale_lines = [], []
        for number in range(1, orders // 5 + 1):
            at = start + timedelta(seconds=rng.random() * span)
            sales.append({"id": number, "marketplace": rng.choice(("shopee", "lazada")),
                          "external_order_id": f"B{number}", "flagged": False, "created_at": at})  # fmt: skip
            product = rng.choice(products)
            sale_lines.append({"sale_id": number, "sku": product.sku, "product_id": product.id,
                               "quantity": rng.randint(1, 3), "unit_price_vnd": product.price_vnd,
                               "stock_taken": True})  # fmt: skip
        db.session.execute(
            text("INSERT INTO marketplace_sales (id, marketplace, external_order_id, flagged, created_at) "
                 "VALUES (:id, :marketplace, :external_order_id, :flagged, :created_at)"), sales)  # fmt: skip
        columns = "sale_id, sku, product_id, quantity, unit_price_vnd, stock_taken"
        values = ", ".join(f":{name}" for name in columns.split(", "))
        db.session.execute(text(f"INSERT INTO marketplace_sale_lines ({columns}) VALUES ({values})"), sale_lines)
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("SELECT setval('orders_id_seq', :n)"), {"n": orders})
        # Bulk SQL bypasses the ORM's hooks: roll the two years up as `flask reports rebuild` does.
        started = time.monotonic()
        rebuild(db.session.connection(), date(2024, 11, 1), TODAY)
        print(f"  rollup rebuilt in {time.monotonic() - started:.1f} s", flush=True)
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        db.engine.dispose()


def measure(app) -> tuple[float, dict[str, tuple[float, float]]]:
    """(first request of all ms, {period: (cold ms, warm median ms)})."""
    from catalogue.extensions import db

    client = app.test_client()
    signed = client.post("/portal/login", data={"email": "office@bench.test", "password": PASSWORD})
    assert signed.status_code == 303, signed.status_code
    with app.app_context():
        db.engine.dispose()
    started = time.perf_counter()
    assert client.get("/portal/admin/?period=month&month=2013-01").status_code == 200
    first = (time.perf_counter() - started) * 1000
    results = {}
    for name, query in PERIODS.items():
        with app.app_context():
            db.engine.dispose()
        timings = []
        for _ in range(6):
            started = time.perf_counter()
            response = client.get(f"/portal/admin/?{query}")
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
        results[name] = (timings[0], statistics.median(timings[1:]))
    return first, results


def main() -> int:
    """Build, measure, write the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    options = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    measured = {}
    database = RESULTS / "reports-bench.db"
    database.unlink(missing_ok=True)
    targets = {"SQLite": (f"sqlite:///{database}", None)}
    if options.postgres:
        targets["PostgreSQL"] = (options.postgres, "bench_reports")
    for name, (url, schema) in targets.items():
        if schema:
            from sqlalchemy import create_engine, text

            engine = create_engine(url)
            with engine.begin() as connection:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            engine.dispose()
        started = time.monotonic()
        fill(build_app(url, schema), options.orders)
        print(f"{name}: built in {time.monotonic() - started:.0f} s", flush=True)
        measured[name] = measure(build_app(url, schema))
        print(name, measured[name], flush=True)
    write_readme(measured, options.orders)
    return 0


def write_readme(measured: dict, orders: int) -> None:
    lines = [
        f"Measured {date.today():%Y-%m-%d}: {orders:,} shop orders and {orders // 5:,} marketplace sales over two "
        f"years, the seeded catalogue; Python {platform.python_version()}, {platform.machine()}, Flask test client "
        "(no HTTP server). Cold: the period's first request on a fresh connection pool.",
        "",
        "| database | period | cold ms | warm median ms | under 300 ms cold |",
        "|---|---|--:|--:|---|",
    ]
    for database, (_, results) in measured.items():
        for period, (cold, warm) in results.items():
            lines.append(f"| {database} | {period} | {cold:.0f} | {warm:.0f} | {'yes' if cold < 300 else 'NO'} |")
    lines.append("")
    lines.append(
        "First request of the process (compiles the templates, an empty period): "
        + ", ".join(f"{database} {first:.0f} ms" for database, (first, _) in measured.items())
        + "."
    )
    text = README.read_text(encoding="utf-8")
    block = "<!-- reports:start -->\n" + "\n".join(lines) + "\n<!-- reports:end -->"
    if "<!-- reports:start -->" in text:
        head, rest = text.split("<!-- reports:start -->", 1)
        text = head + block + rest.split("<!-- reports:end -->", 1)[1]
    else:
        text = text.rstrip() + "\n\n## The office's dashboard\n\n" + block + "\n"
    README.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
