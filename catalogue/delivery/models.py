"""Parcels, their history, and the shop's own zone table of fees."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalogue.carriers.port import PARCEL_STATUSES, PENDING
from catalogue.extensions import db
from catalogue.models_base import Timestamped, utcnow

SAME_PROVINCE, SAME_REGION, OTHER_REGION, ISLAND = "same_province", "same_region", "other_region", "island"
ZONES = (SAME_PROVINCE, SAME_REGION, OTHER_REGION)
# The island rows are a surcharge added on top when either end is a special zone (đặc khu: Cô Tô, Vân Đồn, …).
RATE_ZONES = (*ZONES, ISLAND)
FEE_SOURCES = ("carrier", "zone")
EVENT_SOURCES = ("shop", "producer", "office", "callback", "poll", "carrier")


class Parcel(Timestamped, db.Model):
    """One producer's goods of an order: priced at checkout, then booked, tracked and delivered."""

    __tablename__ = "parcels"
    __table_args__ = (
        UniqueConstraint("order_id", "producer_id", name="uq_parcels_order_producer"),
        CheckConstraint(f"status IN {PARCEL_STATUSES}", name="ck_parcels_status"),
        CheckConstraint(f"fee_source IN {FEE_SOURCES}", name="ck_parcels_fee_source"),
        CheckConstraint("fee_vnd >= 0 AND weight_g > 0", name="ck_parcels_fee_weight"),
        Index("ix_parcels_carrier_tracking", "carrier", "tracking_code"),
        Index("ix_parcels_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producers.id"), index=True)
    weight_g: Mapped[int] = mapped_column(Integer)
    fee_vnd: Mapped[int] = mapped_column(BigInteger)
    fee_source: Mapped[str] = mapped_column(String(10))  # carrier: its fee API priced it; zone: the shop's table
    zone: Mapped[str | None] = mapped_column(String(20))  # same_province / same_region / other_region
    carrier: Mapped[str | None] = mapped_column(String(20))  # the carrier's name (port `Carrier.name`)
    service: Mapped[str | None] = mapped_column(String(20))
    eta_days: Mapped[int | None] = mapped_column(Integer)
    tracking_code: Mapped[str | None] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    # The shop's idempotency key for booking this parcel: the carrier never creates two orders for it.
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    booked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expected_delivery: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)  # why the last booking failed, in Vietnamese
    # The booking job (catalogue.delivery.booking): queued / booking / failed, since when, how often tried.
    booking_state: Mapped[str | None] = mapped_column(String(10), index=True)
    booking_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    booking_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_event_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # the carrier's last word
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A returned parcel's stock given back and its refund opened (once).
    return_settled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    events: Mapped[list[ParcelEvent]] = relationship(
        back_populates="parcel", cascade="all, delete-orphan", order_by="ParcelEvent.id"
    )
    producer = relationship("Producer", lazy="joined")


class ParcelEvent(db.Model):
    """One step of a parcel's history: the shop's status, the carrier's own code, when, and who said so."""

    __tablename__ = "parcel_events"
    __table_args__ = (
        CheckConstraint(f"status IN {PARCEL_STATUSES}", name="ck_parcel_events_status"),
        CheckConstraint(f"source IN {EVENT_SOURCES}", name="ck_parcel_events_source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parcel_id: Mapped[int] = mapped_column(ForeignKey("parcels.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    carrier_status: Mapped[str | None] = mapped_column(String(60))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    source: Mapped[str] = mapped_column(String(10))

    parcel: Mapped[Parcel] = relationship(back_populates="events")


class ShippingRate(db.Model):
    """A band of the zone table: parcels of `zone` up to `max_weight_g` cost `fee_vnd`.

    Above a zone's heaviest band, each further started kilogram adds that band's `extra_per_kg_vnd`.
    """

    __tablename__ = "shipping_rates"
    __table_args__ = (
        UniqueConstraint("zone", "max_weight_g", name="uq_shipping_rates_zone_weight"),
        CheckConstraint(f"zone IN {RATE_ZONES}", name="ck_shipping_rates_zone"),
        CheckConstraint("max_weight_g > 0 AND fee_vnd >= 0 AND extra_per_kg_vnd >= 0", name="ck_shipping_rates_values"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    zone: Mapped[str] = mapped_column(String(20))
    max_weight_g: Mapped[int] = mapped_column(Integer)
    fee_vnd: Mapped[int] = mapped_column(BigInteger)
    extra_per_kg_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


# The table the migration seeds (VND; the same province keeps the old flat rule: 30 000 ₫ the first
# kilo, 10 000 ₫ each further one). The office edits it in the portal.
DEFAULT_RATES: tuple[tuple[str, int, int, int], ...] = (
    (SAME_PROVINCE, 1000, 30_000, 0),
    (SAME_PROVINCE, 2000, 40_000, 0),
    (SAME_PROVINCE, 3000, 50_000, 10_000),
    (SAME_REGION, 500, 32_000, 0),
    (SAME_REGION, 1000, 35_000, 0),
    (SAME_REGION, 2000, 47_000, 0),
    (SAME_REGION, 3000, 59_000, 12_000),
    (OTHER_REGION, 500, 38_000, 0),
    (OTHER_REGION, 1000, 45_000, 0),
    (OTHER_REGION, 2000, 60_000, 0),
    (OTHER_REGION, 3000, 75_000, 15_000),
    (ISLAND, 1000, 15_000, 0),
    (ISLAND, 3000, 25_000, 5_000),
)
