"""A flash sale takes no catalogue-wide lock, and the sync change feed still misses nothing.

On PostgreSQL a stock move takes its change number from a sequence inside its own UPDATE, so
numbers commit out of order; the feed reads only up to the number below which every transaction
has ended (catalogue.products.revision.feed_horizon). These tests use real connections in threads.
"""

import random
import threading
import time

import pytest
from sqlalchemy import select

from catalogue.extensions import db
from catalogue.products.models import Product
from catalogue.products.stock import take_stock
from catalogue.sync.services import changes_since, decode_cursor
from tests import factories

PRODUCTS = 40
WRITERS = 8
SALES_PER_WRITER = 40


def _products(count: int, stock: int) -> list[int]:
    ref = factories.reference_data()
    maker = factories.producer("HTX Miến dong Bình Liêu", ref["binh_lieu"])
    made = [factories.product(f"Miến dong {index}", maker, ref["processed"], stock=stock) for index in range(count)]
    db.session.commit()
    return [product.id for product in made]


def _drain(cursor: str | None) -> tuple[list[tuple[int, int]], str]:
    seen = []
    while True:
        page = changes_since(cursor, 50)
        seen += [(product.id, product.change_seq) for product in page.items]
        cursor = page.next_cursor
        db.session.rollback()
        if not page.has_more:
            return seen, cursor


def _sale(product_id: int, hold: float) -> int:
    """Take one unit and commit after `hold` seconds; the change number the sale was stamped with."""
    assert take_stock(product_id, 1)
    seq = db.session.scalar(select(Product.change_seq).where(Product.id == product_id))
    time.sleep(hold)
    db.session.commit()
    return seq


def test_a_feed_reader_polling_through_concurrent_sales_misses_no_change(app, backend):
    ids = _products(PRODUCTS, stock=1000)
    _, start = _drain(None)
    committed: list[tuple[int, int]] = []  # (product, number) in commit order
    lock, done = threading.Lock(), threading.Event()
    seen: dict[int, int] = {}
    cursors: list[tuple[int, int]] = []

    def writer(index: int) -> None:
        rng = random.Random(index)
        with app.app_context():
            for _ in range(SALES_PER_WRITER):
                product_id = rng.choice(ids)
                seq = _sale(product_id, rng.choice((0, 0, 0.002, 0.01)))
                with lock:
                    committed.append((product_id, seq))
            db.session.remove()

    def reader() -> None:
        cursor = start
        with app.app_context():
            while True:
                finished = done.is_set()  # read before the poll: a poll after the last commit ends the loop
                items, cursor = _drain(cursor)
                cursors.append(decode_cursor(cursor))
                for product_id, seq in items:
                    seen[product_id] = max(seen.get(product_id, 0), seq)
                if finished:
                    break
                time.sleep(0.003)
            db.session.remove()

    polling = threading.Thread(target=reader)
    polling.start()
    writers = [threading.Thread(target=writer, args=(index,)) for index in range(WRITERS)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(timeout=120)
    done.set()
    polling.join(timeout=120)

    assert len(committed) == WRITERS * SALES_PER_WRITER
    assert cursors == sorted(cursors)  # the cursor never moved back
    if backend == "postgresql":  # the point of the sequence: commits landed out of number order
        assert any(seq < max(s for _, s in committed[:at]) for at, (_, seq) in enumerate(committed) if at)
    db.session.expire_all()
    final = dict(db.session.execute(select(Product.id, Product.change_seq).where(Product.id.in_(ids))).all())
    last_sale = {}
    for product_id, seq in committed:
        last_sale[product_id] = max(last_sale.get(product_id, 0), seq)
    # A change missed by the reader (its commit landing below a cursor already passed) would leave
    # the reader's last sight of that product older than the product's last sale.
    assert {product_id: seen.get(product_id) for product_id in last_sale} == last_sale
    assert all(final[product_id] == seq for product_id, seq in last_sale.items())
    stocks = dict(db.session.execute(select(Product.id, Product.stock).where(Product.id.in_(ids))).all())
    sold = {product_id: sum(1 for p, _ in committed if p == product_id) for product_id in ids}
    assert stocks == {product_id: 1000 - sold[product_id] for product_id in ids}


def test_the_feed_waits_for_a_lower_number_still_in_flight(app, backend):
    if backend != "postgresql":
        pytest.skip("SQLite has one writer at a time: numbers commit in order")
    first, second = _products(2, stock=5)
    _, start = _drain(None)
    holding, release = threading.Event(), threading.Event()
    numbers = {}

    def slow_sale() -> None:  # takes the lower number and holds its transaction open
        with app.app_context():
            assert take_stock(first, 1)
            numbers["slow"] = db.session.scalar(select(Product.change_seq).where(Product.id == first))
            holding.set()
            release.wait(10)
            db.session.commit()
            db.session.remove()

    slow = threading.Thread(target=slow_sale)
    slow.start()
    assert holding.wait(10)
    with app.app_context():  # a higher number, committed first
        numbers["fast"] = _sale(second, 0)
        db.session.remove()
    assert numbers["fast"] > numbers["slow"]

    answer = {}

    def read() -> None:
        with app.app_context():
            answer["items"], _ = _drain(start)
            db.session.remove()

    reading = threading.Thread(target=read)
    reading.start()
    reading.join(timeout=0.5)
    assert reading.is_alive()  # it does not answer with the fast sale while the slow one may still commit below it
    release.set()
    slow.join(10)
    reading.join(10)
    assert answer["items"] == [(first, numbers["slow"]), (second, numbers["fast"])]
