"""The order's money as one ledger: every attempt, every payment in and every refund out is a row.

An order's paid state is derived from its rows (see catalogue.payments.ledger). A bank
transfer whose content names no order is a `payment` row without an order (`unmatched`)
until the office assigns it. A provider's own transaction id is unique per provider, so a
notification delivered twice (or twice at once) is recorded once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from catalogue.extensions import db
from catalogue.models_base import utcnow

KINDS = ("attempt", "payment", "refund")
STATES = {
    "attempt": ("started", "failed", "succeeded"),
    # received: counts for its order; unmatched: no order yet (the office assigns it);
    # rejected: recorded but not applied (an amount that does not match the attempt).
    "payment": ("received", "unmatched", "rejected"),
    # due: the office returns it by hand; requested: asked of the provider by API; done: returned.
    "refund": ("due", "requested", "done"),
}
ALL_STATES = tuple(sorted({state for states in STATES.values() for state in states}))


class Payment(db.Model):
    """One row of an order's ledger (or an unmatched bank transfer waiting for its order)."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint(f"kind IN {KINDS}", name="ck_payments_kind"),
        CheckConstraint(f"state IN {ALL_STATES}", name="ck_payments_state"),
        CheckConstraint("amount_vnd >= 0", name="ck_payments_amount_not_negative"),
        UniqueConstraint("provider", "provider_transaction_id", name="uq_payments_provider_transaction"),
        Index("ix_payments_kind_state", "kind", "state"),
        Index("ix_payments_reference", "provider", "reference"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(10))
    method: Mapped[str] = mapped_column(String(10))  # the rail, a name catalogue.payments.registry knows
    provider: Mapped[str] = mapped_column(String(20))  # who told us: sepay, casso, vnpay, momo, stripe
    reference: Mapped[str] = mapped_column(String(100), default="")  # attempt reference, bank reference
    provider_transaction_id: Mapped[str | None] = mapped_column(String(120))  # None: nothing to deduplicate
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[str] = mapped_column(Text, default="")  # the provider's words (transfer content, codes), JSON
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    resolved_by: Mapped[str] = mapped_column(String(200), default="")  # who assigned or returned it
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
