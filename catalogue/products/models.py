"""Catalogue models: OCOP groups and product sets, products, images, certificates."""

from __future__ import annotations

from datetime import date, datetime

from dateutil.relativedelta import relativedelta
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalogue.extensions import db
from catalogue.geography.models import Locality
from catalogue.models_base import Timestamped, utcnow
from catalogue.producers.models import Producer

PRODUCT_STATUSES = ("draft", "active", "archived")
# The office's review of a listing: only an approved one is ever public, whatever its status.
REVIEW_STATUSES = ("approved", "pending", "rejected")
ISSUING_LEVELS = ("central", "province", "district")
OCOP_STARS = (3, 4, 5)
CERTIFICATE_ACTIONS = ("recorded", "corrected", "withdrawn")
CERTIFICATE_VALIDITY_MONTHS = 36


def expiry_for(issued_on: date) -> date:
    """A certificate is valid 36 months from its issue date."""
    return issued_on + relativedelta(months=CERTIFICATE_VALIDITY_MONTHS)


class OcopGroup(db.Model):
    """One of the six OCOP product groups of Decision 148/QĐ-TTg."""

    __tablename__ = "ocop_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)

    categories: Mapped[list[Category]] = relationship(back_populates="group", order_by="Category.position")


class Category(db.Model):
    """An OCOP product set (bộ sản phẩm) inside a group, e.g. condiments."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    group_id: Mapped[int] = mapped_column(ForeignKey("ocop_groups.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    group: Mapped[OcopGroup] = relationship(back_populates="categories")


class Product(Timestamped, db.Model):
    """A product as sold: price in integer VND, stock, status and a change version."""

    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="ck_products_stock_not_negative"),
        CheckConstraint("price_vnd >= 0", name="ck_products_price_not_negative"),
        CheckConstraint(f"status IN {PRODUCT_STATUSES}", name="ck_products_status"),
        CheckConstraint(f"review_status IN {REVIEW_STATUSES}", name="ck_products_review_status"),
        Index("ix_products_status_price", "status", "price_vnd"),
        Index("ix_products_status_name_key", "status", "name_sort_key"),
        # Covers choosing a page of the default listing without reading the wide rows.
        Index("ix_products_listing", "status", "review_status", "current_certificate_id", "name_sort_key"),
        Index("ix_products_gtin", "gtin", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(40), unique=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    unit: Mapped[str] = mapped_column(String(60))
    net_weight_g: Mapped[int | None] = mapped_column(Integer)
    # An EAN-13 under Vietnam's GS1 prefix 893, check digit verified (catalogue.traceability.digital_link).
    gtin: Mapped[str | None] = mapped_column(String(13))
    price_vnd: Mapped[int] = mapped_column(BigInteger)
    stock: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producers.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    locality_id: Mapped[int] = mapped_column(ForeignKey("localities.id"), index=True)
    # The latest-issued certificate not withdrawn (kept by catalogue.products.certificates on every
    # record, correction and withdrawal); it rates the product while it is valid. History stays in certificates.
    current_certificate_id: Mapped[int | None] = mapped_column(
        ForeignKey("ocop_certificates.id", use_alter=True, name="fk_products_current_certificate"),
        index=True,
    )
    # The office's review (catalogue.products.moderation): producers' new and re-rated listings wait for it.
    review_status: Mapped[str] = mapped_column(String(20), default="approved", server_default="approved", index=True)
    # The certificate a producer asked to rate this listing by, until the office decides.
    requested_certificate_id: Mapped[int | None] = mapped_column(
        ForeignKey("ocop_certificates.id", use_alter=True, name="fk_products_requested_certificate")
    )
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rejection_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Derived search fields, kept by the services: folded words, and a Vietnamese collation key.
    search_name: Mapped[str] = mapped_column(Text, default="")
    search_text: Mapped[str] = mapped_column(Text, default="")
    name_sort_key: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    # The catalogue revision of the product's last change (see catalogue.products.revision).
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0", index=True)
    # VAT rate on invoices (0%, 5%, 8%, 10%, KCT, KKKNT), set by the office; None: its product set's rate
    # (catalogue.invoices.rates).
    vat_rate: Mapped[str | None] = mapped_column(String(5))

    __mapper_args__ = {"version_id_col": version}

    producer: Mapped[Producer] = relationship(back_populates="products")
    category: Mapped[Category] = relationship()
    locality: Mapped[Locality] = relationship()
    current_certificate: Mapped[Certificate | None] = relationship(
        foreign_keys=[current_certificate_id], post_update=True
    )
    requested_certificate: Mapped[Certificate | None] = relationship(
        foreign_keys=[requested_certificate_id], post_update=True
    )
    certificates: Mapped[list[Certificate]] = relationship(
        back_populates="product",
        foreign_keys="Certificate.product_id",
        order_by="Certificate.issued_on",
    )
    images: Mapped[list[ProductImage]] = relationship(
        back_populates="product", order_by="ProductImage.position", cascade="all, delete-orphan"
    )

    def rating_on(self, today: date) -> Certificate | None:
        """The certificate that makes this an OCOP product on `today`, if any (decided in certificates.py)."""
        from catalogue.products.certificates import rating_of

        return rating_of(self, today)


class ProductImage(db.Model):
    """An image file under MEDIA_ROOT, served by the service itself."""

    __tablename__ = "product_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    path: Mapped[str] = mapped_column(String(300))
    alt: Mapped[str] = mapped_column(String(300), default="")
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)

    product: Mapped[Product] = relationship(back_populates="images")


class Certificate(Timestamped, db.Model):
    """An OCOP certificate: stars, decision number, level, valid 36 months from issue."""

    __tablename__ = "ocop_certificates"
    __table_args__ = (
        CheckConstraint("stars BETWEEN 3 AND 5", name="ck_ocop_certificates_stars"),
        CheckConstraint(f"issuing_level IN {ISSUING_LEVELS}", name="ck_ocop_certificates_level"),
        CheckConstraint("expires_on > issued_on", name="ck_ocop_certificates_period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    stars: Mapped[int] = mapped_column(Integer)
    certificate_no: Mapped[str] = mapped_column(String(80))
    issuing_level: Mapped[str] = mapped_column(String(20))
    issued_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date, index=True)
    # Another listing of the same product line (a pack size) rated by this certificate carries a
    # copy of it; the copy points at the original, so a correction or withdrawal reaches it too.
    source_certificate_id: Mapped[int | None] = mapped_column(
        ForeignKey("ocop_certificates.id", name="fk_ocop_certificates_source_certificate"), index=True
    )
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    product: Mapped[Product] = relationship(back_populates="certificates", foreign_keys=[product_id])
    events: Mapped[list[CertificateEvent]] = relationship(
        back_populates="certificate", order_by="CertificateEvent.id", cascade="all, delete-orphan"
    )

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    def is_valid_on(self, today: date) -> bool:
        """True from the issue date through the expiry date, inclusive (withdrawal aside)."""
        return self.issued_on <= today <= self.expires_on


class CertificateEvent(db.Model):
    """A certificate's history: recorded, corrected (fields before and after) or withdrawn, why and by whom."""

    __tablename__ = "ocop_certificate_events"
    __table_args__ = (CheckConstraint(f"action IN {CERTIFICATE_ACTIONS}", name="ck_ocop_certificate_events_action"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("ocop_certificates.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    changes: Mapped[str] = mapped_column(Text, default="{}")  # JSON {field: [before, after]}
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    certificate: Mapped[Certificate] = relationship(back_populates="events")
