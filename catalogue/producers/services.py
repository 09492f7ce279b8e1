"""Reading producers with their public product counts."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from catalogue.errors import NotFound
from catalogue.extensions import db
from catalogue.geography.services import locality_id
from catalogue.ids import parse_id
from catalogue.producers.models import Producer
from catalogue.products.models import Product
from catalogue.products.services import Page, listed_counts


def list_producers(today: date, locality: str | None, page: int, per_page: int) -> Page[tuple[Producer, int]]:
    """Producers in Vietnamese name order, each with its number of listed products."""
    counts = listed_counts(today, Product.producer_id)
    statement = select(Producer, func.coalesce(counts.c.product_count, 0)).outerjoin(
        counts, counts.c.key == Producer.id
    )
    if locality:
        statement = statement.where(Producer.locality_id == locality_id(locality))
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    rows = db.session.execute(
        statement.options(joinedload(Producer.locality))
        .order_by(Producer.name_sort_key, Producer.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page(items=[(producer, count) for producer, count in rows], total=total or 0, page=page, per_page=per_page)


def get_producer(slug_or_id: str, today: date) -> tuple[Producer, int]:
    """One producer by id or slug, with its number of listed products."""
    counts = listed_counts(today, Product.producer_id)
    condition = Producer.slug == slug_or_id
    if (producer_id := parse_id(slug_or_id)) is not None:
        condition = Producer.id == producer_id
    row = db.session.execute(
        select(Producer, func.coalesce(counts.c.product_count, 0))
        .outerjoin(counts, counts.c.key == Producer.id)
        .options(joinedload(Producer.locality))
        .where(condition)
    ).first()
    if row is None:
        raise NotFound(f"No producer '{slug_or_id}'.")
    return row[0], row[1]
