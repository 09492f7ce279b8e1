"""What the marketplaces hold of our catalogue, and what they sold."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from catalogue.extensions import db
from catalogue.models_base import utcnow

MARKETPLACES = ("shopee", "lazada", "tiktok")
MARKETPLACE_NAMES = {"shopee": "Shopee", "lazada": "Lazada", "tiktok": "TikTok Shop"}  # as people read them
# not_offered: the product has no place on that marketplace (its product set is mapped to no category there).
LISTING_STATUSES = ("live", "pending", "error", "delisted", "not_offered")
# A marketplace order line that found too little of the one stock: nothing taken, the producer must cancel it there.
OVERSOLD = "not enough stock"
MAX_BUFFER = 100_000


class MarketplaceListing(db.Model):
    """A product's listing on one marketplace: the binding a sync job keeps true.

    It is also the worker's memory, shared by every worker on every machine: the version
    last dealt with and what was pushed (price, stock and a fingerprint of the other
    fields), so the next change sends only what differs and a re-run sends nothing.
    """

    __tablename__ = "marketplace_listings"
    __table_args__ = (
        UniqueConstraint("product_id", "marketplace", name="uq_marketplace_listings_product_marketplace"),
        CheckConstraint(f"status IN {LISTING_STATUSES}", name="ck_marketplace_listings_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    marketplace: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20))
    synced_version: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    synced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    pushed_price_vnd: Mapped[int | None] = mapped_column(BigInteger)
    pushed_stock: Mapped[int | None] = mapped_column(Integer)
    pushed_content: Mapped[str | None] = mapped_column(String(64))

    product = relationship(
        "Product", backref=backref("marketplace_listings", order_by="MarketplaceListing.marketplace", lazy="select")
    )

    @property
    def pushed(self) -> dict | None:
        """What the marketplace was last sent, or None when nothing is known to be there."""
        if self.pushed_price_vnd is None:
            return None
        return {"price_vnd": self.pushed_price_vnd, "stock": self.pushed_stock, "content": self.pushed_content}


class SyncCursor(db.Model):
    """How far a marketplace's sync job has recorded the change feed."""

    __tablename__ = "sync_cursors"

    marketplace: Mapped[str] = mapped_column(String(20), primary_key=True)
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    product_id: Mapped[int] = mapped_column(Integer, default=0)
    # Marketplace orders: every order updated before this moment (Unix seconds) has been reported.
    orders_updated_after: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class MarketplaceSale(db.Model):
    """A sale made on a marketplace; recorded once per external order id."""

    __tablename__ = "marketplace_sales"
    __table_args__ = (UniqueConstraint("marketplace", "external_order_id", name="uq_marketplace_sales_external_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    marketplace: Mapped[str] = mapped_column(String(20))
    external_order_id: Mapped[str] = mapped_column(String(80))
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)  # some line found no stock: the admin must act
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # stock given back then, once
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)

    lines: Mapped[list[MarketplaceSaleLine]] = relationship(
        back_populates="sale", cascade="all, delete-orphan", order_by="MarketplaceSaleLine.id"
    )


class MarketplaceSaleLine(db.Model):
    __tablename__ = "marketplace_sale_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("marketplace_sales.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str] = mapped_column(String(40))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    # Our price of the product when the sale was recorded: the marketplaces' order feed carries none.
    unit_price_vnd: Mapped[int | None] = mapped_column(BigInteger)
    stock_taken: Mapped[bool] = mapped_column(Boolean, default=False)
    problem: Mapped[str | None] = mapped_column(String(200))

    sale: Mapped[MarketplaceSale] = relationship(back_populates="lines")


class ChannelBuffer(db.Model):
    """Units of a product a marketplace's listing keeps back: it shows stock − units (never below 0).

    The one stock is shared by every channel; a buffer absorbs the sales a marketplace makes in
    the seconds before its listing hears of a sale elsewhere. The shop itself sells down to 0.
    """

    __tablename__ = "channel_buffers"
    __table_args__ = (
        CheckConstraint(f"units >= 0 AND units <= {MAX_BUFFER}", name="ck_channel_buffers_units"),
        CheckConstraint(f"marketplace IN {MARKETPLACES}", name="ck_channel_buffers_marketplace"),
    )

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    marketplace: Mapped[str] = mapped_column(String(20), primary_key=True)
    units: Mapped[int] = mapped_column(Integer, default=0)

    product = relationship("Product", backref=backref("channel_buffers", lazy="select", cascade="all, delete-orphan"))


def channel_stock(stock: int, buffers: dict[str, int], marketplace: str) -> int:
    """What `marketplace`'s listing shows of `stock`: the stock less its buffer, never below 0."""
    return max(stock - buffers.get(marketplace, 0), 0)


class CertificateExpiryNotice(db.Model):
    """A product's certificate expired and the change feed was told (once per certificate)."""

    __tablename__ = "certificate_expiry_notices"

    certificate_id: Mapped[int] = mapped_column(ForeignKey("ocop_certificates.id"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    noticed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
