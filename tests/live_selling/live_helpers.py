"""Set-up for live-selling tests: a session of the cast's owner, and the buyer's way through its page."""

from __future__ import annotations

import re
from datetime import timedelta

from catalogue import clock
from catalogue.accounts.principal import Principal
from catalogue.live import services as live
from tests.storefront_helpers import csrf_token

FORM = {
    "name": "Nguyễn Thị Lan",
    "email": "lan@example.com",
    "phone": "0912 345 678",
    "province": "Quảng Ninh",
    "ward": "Phường Bãi Cháy",
    "line1": "12 đường Hạ Long",
    "payment_method": "vietqr",
}
WINDOWS = {  # (start, end) in hours from now
    "before": (1, 2),
    "open": (-1, 1),
    "after": (-2, -1),
}


def producer(producer_id: int) -> Principal:
    return Principal(1, "producer", producer_id, frozenset({"catalogue:write", "orders:read"}), "producer")


OFFICE = Principal(2, "admin", None, frozenset({"admin", "catalogue:write", "orders:read"}), "office")


def session_for(principal, product_ids_prices: list[tuple[int, int | None, int | None]], window: str = "open"):
    start, end = WINDOWS[window]
    now = clock.now()
    pins = [live.PinInput(product_id, price, cap) for product_id, price, cap in product_ids_prices]
    return live.save_session(
        principal, None, "Live miến dong tối nay", now + timedelta(hours=start), now + timedelta(hours=end), pins
    )


def buy_now(client, code: str, product_id: int, quantity: int = 1, **form):
    """Press "Mua ngay" on the live page, then place the order on the checkout it leads to; the last answer."""
    token = csrf_token(client, f"/live/{code}")
    pressed = client.post(f"/live/{code}/buy", data={"csrf_token": token, "product_id": product_id,
                                                     "quantity": quantity})  # fmt: skip
    assert pressed.status_code == 303, pressed.status_code
    location = pressed.headers["Location"]
    assert location == f"/checkout?live={code}"
    page = client.get(location).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    return client.post(location, data={**FORM, **form, "csrf_token": token})


def order_code(location: str) -> str:
    return re.fullmatch(r"/orders/(QN-\w{4}-\w{4})", location).group(1)
