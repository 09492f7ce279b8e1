"""What a producer's dashboard reads: its products with their certificate state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from catalogue.extensions import db
from catalogue.products.models import Category, Certificate, OcopGroup, Product

# A certificate this close to its expiry is flagged, so the producer has time to renew it.
EXPIRY_WARNING = timedelta(days=60)


@dataclass(frozen=True)
class ProductState:
    """A product as its producer watches it."""

    product: Product
    certificate: Certificate | None
    certificate_state: str  # valid, expiring, expired, missing
    on_storefront: bool


def certificate_state(certificate: Certificate | None, today: date) -> str:
    """valid, expiring (within 60 days), expired (or not yet valid), or missing."""
    if certificate is None:
        return "missing"
    if not certificate.is_valid_on(today):
        return "expired"
    if certificate.expires_on - today <= EXPIRY_WARNING:
        return "expiring"
    return "valid"


def product_states(producer_id: int | None, today: date, query: str = "", limit: int = 500) -> list[ProductState]:
    """A producer's products (every producer's for None), by name, with their certificate state."""
    statement = (
        select(Product)
        .options(joinedload(Product.current_certificate), selectinload(Product.images), joinedload(Product.producer))
        .order_by(Product.name_sort_key, Product.id)
        .limit(limit)
    )
    if producer_id is not None:
        statement = statement.where(Product.producer_id == producer_id)
    if query:
        statement = statement.where(Product.name.ilike(f"%{query}%") | Product.sku.ilike(f"%{query}%"))
    return [state_of(product, today) for product in db.session.scalars(statement).unique()]


def state_of(product: Product, today: date) -> ProductState:
    """One product's certificate state and whether shoppers can see it."""
    certificate = product.current_certificate
    state = certificate_state(certificate, today)
    approved_and_active = product.status == "active" and product.review_status == "approved"
    on_storefront = approved_and_active and state in ("valid", "expiring")
    return ProductState(product, certificate, state, on_storefront)


def valid_certificates(producer_id: int, today: date) -> list[Certificate]:
    """The producer's certificates valid today, one per number (the latest issue)."""
    rows = db.session.scalars(
        select(Certificate)
        .join(Product, Product.id == Certificate.product_id)
        .where(Product.producer_id == producer_id, Certificate.issued_on <= today, Certificate.expires_on >= today)
        .order_by(Certificate.issued_on.desc(), Certificate.id.desc())
    )
    chosen: dict[str, Certificate] = {}
    for certificate in rows:
        chosen.setdefault(certificate.certificate_no, certificate)
    return list(chosen.values())


def category_choices() -> list[tuple[str, str]]:
    """(code, "group › product set") for every OCOP product set, in the official order."""
    rows = db.session.execute(
        select(Category.code, Category.name, OcopGroup.name)
        .join(OcopGroup, OcopGroup.id == Category.group_id)
        .order_by(OcopGroup.position, Category.position)
    ).all()
    return [(code, f"{group} › {name}") for code, name, group in rows]
