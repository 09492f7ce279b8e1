"""30 buyers race for the last 3 units: exactly 3 orders, stock 0, never negative."""

import json
import urllib.error
import urllib.request
from collections import Counter

from sqlalchemy import event, func, select

from catalogue.extensions import db
from catalogue.orders.models import Order
from tests.live import race, serving
from tests.order_helpers import body, shelf, stock_of

BUYERS = 30


def _post(url: str, payload: dict) -> int:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_thirty_concurrent_buyers_for_the_last_three_units(app):
    product = shelf()["last3"]
    request = body((product.id, 1))

    with serving(app) as base:
        statuses = race(BUYERS, lambda _: _post(f"{base}/api/v1/orders", request))

    assert Counter(statuses) == {201: 3, 409: BUYERS - 3}
    assert stock_of(product) == 0
    assert db.session.scalar(select(func.count(Order.id)).where(Order.status == "pending_payment")) == 3


def test_concurrent_multi_line_orders_never_oversell_any_line(app):
    products = shelf()
    mien, last3 = products["mien"], products["last3"]  # 10 and 3 in stock
    requests = [body((mien.id, 2), (last3.id, 1)), body((last3.id, 1), (mien.id, 2))]

    with serving(app) as base:
        statuses = race(12, lambda index: _post(f"{base}/api/v1/orders", requests[index % 2]))

    placed = Counter(statuses)[201]
    assert placed == 3  # the three units of last3 bound it (mien would allow 5)
    assert (stock_of(last3), stock_of(mien)) == (0, 10 - 2 * placed)


def test_a_reservation_takes_its_row_locks_last_and_commits_at_once(app, empty_client):
    """A product's row lock (its conditional UPDATE) is held for that UPDATE and the COMMIT only: every other
    write of the order comes before it, so buyers of one hot product queue on the shortest possible lock."""
    products = shelf()
    sent: list[str] = []

    def statement(_connection, _cursor, sql, *_):
        sent.append(" ".join(sql.split())[:60])

    def commit(_connection):
        sent.append("COMMIT")

    event.listen(db.engine, "before_cursor_execute", statement)
    event.listen(db.engine, "commit", commit)
    try:
        response = empty_client.post("/api/v1/orders", json=body((products["mien"].id, 2), (products["last3"].id, 1)))
    finally:
        event.remove(db.engine, "before_cursor_execute", statement)
        event.remove(db.engine, "commit", commit)

    assert response.status_code == 201
    reservation = sent[: sent.index("COMMIT") + 1]
    locks = [index for index, sql in enumerate(reservation) if sql.startswith("UPDATE products SET stock")]
    assert len(locks) == 2  # one conditional UPDATE per line
    assert any(sql.startswith("INSERT INTO orders") for sql in reservation[: locks[0]])
    after_first_lock = reservation[locks[0] :]
    # Nothing of the order is written once a row is locked: only the next line's change number and its UPDATE,
    # then the day's mark for the sales rollup (one row all of the day's sales write: last, held for the COMMIT
    # only, and after the stock rows in every kind of sale, so that no two sales take them in opposite orders).
    assert after_first_lock[-1] == "COMMIT"
    assert after_first_lock[-2].startswith("INSERT INTO sales_pending_days")
    assert not [sql for sql in after_first_lock[:-2] if sql.startswith(("INSERT", "DELETE"))], after_first_lock
