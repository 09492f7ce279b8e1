"""Fixtures for service-level tests: the use cases called directly inside the app's context, no HTTP client.

The root fixtures (`app` on SQLite and PostgreSQL, the fake Stripe gateway it carries) are reused;
here a shelf, every rail that needs no fake server turned on, and a way to place an order by a rail.
"""

from __future__ import annotations

import pytest

from catalogue.orders import wiring
from catalogue.orders.services import Address, Customer, LineRequest
from catalogue.payments import payment_gateway, payment_rails
from tests.order_helpers import ADDRESS, BUYER, shelf
from tests.payments.rail_helpers import use_rails


@pytest.fixture
def shop(app):
    """VietQR (its bank feeds) and Stripe (the fake gateway) on, and a product with 10 in stock."""
    use_rails(app)
    return {"product": shelf()["mien"], "gateway": payment_gateway(), "rails": payment_rails()}


@pytest.fixture
def place(shop):
    """Place an order of `quantity` packets paid by `method`, through the checkout's use case; the order."""

    def placed(method: str = "stripe", quantity: int = 2):
        customer = Customer(BUYER["name"], BUYER["email"], BUYER["phone"])
        address = Address(ADDRESS["line1"], ADDRESS["ward"], ADDRESS["province"])
        return wiring.place_order([LineRequest(shop["product"].id, quantity)], customer, address, method).order

    return placed
