"""What a producer's dashboard reads: its products with their certificate state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from catalogue.extensions import db
from catalogue.products import certificates
from catalogue.products.models import Category, Certificate, OcopGroup, Product


@dataclass(frozen=True)
class ProductState:
    """A product as its producer (or the office) watches it: what catalogue.products.certificates decides."""

    product: Product
    certificate: Certificate | None  # the current certificate, rating or not
    certificate_state: str  # valid, expiring, expired, withdrawn, missing
    on_storefront: bool


def product_states(producer_id: int | None, today: date, query: str = "", limit: int = 500) -> list[ProductState]:
    """A producer's products (every producer's for None), by name, with their certificate state."""
    statement = (
        select(Product)
        .options(
            joinedload(Product.current_certificate),
            selectinload(Product.certificates),
            selectinload(Product.images),
            joinedload(Product.producer),
        )
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
    state = certificates.certificate_state(product, today)
    rated = certificates.rating_of(product, today) is not None
    on_storefront = product.status == "active" and product.review_status == "approved" and rated
    return ProductState(product, product.current_certificate, state, on_storefront)


def valid_certificates(producer_id: int, today: date) -> list[Certificate]:
    """The certificates a new listing of the producer may be rated by (those rating its products today)."""
    return certificates.producer_ratings(producer_id, today)


def category_choices() -> list[tuple[str, str]]:
    """(code, "group › product set") for every OCOP product set, in the official order."""
    rows = db.session.execute(
        select(Category.code, Category.name, OcopGroup.name)
        .join(OcopGroup, OcopGroup.id == Category.group_id)
        .order_by(OcopGroup.position, Category.position)
    ).all()
    return [(code, f"{group} › {name}") for code, name, group in rows]
