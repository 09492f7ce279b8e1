"""30 buyers race for the last 3 units: exactly 3 orders, stock 0, never negative."""

import json
import urllib.error
import urllib.request
from collections import Counter

from sqlalchemy import func, select

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
