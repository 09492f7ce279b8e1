"""Shared set-up for order tests: a small shelf of products and a valid checkout body."""

from __future__ import annotations

from datetime import date

from catalogue.extensions import db
from tests import factories

BUYER = {"name": "Nguyễn Thị Lan", "email": "lan@example.com", "phone": "0912 345 678"}
ADDRESS = {"line1": "12 đường Hạ Long", "ward": "Phường Bãi Cháy", "province": "Quảng Ninh"}


def shelf() -> dict:
    """Products with known prices, weights and stock."""
    ref = factories.reference_data()
    maker = factories.producer("HTX Miến dong Bình Liêu", ref["binh_lieu"])
    products = {
        "mien": factories.product("Miến dong Bình Liêu", maker, ref["processed"], price_vnd=85000, stock=10),
        "last3": factories.product("Trà hoa vàng", maker, ref["processed"], price_vnd=300000, stock=3),
        "draft": factories.product("Rượu men lá", maker, ref["spirits"], status="draft", stock=5),
        "expired": factories.product("Chè cũ", maker, ref["processed"], issued_on=date(2022, 1, 1), stock=5),
    }
    db.session.commit()
    return products


def body(*lines: tuple[int, int], **overrides) -> dict:
    """A checkout request for (product_id, quantity) lines."""
    request = {
        "lines": [{"product_id": product_id, "quantity": quantity} for product_id, quantity in lines],
        "customer": dict(BUYER),
        "shipping_address": dict(ADDRESS),
    }
    request.update(overrides)
    return request


def stock_of(product) -> int:
    db.session.expire_all()
    return db.session.get(type(product), product.id).stock


class StoppedClock:
    """A monotonic clock that stands still until the test moves it: the waiting room's pace
    (`catalogue.orders.placement_limits._monotonic`) sees its second pass when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def stopped_pace_clock(monkeypatch) -> StoppedClock:
    """This process's paces and page count afresh (nothing left from an earlier test) on a stopped clock."""
    from catalogue.orders import placement_limits

    clock = StoppedClock()
    monkeypatch.setattr(placement_limits, "_paces", {})
    monkeypatch.setattr(placement_limits, "pages", placement_limits.Pages())  # no page ended on this clock
    monkeypatch.setattr(placement_limits, "_monotonic", clock)
    return clock


def a_page_being_served(monkeypatch):
    """A shopper's page in flight in this process (another thread's) for the whole test: the pace, which gives way
    to pages only, applies. This process's page count afresh otherwise."""
    from catalogue.orders import placement_limits

    pages = placement_limits.Pages()
    pages.started()
    monkeypatch.setattr(placement_limits, "pages", pages)
    return pages
