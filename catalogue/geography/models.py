"""Localities: the 13 traditional places of origin of Quảng Ninh's products."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from catalogue.extensions import db

LOCALITY_KINDS = ("city", "town", "district")


class Locality(db.Model):
    """A place of origin (city, town or district until the 2025 reform)."""

    __tablename__ = "localities"
    __table_args__ = (CheckConstraint(f"kind IN {LOCALITY_KINDS}", name="ck_localities_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))
    # Two letters in SKUs of products from here: QN-BL-0001.
    sku_prefix: Mapped[str] = mapped_column(String(4), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
