"""The catalogue as it stands today: what is on sale by stars, group and locality, what lapses, what is missing.

"On sale" is what shoppers can see: catalogue.products.services.publicly_listed (active, approved
by the office, rated today by catalogue.products.certificates' rule), read in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import exists, func, or_, select

from catalogue.extensions import db
from catalogue.geography.models import Locality
from catalogue.producers.models import Producer
from catalogue.products.models import Category, Certificate, OcopGroup, Product, ProductImage
from catalogue.products.services import publicly_listed
from catalogue.sync.models import MARKETPLACES, MarketplaceListing

LAPSE_WINDOWS = (30, 60, 90)
GAP_LIST_LIMIT = 100


@dataclass(frozen=True)
class CountRow:
    """A key, its label and how many products it has on sale."""

    key: str | int | None
    label: str
    products: int


@dataclass(frozen=True)
class LapsingCertificate:
    """A product rated today whose certificate lapses within 90 days."""

    product_id: int
    product_name: str
    producer_name: str
    stars: int
    certificate_no: str
    expires_on: date
    days_left: int

    @property
    def window(self) -> int:
        """30, 60 or 90: the first window the expiry falls in."""
        return next(days for days in LAPSE_WINDOWS if self.days_left <= days)


@dataclass(frozen=True)
class Coverage:
    """How many products on sale are live on one marketplace."""

    marketplace: str
    live: int
    on_sale: int

    @property
    def share(self) -> float | None:
        return self.live / self.on_sale if self.on_sale else None


def _on_sale(today: date, producer_id: int | None, *columns):
    statement = publicly_listed(today, *columns)
    if producer_id is not None:
        statement = statement.where(Product.producer_id == producer_id)
    return statement


def on_sale_by(grouping: str, today: date, producer_id: int | None = None) -> list[CountRow]:
    """Products on sale today counted by stars, group or locality (every star, group and locality listed)."""
    if grouping == "stars":
        counts = dict(
            db.session.execute(
                _on_sale(today, producer_id, Certificate.stars, func.count(Product.id)).group_by(Certificate.stars)
            ).all()
        )
        return [CountRow(stars, str(stars), counts.get(stars, 0)) for stars in (5, 4, 3)]
    if grouping == "group":
        key = Category.group_id
        counted = (
            _on_sale(today, producer_id, key.label("key"), func.count(Product.id).label("n"))
            .join(Category, Category.id == Product.category_id)
            .group_by(key)
            .subquery()
        )
        rows = db.session.execute(
            select(OcopGroup.code, OcopGroup.name, func.coalesce(counted.c.n, 0))
            .outerjoin(counted, counted.c.key == OcopGroup.id)
            .order_by(OcopGroup.position, OcopGroup.id)
        )
    else:
        counted = (
            _on_sale(today, producer_id, Product.locality_id.label("key"), func.count(Product.id).label("n"))
            .group_by(Product.locality_id)
            .subquery()
        )
        rows = db.session.execute(
            select(Locality.code, Locality.name, func.coalesce(counted.c.n, 0))
            .outerjoin(counted, counted.c.key == Locality.id)
            .order_by(Locality.position, Locality.id)
        )
    listed = [CountRow(code, name, int(count)) for code, name, count in rows]
    # A producer's report lists only the groups and localities it has something in.
    return [row for row in listed if row.products] if producer_id is not None else listed


def on_sale_count(today: date, producer_id: int | None = None) -> int:
    """How many products are on sale today."""
    return db.session.scalar(_on_sale(today, producer_id, func.count(Product.id)).order_by(None)) or 0


def lapsing_certificates(today: date, producer_id: int | None = None) -> list[LapsingCertificate]:
    """Products rated today whose certificate lapses within 90 days, soonest first (archived ones aside)."""
    statement = (
        select(
            Product.id,
            Product.name,
            Producer.name,
            Certificate.stars,
            Certificate.certificate_no,
            Certificate.expires_on,
        )
        .join(Certificate, Certificate.id == Product.current_certificate_id)
        .join(Producer, Producer.id == Product.producer_id)
        .where(
            Product.status != "archived",
            Certificate.withdrawn_at.is_(None),
            Certificate.issued_on <= today,
            Certificate.expires_on >= today,
            Certificate.expires_on <= today + timedelta(days=LAPSE_WINDOWS[-1]),
        )
        .order_by(Certificate.expires_on, Product.id)
    )
    if producer_id is not None:
        statement = statement.where(Product.producer_id == producer_id)
    return [
        LapsingCertificate(pid, name, maker, stars, number, expires, (expires - today).days)
        for pid, name, maker, stars, number, expires in db.session.execute(statement)
    ]


def _gap_conditions() -> dict:
    has_photo = exists().where(ProductImage.product_id == Product.id)
    has_listing = exists().where(MarketplaceListing.product_id == Product.id, MarketplaceListing.status == "live")
    return {
        "photo": ~has_photo,
        "weight": or_(Product.net_weight_g.is_(None), Product.net_weight_g <= 0),
        "marketplace": ~has_listing,
    }


def gaps(today: date, producer_id: int | None = None) -> dict[str, list[tuple[int, str]]]:
    """Products on sale with no photo, no weight, or no live marketplace listing: (id, name), by name."""
    conditions = _gap_conditions()
    found = {}
    for name, condition in conditions.items():
        statement = (
            _on_sale(today, producer_id, Product.id, Product.name)
            .where(condition)
            .order_by(Product.name_sort_key, Product.id)
            .limit(GAP_LIST_LIMIT)
        )
        found[name] = [(pid, title) for pid, title in db.session.execute(statement)]
    return found


def gap_counts(today: date, producer_id: int | None = None) -> dict[str, int]:
    """How many products on sale lack a photo, a weight, a live marketplace listing."""
    conditions = _gap_conditions()
    return {
        name: db.session.scalar(_on_sale(today, producer_id, func.count(Product.id)).where(condition)) or 0
        for name, condition in conditions.items()
    }


def marketplace_coverage(today: date, producer_id: int | None = None) -> list[Coverage]:
    """For each marketplace, how many products on sale are live there (the province's coverage indicator)."""
    on_sale = on_sale_count(today, producer_id)
    live = dict(
        db.session.execute(
            _on_sale(today, producer_id, MarketplaceListing.marketplace, func.count(Product.id))
            .join(MarketplaceListing, MarketplaceListing.product_id == Product.id)
            .where(MarketplaceListing.status == "live")
            .group_by(MarketplaceListing.marketplace)
        ).all()
    )
    return [Coverage(marketplace, int(live.get(marketplace, 0)), on_sale) for marketplace in MARKETPLACES]
