"""Issuing the e-invoices of 1 000 paid orders: build, validate, sign, number and store each.

    .venv/bin/python bench/invoices.py [--orders 1000] [--database-url postgresql+psycopg://…]

In-process, on a fresh SQLite file under bench/results/ (or the given database, in a
schema of its own): two invoicing producers (a cooperative issuing VAT invoices, a
household issuing sales invoices), 1 000 paid orders of three lines each from both,
so 2 000 invoices. Each order is invoiced as the payment's after-commit job does it
(`catalogue.invoices.jobs.process_order`: one transaction per order, its producers'
numbers taken under the counter's row lock, XML built with lxml, checked against the
XSD, signed with signxml, then handed to the provider step, here "none"). It then
checks that each series is numbered 1…N without a gap and writes the figures between
the `invoices` markers of bench/README.md.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
RESULTS = REPO / "bench" / "results"
README = REPO / "bench" / "README.md"
MARK_START, MARK_END = "<!-- invoices:start -->", "<!-- invoices:end -->"


def build(orders: int):
    """Reference data, two invoicing producers and `orders` paid orders; their ids."""
    from catalogue.extensions import db
    from catalogue.geography.models import Locality
    from catalogue.invoices.models import InvoiceSettings
    from catalogue.orders.models import Order, OrderEvent, OrderLine
    from catalogue.producers.models import Producer
    from catalogue.products.models import Category, OcopGroup, Product
    from catalogue.text import sort_key

    place = Locality(code="binh-lieu", name="Bình Liêu", kind="district", sku_prefix="BL")
    group = OcopGroup(code="thuc-pham", name="Thực phẩm", position=0)
    category = Category(code="thuc-pham-che-bien", name="Thực phẩm chế biến", group=group, position=0)
    htx = Producer(slug="htx", name="HTX Miến dong Bình Liêu", legal_form="cooperative", tax_code="0100109106",
                   locality=place, address="Bình Liêu", name_sort_key=sort_key("HTX"))  # fmt: skip
    home = Producer(slug="ho", name="Hộ kinh doanh Rượu Vân Đồn", legal_form="household", tax_code="0100000028",
                    locality=place, address="Vân Đồn", name_sort_key=sort_key("Ho"))  # fmt: skip
    db.session.add_all([place, category, htx, home])
    db.session.flush()
    products = []
    for number, (maker, price, rate) in enumerate([(htx, 85_000, "8%"), (htx, 250_000, "10%"), (home, 120_000, None)]):
        products.append(Product(sku=f"B-{number}", slug=f"b-{number}", name=f"Sản phẩm {number}", unit="gói",
                                price_vnd=price, stock=10**6, status="active", producer=maker, category=category,
                                locality=place, version=1, vat_rate=rate))  # fmt: skip
    db.session.add_all(products)
    db.session.add_all([
        InvoiceSettings(producer_id=htx.id, enabled=True, legal_name=htx.name, address=htx.address, template="1",
                        series="C26TAA", provider="none"),
        InvoiceSettings(producer_id=home.id, enabled=True, legal_name=home.name, address=home.address, template="2",
                        series="C26TBB", provider="none"),
    ])  # fmt: skip
    db.session.flush()
    ids = []
    for number in range(orders):
        lines = [OrderLine(product_id=p.id, producer_id=p.producer_id, sku=p.sku, name=p.name, unit=p.unit,
                           unit_price_vnd=p.price_vnd, quantity=1 + number % 3,
                           line_total_vnd=p.price_vnd * (1 + number % 3)) for p in products]  # fmt: skip
        subtotal = sum(line.line_total_vnd for line in lines)
        order = Order(code=f"BENCH{number:06d}", status="paid", access_token_hash="0" * 64, customer_name="Khách",
                      customer_email="k@example.com", customer_phone="0912345678", shipping_line1="1 Hạ Long",
                      shipping_ward="Bãi Cháy", shipping_ward_code="1", shipping_province="Quảng Ninh",
                      shipping_province_code="22", subtotal_vnd=subtotal, shipping_fee_vnd=30_000,
                      total_vnd=subtotal + 30_000, weight_g=1500, payment_method="vietqr", lines=lines)  # fmt: skip
        order.events.append(OrderEvent(from_status="pending_payment", to_status="paid", reason="bench"))
        db.session.add(order)
        if number % 200 == 199:
            db.session.flush()
    db.session.commit()
    ids = list(db.session.scalars(db.select(Order.id).order_by(Order.id)))
    return ids


def measure(order_ids: list[int]) -> dict:
    """Invoice every order as the payment job does; timings and the numbering check."""
    from sqlalchemy import func, select

    from catalogue.extensions import db
    from catalogue.invoices.jobs import process_order
    from catalogue.invoices.models import Invoice

    per_order = []
    started = time.perf_counter()
    for order_id in order_ids:
        one = time.perf_counter()
        process_order(order_id)
        per_order.append((time.perf_counter() - one) * 1000)
    wall = time.perf_counter() - started
    invoices = db.session.scalar(select(func.count(Invoice.id)))
    gap_free = all(
        db.session.scalars(select(Invoice.number).where(Invoice.series == series).order_by(Invoice.number)).all()
        == list(range(1, len(order_ids) + 1))
        for series in ("C26TAA", "C26TBB")
    )
    per_order.sort()
    return {"orders": len(order_ids), "invoices": invoices, "wall": wall, "gap_free": gap_free,
            "p50": statistics.median(per_order), "p99": per_order[int(len(per_order) * 0.99) - 1]}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Build, invoice, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args(argv)
    from flask_migrate import upgrade
    from sqlalchemy import create_engine, text

    from catalogue import create_app

    RESULTS.mkdir(parents=True, exist_ok=True)
    config = {"CATALOGUE_ENV": "testing", "SECRET_KEY": "bench", "MEDIA_ROOT": str(RESULTS / "media")}
    if args.database_url:
        schema = "bench_invoices"
        engine = create_engine(args.database_url)
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
        config.update(SQLALCHEMY_DATABASE_URI=args.database_url,
                      SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"options": f"-csearch_path={schema}"}})  # fmt: skip
        backend = "PostgreSQL"
    else:
        database = RESULTS / "invoices.db"
        database.unlink(missing_ok=True)
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{database}"
        backend = "SQLite"
    app = create_app(config)
    with app.app_context():
        upgrade()
        order_ids = build(args.orders)
        result = measure(order_ids)
    rate = result["invoices"] / result["wall"]
    print(f"{backend}: {result['orders']} orders, {result['invoices']} invoices in {result['wall']:.1f} s "
          f"({rate:.0f} invoices/s); per order p50 {result['p50']:.1f} ms, p99 {result['p99']:.1f} ms; "
          f"gap-free: {result['gap_free']}")  # fmt: skip
    write_readme(backend, result, rate)
    return 0 if result["gap_free"] else 1


def write_readme(backend: str, result: dict, rate: float) -> None:
    """Replace this backend's row between the invoices markers of bench/README.md."""
    text = README.read_text()
    head = (f"Measured {datetime.now(UTC):%Y-%m-%d}: 2 cores, Python {platform.python_version()}, in-process, "
            "one transaction per order (2 invoices: VAT + sales), RSA-2048 development certificates.")  # fmt: skip
    row = (f"| {backend} | {result['orders']} | {result['invoices']} | {result['wall']:.1f} | {rate:.0f} | "
           f"{result['p50']:.1f} | {result['p99']:.1f} | {'yes' if result['gap_free'] else 'NO'} |")  # fmt: skip
    header = ["| database | paid orders | invoices | wall (s) | invoices/s | per order p50 ms | p99 ms | gap-free |",
              "|---|--:|--:|--:|--:|--:|--:|---|"]  # fmt: skip
    if MARK_START not in text:
        intro = "`.venv/bin/python bench/invoices.py` (see its docstring)."
        text += f"\n## E-invoices\n\n{intro}\n\n{MARK_START}\n{MARK_END}\n"
    before, rest = text.split(MARK_START, 1)
    inside, after = rest.split(MARK_END, 1)
    rows = [line for line in inside.splitlines() if line.startswith("| ") and not line.startswith(("| database",))]
    rows = [line for line in rows if not line.startswith(f"| {backend} |")] + [row]
    body = "\n".join([head, "", *header, *sorted(rows)])
    README.write_text(f"{before}{MARK_START}\n{body}\n{MARK_END}{after}")


if __name__ == "__main__":
    sys.exit(main())
