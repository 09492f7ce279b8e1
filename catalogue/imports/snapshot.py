"""What an import matches rows against, loaded once per run as plain values (5 000 rows, a handful of queries).

Keys are normalised the way search normalises Vietnamese (catalogue.text.search_document), so
"HTX Miến dong Bình Liêu" matches "htx mien dong binh lieu". Rows an import has planned but not
written (a dry run) join the snapshot as `planned` producers and products, so later rows of the same
file see them as the real run would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from catalogue.extensions import db
from catalogue.geography.models import Locality
from catalogue.producers.models import Producer
from catalogue.products.certificates import number_key
from catalogue.products.models import Category, Certificate, Product
from catalogue.text import search_document

# "TP Hạ Long", "Huyện Bình Liêu", "Thị xã Quảng Yên": the kind of unit is not part of its name.
_LOCALITY_PREFIXES = ("thanh pho ", "tp ", "thi xa ", "tx ", "huyen ", "dac khu ", "thi tran ")


def locality_key(text: str) -> str:
    """A locality as compared: folded, without "thành phố/huyện/thị xã" before it."""
    key = search_document(text)
    for prefix in _LOCALITY_PREFIXES:
        if key.startswith(prefix):
            return key[len(prefix) :]
    return key


@dataclass
class Place:
    """A locality as the import needs it."""

    id: int
    name: str
    sku_prefix: str


@dataclass
class Snapshot:
    """Localities, product sets, producers and products by their matching keys."""

    localities: dict[str, Place] = field(default_factory=dict)
    categories: dict[str, tuple[int, str]] = field(default_factory=dict)
    # producer ref: ("id", producer id) for one in the database, ("row", n) for one a dry run would create.
    producers_by_tax: dict[str, tuple] = field(default_factory=dict)
    producers_by_name: dict[tuple[str, int], tuple] = field(default_factory=dict)
    producer_tax: dict[tuple, str | None] = field(default_factory=dict)
    producer_names: dict[tuple, str] = field(default_factory=dict)
    products: dict[tuple[tuple, str], tuple] = field(default_factory=dict)
    # product id → its certificates not withdrawn, as (number key, issue date, stars)
    certificates: dict[int, list[tuple[str, date, int]]] = field(default_factory=dict)
    producer_slugs: set[str] = field(default_factory=set)
    product_slugs: set[str] = field(default_factory=set)
    last_sku: dict[str, int] = field(default_factory=dict)

    def add_producer(self, ref: tuple, name: str, locality_id: int, tax_code: str | None) -> None:
        """Know a producer by its tax code and by its name in its locality."""
        if tax_code:
            self.producers_by_tax[tax_code] = ref
        self.producers_by_name.setdefault((search_document(name), locality_id), ref)
        self.producer_tax[ref] = tax_code
        self.producer_names[ref] = name

    def add_product(self, producer_ref: tuple, name: str, ref: tuple) -> None:
        """Know a product by its name within its producer."""
        self.products.setdefault((producer_ref, search_document(name)), ref)

    def next_sku(self, place: Place) -> str:
        """The next SKU of the locality (QN-BL-0042); a rolled-back row leaves a gap, never a duplicate."""
        number = self.last_sku.get(place.sku_prefix, 0) + 1
        self.last_sku[place.sku_prefix] = number
        return f"QN-{place.sku_prefix}-{number:04d}"


def load_snapshot() -> Snapshot:
    """The catalogue as the import matches against it."""
    snapshot = Snapshot()
    for locality in db.session.scalars(select(Locality)):
        place = Place(locality.id, locality.name, locality.sku_prefix)
        for key in (locality_key(locality.name), locality.code, search_document(locality.code)):
            snapshot.localities[key] = place
    for category_id, code, name in db.session.execute(select(Category.id, Category.code, Category.name)):
        for key in (search_document(name), code, search_document(code)):
            snapshot.categories[key] = (category_id, name)
    for producer_id, name, locality_id, tax_code, slug in db.session.execute(
        select(Producer.id, Producer.name, Producer.locality_id, Producer.tax_code, Producer.slug).order_by(Producer.id)
    ):
        snapshot.add_producer(("id", producer_id), name, locality_id, tax_code)
        snapshot.producer_slugs.add(slug)
    for product_id, producer_id, name, slug in db.session.execute(
        select(Product.id, Product.producer_id, Product.name, Product.slug).order_by(Product.id)
    ):
        snapshot.add_product(("id", producer_id), name, ("id", product_id))
        snapshot.product_slugs.add(slug)
    for product_id, number, issued_on, stars in db.session.execute(
        select(Certificate.product_id, Certificate.certificate_no, Certificate.issued_on, Certificate.stars).where(
            Certificate.withdrawn_at.is_(None)
        )
    ):
        snapshot.certificates.setdefault(product_id, []).append((number_key(number), issued_on, stars))
    for prefix in {place.sku_prefix for place in snapshot.localities.values()}:
        last = db.session.scalar(select(func.max(Product.sku)).where(Product.sku.like(f"QN-{prefix}-%")))
        tail = last.rsplit("-", 1)[1] if last else ""
        snapshot.last_sku[prefix] = int(tail) if tail.isdigit() else 0
    return snapshot
