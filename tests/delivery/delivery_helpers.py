"""A carrier for delivery tests: implements the carrier port, prices by a rule the tests can check, and can
be turned down or slow."""

from __future__ import annotations

import threading
import time

from catalogue.carriers.port import CarrierLabels, CarrierUnavailable, Limits, Quote
from catalogue.carriers.registry import Carriers
from catalogue.delivery.pickup import Pickup, apply_pickup


class FakeCarrier:
    name = "fakeship"
    labels = CarrierLabels("FakeShip", "Giao hàng FakeShip")
    limits = Limits(max_weight_g=5000, max_side_cm=100)

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, int]] = []
        self.down = False
        self.delay = 0.0
        self._lock = threading.Lock()

    @staticmethod
    def fee(sender, recipient, weight_g: int) -> int:
        """20 000 ₫ + 4 ₫ a gram, 15 000 ₫ more out of the sender's province."""
        return 20_000 + 4 * weight_g + (15_000 if sender.province_code != recipient.province_code else 0)

    def tracking_url(self, tracking_code: str) -> str:
        return f"https://track.example/{tracking_code}"

    def quote(self, sender, recipient, parcel, service=None) -> Quote:
        with self._lock:
            self.calls.append((sender.ward_code, recipient.ward_code, parcel.weight_g))
        if self.delay:
            time.sleep(self.delay)
        if self.down:
            raise CarrierUnavailable("503 Service Unavailable")
        return Quote(self.fee(sender, recipient, parcel.weight_g), "2", 2)

    def book(self, request):  # booking is another helper's; nothing here books
        raise NotImplementedError

    def cancel(self, tracking_code):
        raise NotImplementedError

    def label_pdf(self, tracking_codes, size="A6"):
        raise NotImplementedError

    def status(self, tracking_code):
        raise NotImplementedError

    def read_callback(self, call, webhook_token):
        raise NotImplementedError


def use_carrier(app, carrier: FakeCarrier | None = None, timeout: float = 2.0) -> FakeCarrier:
    carrier = carrier or FakeCarrier()
    app.config["CARRIERS"] = Carriers((carrier,))
    app.config["SHIPPING_QUOTE_TIMEOUT"] = timeout
    app.extensions.pop("shipping_quote_cache", None)
    return carrier


def give_pickup(producer, ward: str, province: str = "Quảng Ninh") -> None:
    apply_pickup(producer, Pickup("Thôn 1", ward, province, "0912345678"))
