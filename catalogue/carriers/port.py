"""The carrier port: what the shop asks of a delivery company, and what it gets back.

Every carrier (GHN, Viettel Post, and the next one: GHTK, J&T) is one package under
`catalogue/carriers/` implementing `Carrier`, registered in `registry.py`, with a fake
in the tests that speaks its published API. Nothing outside this package names a carrier.

Addresses are the post-2025 two-level form (`catalogue.geography.addresses.Place`,
province → ward); an adapter maps them to whatever its carrier still keys by (GHN's
district ids, Viettel Post's old district codes) itself.

Carrier calls never run inside a database transaction: callers read what they need,
commit, call, then write the result in a new transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from catalogue.geography.addresses import Place

# The shop's parcel statuses (contract §8). Adapters map their carrier's codes onto these.
PENDING = "pending"
BOOKED = "booked"
PICKED_UP = "picked_up"
IN_TRANSIT = "in_transit"
DELIVERED = "delivered"
FAILED = "failed"
RETURNING = "returning"
RETURNED = "returned"
CANCELLED = "cancelled"
PARCEL_STATUSES = (PENDING, BOOKED, PICKED_UP, IN_TRANSIT, DELIVERED, FAILED, RETURNING, RETURNED, CANCELLED)


class CarrierError(Exception):
    """A carrier call did not do what was asked. `message_vi` is what a producer or the office reads."""

    def __init__(self, message: str, message_vi: str | None = None) -> None:
        super().__init__(message)
        self.message_vi = message_vi or message


class CarrierUnavailable(CarrierError):
    """Timeout, connection refused, 429 or 5xx after the adapter's retries: try again later."""


class CarrierRefused(CarrierError):
    """The carrier answered and said no (bad address, over its limits, bad credentials)."""


class ForgedCallback(CarrierError):
    """A callback that does not carry the carrier's authentication: answer 401, change nothing."""


@dataclass(frozen=True)
class CarrierLabels:
    """How people read the carrier's name."""

    brand: str  # "GHN", "Viettel Post"
    vi: str  # "Giao Hàng Nhanh (GHN)"


@dataclass(frozen=True)
class Limits:
    """The largest parcel the carrier takes."""

    max_weight_g: int
    max_side_cm: int


@dataclass(frozen=True)
class Contact:
    """Who sends or receives a parcel."""

    name: str
    phone: str
    address_line: str
    place: Place


@dataclass(frozen=True)
class ParcelSpec:
    """What is in the box, as the carrier prices it."""

    weight_g: int
    length_cm: int = 20
    width_cm: int = 15
    height_cm: int = 10
    value_vnd: int = 0  # declared value (insurance)
    contents: str = ""  # a short description for the label


@dataclass(frozen=True)
class Quote:
    """A carrier's price for one parcel."""

    fee_vnd: int
    service: str  # the carrier's service code, e.g. GHN "2" (light) / "5" (heavy), Viettel Post "VCN"
    eta_days: int | None = None


@dataclass(frozen=True)
class BookingRequest:
    """Book one parcel. `reference` is the shop's idempotency key for the parcel: booking twice
    with the same reference must never create two carrier orders (the adapter looks the
    reference up, or the carrier refuses the duplicate, and the existing booking comes back)."""

    reference: str
    sender: Contact
    recipient: Contact
    parcel: ParcelSpec
    service: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Booking:
    """A parcel the carrier has taken."""

    tracking_code: str
    fee_vnd: int
    service: str
    expected_delivery: datetime | None = None


@dataclass(frozen=True)
class StatusReport:
    """A parcel's status as the carrier's own API reads it back (the truth a callback only hints at)."""

    tracking_code: str
    status: str  # one of PARCEL_STATUSES
    carrier_status: str  # the carrier's own code or name, kept in the parcel's history
    at: datetime | None = None
    expected_delivery: datetime | None = None


@dataclass(frozen=True)
class Callback:
    """An authenticated callback, read: a hint to read the status back with `status()`."""

    tracking_code: str
    reference: str | None  # the shop's reference when the carrier echoes it
    carrier_status: str
    at: datetime | None = None
    raw: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class InboundCall:
    """A callback request as the web layer received it (no Flask objects cross the port)."""

    args: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes


class Carrier(Protocol):
    """One delivery company."""

    name: str  # "ghn", "viettelpost": the webhook path /webhooks/<name> and the value stored on parcels
    labels: CarrierLabels
    limits: Limits

    def tracking_url(self, tracking_code: str) -> str:
        """Where a buyer follows the parcel on the carrier's own site."""

    def quote(self, sender: Place, recipient: Place, parcel: ParcelSpec, service: str | None = None) -> Quote:
        """The carrier's fee; raises CarrierUnavailable (the caller falls back to the zone table) or CarrierRefused."""

    def book(self, request: BookingRequest) -> Booking:
        """Create the carrier order, once per `request.reference`."""

    def cancel(self, tracking_code: str) -> None:
        """Cancel a booking not yet picked up."""

    def label_pdf(self, tracking_codes: list[str], size: str = "A6") -> bytes:
        """The printable label(s), PDF bytes; size "A6" or "A5"."""

    def status(self, tracking_code: str) -> StatusReport:
        """Read the parcel's status back from the carrier."""

    def read_callback(self, call: InboundCall, webhook_token: str) -> Callback:
        """Authenticate and read a status callback; ForgedCallback when it does not hold."""
