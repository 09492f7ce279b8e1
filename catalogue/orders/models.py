"""Orders: what a buyer bought at what price, where it goes, and what happened to it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalogue.extensions import db
from catalogue.models_base import Timestamped, utcnow
from catalogue.text import phone_digits, search_document

if TYPE_CHECKING:
    from catalogue.delivery.models import Parcel

ORDER_STATUSES = (
    "pending_payment",  # stock reserved, waiting for the card payment
    "payment_failed",  # the last attempt was declined; still reserved and retryable until it expires
    "paid",  # the signed webhook said so; stock is committed
    "shipped",
    "delivered",
    "cancelled",  # before payment (buyer, admin or expiry); stock released
    "refund_pending",  # a paid order was cancelled; waiting for its refunds (a provider's word, or the office)
    "refunded",  # money returned, stock released
)
RESERVING_STATUSES = ("pending_payment", "payment_failed")


class Order(Timestamped, db.Model):
    """A buyer's order, paid by one of the rails (VietQR, VNPay, MoMo, Stripe); its money is in `payments`."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(f"status IN {ORDER_STATUSES}", name="ck_orders_status"),
        CheckConstraint("total_vnd = subtotal_vnd + shipping_fee_vnd", name="ck_orders_total"),
        Index("ix_orders_status_reserved_until", "status", "reserved_until"),
        # A period's sales are a range read of this index (catalogue.reports.sales).
        Index("ix_orders_reporting", "created_at", "status", "settled_by"),
        # The few refunded orders of a period, shown apart from the sales (catalogue.reports.sales.refunded).
        Index(
            "ix_orders_refunded",
            "created_at",
            sqlite_where=text("status IN ('refund_pending', 'refunded')"),
            postgresql_where=text("status IN ('refund_pending', 'refunded')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="pending_payment")
    access_token_hash: Mapped[str] = mapped_column(String(64))
    customer_name: Mapped[str] = mapped_column(String(120))
    customer_email: Mapped[str] = mapped_column(String(200))
    customer_phone: Mapped[str] = mapped_column(String(20))
    # The buyer as the office's money desk searches them (catalogue.orders.money_desk): the name's
    # folded words ("nguyen van an"), the phone's national digits ("912345678"). Kept by `_searchable`.
    buyer_name_search: Mapped[str] = mapped_column(String(200), default="")
    buyer_phone_digits: Mapped[str] = mapped_column(String(20), default="")
    shipping_line1: Mapped[str] = mapped_column(String(200))
    shipping_ward: Mapped[str] = mapped_column(String(120))
    shipping_ward_code: Mapped[str] = mapped_column(String(10))
    shipping_province: Mapped[str] = mapped_column(String(120))
    shipping_province_code: Mapped[str] = mapped_column(String(10))
    subtotal_vnd: Mapped[int] = mapped_column(BigInteger)
    shipping_fee_vnd: Mapped[int] = mapped_column(BigInteger)
    total_vnd: Mapped[int] = mapped_column(BigInteger)
    weight_g: Mapped[int] = mapped_column(Integer)
    reserved_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The rail of the latest attempt (vietqr, vnpay, momo, stripe); every attempt is in the payments ledger.
    payment_method: Mapped[str | None] = mapped_column(String(10))
    # The rail whose money completed the payment (set when the order turned paid): what reports and
    # invoices name. A buyer may start VietQR, switch to VNPay and still pay by transfer.
    settled_by: Mapped[str | None] = mapped_column(String(10))
    payment_intent_id: Mapped[str | None] = mapped_column(String(80), unique=True)
    payment_client_secret: Mapped[str | None] = mapped_column(String(200))
    payment_error: Mapped[str | None] = mapped_column(Text)
    tracking_number: Mapped[str | None] = mapped_column(String(60))
    # True while the order's quantities are taken from stock (reserved or sold), so a
    # release or refund gives back exactly what was taken, and only once.
    stock_held: Mapped[bool] = mapped_column(Boolean, default=False)
    # The live session (catalogue.live) whose page the buyer ordered from; its live prices, if in its window.
    # No foreign key (sessions are never deleted): SQLite then adds the column without rebuilding `orders`.
    live_session_id: Mapped[int | None] = mapped_column(Integer, index=True)

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderEvent.id"
    )
    # One per producer (catalogue.delivery), written with the order; none for marketplace sales.
    parcels: Mapped[list[Parcel]] = relationship(cascade="all, delete-orphan", order_by="Parcel.id")


@event.listens_for(Order, "before_insert")
@event.listens_for(Order, "before_update")
def _searchable(_mapper, _connection, order: Order) -> None:
    """Keep the buyer's search columns in step with the name and phone, however the order was written."""
    order.buyer_name_search = search_document(order.customer_name)[:200]
    order.buyer_phone_digits = phone_digits(order.customer_phone)


class OrderLine(db.Model):
    """A product as it was sold: name, sku and price are copied at the time of the order."""

    __tablename__ = "order_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="ck_order_lines_quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producers.id"), index=True)
    sku: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(60))
    unit_price_vnd: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)
    line_total_vnd: Mapped[int] = mapped_column(BigInteger)

    order: Mapped[Order] = relationship(back_populates="lines")


class OrderEvent(db.Model):
    """One step of an order's status history, with who or what caused it."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    order: Mapped[Order] = relationship(back_populates="events")
