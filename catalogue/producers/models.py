"""Producer model."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, LargeBinary, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalogue.extensions import db
from catalogue.geography.models import Locality
from catalogue.models_base import Timestamped

if TYPE_CHECKING:
    from catalogue.products.models import Product

LEGAL_FORMS = ("company", "cooperative", "household")


class Producer(Timestamped, db.Model):
    """An OCOP subject: a company, a cooperative (HTX) or a household business."""

    __tablename__ = "producers"
    __table_args__ = (CheckConstraint(f"legal_form IN {LEGAL_FORMS}", name="ck_producers_legal_form"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    legal_form: Mapped[str] = mapped_column(String(20))
    tax_code: Mapped[str | None] = mapped_column(String(14), unique=True)
    locality_id: Mapped[int] = mapped_column(ForeignKey("localities.id"), index=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    story: Mapped[str] = mapped_column(Text, default="")
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False)
    name_sort_key: Mapped[bytes] = mapped_column(LargeBinary, default=b"", index=True)
    # Where its parcels are picked up (catalogue.delivery.pickup): a ward of the post-2025 two-level
    # units, as `catalogue.geography.addresses.resolve_place` names it, with the codes carriers key by.
    pickup_address: Mapped[str] = mapped_column(String(200), default="", server_default="")
    pickup_ward: Mapped[str] = mapped_column(String(120), default="", server_default="")
    pickup_ward_code: Mapped[str] = mapped_column(String(10), default="", server_default="")
    pickup_province: Mapped[str] = mapped_column(String(120), default="", server_default="")
    pickup_province_code: Mapped[str] = mapped_column(String(10), default="", server_default="")
    pickup_phone: Mapped[str] = mapped_column(String(20), default="", server_default="")
    # The office's choice: its parcels are booked with the default carrier as soon as the order is paid.
    book_on_payment: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    locality: Mapped[Locality] = relationship()
    products: Mapped[list[Product]] = relationship(back_populates="producer")
