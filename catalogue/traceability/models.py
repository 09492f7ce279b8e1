"""Lots (lô sản xuất), their test reports, and scans counted per lot and day."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    FetchedValue,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalogue.extensions import db
from catalogue.models_base import Timestamped, utcnow
from catalogue.products.models import Product

REPORT_KINDS = ("pdf", "image")


class Lot(Timestamped, db.Model):
    """A production lot of one product: its dates, how many units, where the raw material came from.

    Not a catalogue table (catalogue.products.revision): a lot's change never makes every
    cached catalogue page stale; the product page links lots through a stable URL. What the
    lot's own origin page shows moves its `page_revision` instead, in the database itself
    (catalogue.traceability.page_revision).
    """

    __tablename__ = "lots"
    # page_revision is the database's (triggers): a value read back from an INSERT's RETURNING would be SQLite's
    # before its AFTER trigger ran, so it is left expired and loaded when asked for.
    __mapper_args__ = {"eager_defaults": False}
    __table_args__ = (
        UniqueConstraint("product_id", "lot_number", name="uq_lots_product_lot_number"),
        CheckConstraint("quantity > 0", name="ck_lots_quantity_positive"),
        CheckConstraint("expires_on >= produced_on", name="ck_lots_dates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    # The lot as printed (GS1 AI 10: batch/lot), unique within its product.
    lot_number: Mapped[str] = mapped_column(String(20))
    # The short code of /t/{code}, for products without a GTIN (random, unique everywhere).
    code: Mapped[str] = mapped_column(String(12), unique=True)
    produced_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)
    quantity: Mapped[int] = mapped_column(Integer)
    # A ward, commune or special zone of Quảng Ninh (two-level units since 07/2025), by its code.
    origin_ward_code: Mapped[str] = mapped_column(String(10))
    origin_ward_name: Mapped[str] = mapped_column(String(120))
    # Set once when the stamp has been scanned far more often than the lot has units (a copied stamp).
    suspected_copy_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A new number on every write to what the origin page shows (migration 0029's triggers; never set it here).
    page_revision: Mapped[int] = mapped_column(
        BigInteger, server_default=FetchedValue(), server_onupdate=FetchedValue()
    )

    product: Mapped[Product] = relationship()
    reports: Mapped[list[LotReport]] = relationship(
        back_populates="lot", order_by="LotReport.id", cascade="all, delete-orphan"
    )


class LotReport(db.Model):
    """A test or inspection report of a lot (a checked PDF or image under MEDIA_ROOT/reports)."""

    __tablename__ = "lot_reports"
    __table_args__ = (CheckConstraint(f"kind IN {REPORT_KINDS}", name="ck_lot_reports_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    media_type: Mapped[str] = mapped_column(String(40))
    path: Mapped[str] = mapped_column(String(300))
    size_bytes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    lot: Mapped[Lot] = relationship(back_populates="reports")


class LotScanDay(db.Model):
    """How many times a lot's stamp was scanned on one day (Vietnam time): one row, upserted per scan."""

    __tablename__ = "lot_scan_days"

    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    scans: Mapped[int] = mapped_column(Integer, default=0)


class LotScanClient(db.Model):
    """A client (keyed hash of its IP address, User-Agent and the day) that scanned a lot's stamp on a day.

    Kept for today and yesterday only: a buffered scan counts into LotScanDay only when its row is new.
    """

    __tablename__ = "lot_scan_clients"

    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    client: Mapped[str] = mapped_column(String(32), primary_key=True)


class LotScanSource(db.Model):
    """A network (keyed hash of an IPv4 address or IPv6 /64) that ever scanned a lot: what the copy warning counts."""

    __tablename__ = "lot_scan_sources"

    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id", ondelete="CASCADE"), primary_key=True)
    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    first_day: Mapped[date] = mapped_column(Date)
