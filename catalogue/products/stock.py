"""Stock moves: atomic, conditional, never below zero, on SQLite and PostgreSQL alike.

Taking stock is one `UPDATE … SET stock = stock - n WHERE id = … AND stock >= n`:
the database serialises concurrent writers, so two buyers can never both take the
last unit. Every move bumps the product's version and stamps it with the next
catalogue sequence number (a Core UPDATE bypasses the ORM's flush events, so it
takes the number itself; on PostgreSQL that is a `nextval` inside the UPDATE, so the
product's row is the only lock a sale queues on: see catalogue.products.revision).
Only a move to or from zero moves the revision that
cached answers are keyed by (`mark_shown`: it changes lists, facet counts and the
"sold out" badge); any other move is found by the answers that show the stock
through the product's version (catalogue.caching).
"""

from __future__ import annotations

from sqlalchemy import update

from catalogue.extensions import db
from catalogue.models_base import utcnow
from catalogue.products.models import Product
from catalogue.products.revision import change_number, mark_shown


def take_stock(product_id: int, quantity: int) -> bool:
    """Remove `quantity` units if that many are there; False (and no change) otherwise."""
    result = db.session.execute(
        update(Product)
        .where(Product.id == product_id, Product.stock >= quantity)
        .values(
            stock=Product.stock - quantity,
            version=Product.version + 1,
            updated_at=utcnow(),
            change_seq=change_number(),
        )
        .returning(Product.stock)
        .execution_options(synchronize_session="fetch")
    )
    left = result.scalar_one_or_none()
    if left == 0:
        mark_shown()
    return left is not None


def return_stock(product_id: int, quantity: int) -> None:
    """Put `quantity` units back (a reservation released, an order refunded)."""
    after = db.session.execute(
        update(Product)
        .where(Product.id == product_id)
        .values(
            stock=Product.stock + quantity,
            version=Product.version + 1,
            updated_at=utcnow(),
            change_seq=change_number(),
        )
        .returning(Product.stock)
        .execution_options(synchronize_session="fetch")
    ).scalar_one_or_none()
    if after is not None and after == quantity:  # it was sold out
        mark_shown()
