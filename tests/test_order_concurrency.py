"""30 buyers race for the last 3 units: exactly 3 orders, stock 0, never negative."""

import json
import threading
import urllib.error
import urllib.request
from collections import Counter

from sqlalchemy import func, select
from werkzeug.serving import make_server

from catalogue.extensions import db
from catalogue.orders.models import Order
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
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/api/v1/orders"
    start = threading.Barrier(BUYERS)
    statuses: list[int] = []

    request = body((product.id, 1))

    def buy():
        start.wait(timeout=30)
        statuses.append(_post(url, request))

    buyers = [threading.Thread(target=buy) for _ in range(BUYERS)]
    for buyer in buyers:
        buyer.start()
    for buyer in buyers:
        buyer.join(timeout=120)
    server.shutdown()
    thread.join(timeout=10)

    assert Counter(statuses) == {201: 3, 409: BUYERS - 3}
    assert stock_of(product) == 0
    assert db.session.scalar(select(func.count(Order.id)).where(Order.status == "pending_payment")) == 3


def test_concurrent_multi_line_orders_never_oversell_any_line(app):
    products = shelf()
    mien, last3 = products["mien"], products["last3"]  # 10 and 3 in stock
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/api/v1/orders"
    start = threading.Barrier(12)
    statuses: list[int] = []

    requests = [body((mien.id, 2), (last3.id, 1)), body((last3.id, 1), (mien.id, 2))]

    def buy(index):
        start.wait(timeout=30)
        statuses.append(_post(url, requests[index % 2]))

    buyers = [threading.Thread(target=buy, args=(i,)) for i in range(12)]
    for buyer in buyers:
        buyer.start()
    for buyer in buyers:
        buyer.join(timeout=120)
    server.shutdown()
    thread.join(timeout=10)

    placed = Counter(statuses)[201]
    assert placed == 3  # the three units of last3 bound it (mien would allow 5)
    assert (stock_of(last3), stock_of(mien)) == (0, 10 - 2 * placed)
