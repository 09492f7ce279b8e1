"""A live session: when a producer (or the office) sells on stream, and the products it pins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalogue.extensions import db
from catalogue.models_base import Timestamped, utcnow


class LiveSession(Timestamped, db.Model):
    """One livestream: its window [starts_at, ends_at), its short public code (/live/<code>) and its pins."""

    __tablename__ = "live_sessions"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ck_live_sessions_window"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    # None: the office's own session (it may pin any producer's products).
    producer_id: Mapped[int | None] = mapped_column(ForeignKey("producers.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Page views, one UPDATE visits = visits + 1 each (no row is read first).
    visits: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    pins: Mapped[list[LivePin]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="LivePin.position"
    )


class LivePin(db.Model):
    """A product pinned to a session, with its live price (≤ the normal price, > 0) and a cap per buyer."""

    __tablename__ = "live_pins"
    __table_args__ = (
        UniqueConstraint("session_id", "product_id", name="uq_live_pins_product"),
        CheckConstraint("live_price_vnd IS NULL OR live_price_vnd > 0", name="ck_live_pins_price"),
        CheckConstraint("cap_per_buyer IS NULL OR cap_per_buyer > 0", name="ck_live_pins_cap"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("live_sessions.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    live_price_vnd: Mapped[int | None] = mapped_column(BigInteger)
    cap_per_buyer: Mapped[int | None] = mapped_column(Integer)

    session: Mapped[LiveSession] = relationship(back_populates="pins")


class LiveCheckout(db.Model):
    """A browser that pressed "Mua ngay" on a session's page (once per browser): who reached checkout."""

    __tablename__ = "live_checkouts"
    __table_args__ = (UniqueConstraint("session_id", "visitor", name="uq_live_checkouts_visitor"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("live_sessions.id", ondelete="CASCADE"), index=True)
    visitor: Mapped[str] = mapped_column(String(40))
    # The order this browser placed from the session, once it placed one.
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
