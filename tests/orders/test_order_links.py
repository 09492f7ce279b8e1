"""Order tokens leave URLs (issue 22): a `?token=` link is exchanged for a short-lived HttpOnly cookie
scoped to that order and a redirect to the clean URL, and every page showing an order is no-store.

The email's "Xem đơn hàng" link used to be the bare `/orders/{code}`: a 404 on any device but
the buying browser. It now carries a signed, read-only grant for that order, exchanged the same way.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from catalogue import notifications
from catalogue.extensions import db
from catalogue.orders.models import Order
from tests.access_helpers import cast
from tests.order_helpers import body

BASE = "https://ocop.example.vn"


@pytest.fixture
def placed(app, empty_client):
    world = cast()
    answer = empty_client.post("/api/v1/orders", json=body((world["product"].id, 1)))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def _email_link(app, code: str, kind: str = "paid") -> str:
    app.config.update(MAIL_SERVER="127.0.0.1", PUBLIC_BASE_URL=BASE)
    order = db.session.scalar(db.select(Order).where(Order.code == code))
    with app.test_request_context("/"):
        message = notifications.compose(kind, order)
    app.config.update(MAIL_SERVER=None)
    text = message.get_body(("plain",)).get_content()
    found = re.search(r"Xem đơn hàng: (\S+)", text)
    assert found, text
    return found.group(1)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _order_cookie(answer) -> str:
    (cookie,) = [value for value in answer.headers.getlist("Set-Cookie") if value.startswith("order_access=")]
    return cookie


def test_the_emails_link_opens_the_order_in_another_browser_on_a_clean_url(app, placed):
    link = _email_link(app, placed["code"])
    assert link.startswith(f"{BASE}/orders/{placed['code']}")
    fresh = app.test_client()  # another device: no session, no cookie

    exchanged = fresh.get(_path(link))

    assert exchanged.status_code == 303, exchanged.get_data(as_text=True)[:300]
    assert exchanged.headers["Location"] == f"/orders/{placed['code']}"
    cookie = _order_cookie(exchanged)
    assert "HttpOnly" in cookie and f"Path=/orders/{placed['code']}" in cookie and "Max-Age=" in cookie
    assert "SameSite=Lax" in cookie
    page = fresh.get(exchanged.headers["Location"])
    assert page.status_code == 200
    assert placed["code"] in page.get_data(as_text=True)
    assert "no-store" in page.headers["Cache-Control"]


def test_the_buyers_token_link_is_exchanged_and_never_echoed_into_the_page(app, placed):
    fresh = app.test_client()

    exchanged = fresh.get(f"/orders/{placed['code']}?token={placed['access_token']}")
    page = fresh.get(exchanged.headers["Location"])

    assert exchanged.status_code == 303 and exchanged.headers["Location"] == f"/orders/{placed['code']}"
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert placed["access_token"] not in html and not re.search(r"[?&;]token=", html)
    assert fresh.get(f"/orders/{placed['code']}/status.json").status_code == 200  # the cookie opens its parts


def test_a_wrong_token_sets_no_cookie_and_finds_nothing(app, placed):
    fresh = app.test_client()

    answer = fresh.get(f"/orders/{placed['code']}?token=not-the-token")

    assert not [value for value in answer.headers.getlist("Set-Cookie") if value.startswith("order_access=")]
    assert fresh.get(f"/orders/{placed['code']}").status_code == 404


def test_one_orders_link_never_opens_another(app, empty_client, placed):
    other = empty_client.post(
        "/api/v1/orders", json=body((db.session.scalar(db.select(Order)).lines[0].product_id, 1))
    ).get_json()
    link = _email_link(app, placed["code"])
    fresh = app.test_client()

    swapped = fresh.get(_path(link).replace(placed["code"], other["code"]))
    fresh.get(_path(link))

    assert not [value for value in swapped.headers.getlist("Set-Cookie") if value.startswith("order_access=")]
    assert fresh.get(f"/orders/{other['code']}").status_code == 404
    assert fresh.get(f"/orders/{placed['code']}").status_code == 200


def test_every_page_showing_an_order_is_no_store(app, placed):
    client = app.test_client()
    client.get(f"/orders/{placed['code']}?token={placed['access_token']}")

    for path in (f"/orders/{placed['code']}", f"/orders/{placed['code']}/status.json"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert "no-store" in answer.headers["Cache-Control"], path
