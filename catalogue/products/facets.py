"""Facet counts for the listing: how many products each filter value would give.

Each facet counts under every active filter except its own, so choosing a value
never hides its siblings (the usual faceted-search behaviour).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import case, func, select

from catalogue.extensions import db
from catalogue.geography.models import Locality
from catalogue.products.models import Category, Certificate, OcopGroup, Product
from catalogue.products.services import ProductQuery, apply_filters, publicly_listed

# (min_price, max_price) in VND, inclusive; None is open-ended.
PRICE_BANDS: tuple[tuple[int | None, int | None], ...] = (
    (None, 99_999),
    (100_000, 299_999),
    (300_000, 999_999),
    (1_000_000, None),
)


@dataclass(frozen=True)
class FacetValue:
    """One choice in a facet: its code, label and count."""

    code: str
    name: str
    count: int


@dataclass(frozen=True)
class Facets:
    """Every facet of the listing."""

    stars: list[FacetValue]
    groups: list[FacetValue]
    categories: list[FacetValue]
    categories_group: str | None
    localities: list[FacetValue]
    price_bands: list[tuple[int | None, int | None, int]]
    in_stock: int


def facet_counts(query: ProductQuery, today: date) -> Facets:
    """Counts per star rating, group, product set, locality, price band and stock."""
    return Facets(
        stars=_stars(query, today),
        groups=_groups(query, today),
        categories=_categories(query, today),
        categories_group=_group_code(query.category),
        localities=_localities(query, today),
        price_bands=_price_bands(query, today),
        in_stock=_in_stock(query, today),
    )


def _counted(query: ProductQuery, today: date, *columns):
    statement, _ = apply_filters(publicly_listed(today, *columns, func.count(Product.id)), query)
    return statement


def _stars(query: ProductQuery, today: date) -> list[FacetValue]:
    statement = _counted(replace(query, stars=()), today, Certificate.stars).group_by(Certificate.stars)
    counts = dict(db.session.execute(statement).all())
    return [FacetValue(str(stars), str(stars), counts.get(stars, 0)) for stars in (5, 4, 3)]


def _groups(query: ProductQuery, today: date) -> list[FacetValue]:
    statement = (
        _counted(replace(query, category=None), today, OcopGroup.code, OcopGroup.name, OcopGroup.position)
        .join(Category, Category.id == Product.category_id)
        .join(OcopGroup, OcopGroup.id == Category.group_id)
        .group_by(OcopGroup.code, OcopGroup.name, OcopGroup.position)
        .order_by(OcopGroup.position)
    )
    return [FacetValue(code, name, count) for code, name, _, count in db.session.execute(statement)]


def _group_code(category: str | None) -> str | None:
    """The group a category filter belongs to (the group itself, or a product set's group)."""
    if not category:
        return None
    return db.session.scalar(
        select(OcopGroup.code)
        .join(Category, Category.group_id == OcopGroup.id, isouter=True)
        .where((OcopGroup.code == category) | (Category.code == category))
        .limit(1)
    )


def _categories(query: ProductQuery, today: date) -> list[FacetValue]:
    """Product sets of the chosen group (or of the chosen set's group); none without a choice."""
    group_code = _group_code(query.category)
    if group_code is None:
        return []
    group_id = db.session.scalar(select(OcopGroup.id).where(OcopGroup.code == group_code))
    statement = (
        _counted(replace(query, category=None), today, Category.code, Category.name, Category.position)
        .join(Category, Category.id == Product.category_id)
        .where(Category.group_id == group_id)
        .group_by(Category.code, Category.name, Category.position)
        .order_by(Category.position)
    )
    return [FacetValue(code, name, count) for code, name, _, count in db.session.execute(statement)]


def _localities(query: ProductQuery, today: date) -> list[FacetValue]:
    statement = (
        _counted(replace(query, locality=None), today, Locality.code, Locality.name, Locality.position)
        .join(Locality, Locality.id == Product.locality_id)
        .group_by(Locality.code, Locality.name, Locality.position)
        .order_by(Locality.position)
    )
    return [FacetValue(code, name, count) for code, name, _, count in db.session.execute(statement)]


def _price_bands(query: ProductQuery, today: date) -> list[tuple[int | None, int | None, int]]:
    def in_band(low: int | None, high: int | None):
        conditions = [Product.price_vnd >= low] if low is not None else []
        conditions += [Product.price_vnd <= high] if high is not None else []
        return func.sum(case((conditions[0] if len(conditions) == 1 else conditions[0] & conditions[1], 1), else_=0))

    statement, _ = apply_filters(
        publicly_listed(today, *(in_band(low, high) for low, high in PRICE_BANDS)),
        replace(query, min_price=None, max_price=None),
    )
    counts = db.session.execute(statement).one()
    return [(low, high, count or 0) for (low, high), count in zip(PRICE_BANDS, counts, strict=True)]


def _in_stock(query: ProductQuery, today: date) -> int:
    statement, _ = apply_filters(
        publicly_listed(today, func.count(Product.id)).where(Product.stock > 0), replace(query, in_stock=None)
    )
    return db.session.scalar(statement) or 0
