"""Reading the public catalogue: filters, search, sort and pagination."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Generic, TypeVar

from sqlalchemy import Boolean, Select, false, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import contains_eager, joinedload
from sqlalchemy.sql.functions import FunctionElement

from catalogue.accounts.principal import Principal
from catalogue.errors import InvalidInput, NotFound, PermissionDenied
from catalogue.extensions import db
from catalogue.geography.models import Locality
from catalogue.geography.services import locality_id
from catalogue.ids import parse_id
from catalogue.producers.models import Producer
from catalogue.products import search
from catalogue.products.models import Category, Certificate, OcopGroup, Product
from catalogue.text import search_document, search_words, sort_key

SORTS = ("relevance", "price", "-price", "name", "newest", "-stars")
T = TypeVar("T")


@dataclass(frozen=True)
class ProductQuery:
    """What a shopper or client asks of the catalogue (already type-checked)."""

    q: str | None = None
    stars: tuple[int, ...] = ()
    category: str | None = None
    locality: str | None = None
    producer: str | None = None
    min_price: int | None = None
    max_price: int | None = None
    in_stock: bool | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20

    @classmethod
    def from_arguments(cls, arguments: Mapping) -> ProductQuery:
        """From validated request arguments: other keys ignored, stars deduplicated and sorted."""
        known = {name: value for name, value in arguments.items() if name in PRODUCT_QUERY_FIELDS}
        if "stars" in known:
            known["stars"] = tuple(sorted(set(known["stars"])))
        return cls(**known)


PRODUCT_QUERY_FIELDS = frozenset(item.name for item in fields(ProductQuery))


@dataclass
class Page(Generic[T]):
    """One page of results and the total across all pages."""

    items: Sequence[T]
    total: int
    page: int
    per_page: int
    extra: dict = field(default_factory=dict)


def refresh_derived_fields(product: Product) -> None:
    """Recompute search and sort fields after name, description or relations change."""
    product.search_name = search_document(product.name)
    product.search_text = search_document(
        product.name,
        product.producer.name if product.producer else None,
        product.locality.name if product.locality else None,
        product.category.name if product.category else None,
        product.description,
    )
    product.name_sort_key = sort_key(product.name)


def publicly_listed(today: date, *columns) -> Select:
    """Products a shopper may see: approved by the office, active and rated by a certificate valid today."""
    return (
        select(*(columns or (Product,)))
        .select_from(Product)
        .join(Product.current_certificate)
        .where(
            Product.status == "active",
            Product.review_status == "approved",
            likely(Certificate.issued_on <= today),
            likely(Certificate.expires_on >= today),
        )
    )


class likely(FunctionElement):  # noqa: N801 - named as the SQL it renders
    """A condition nearly every row meets; SQLite's planner is told so, others see it plain.

    Almost every current certificate is valid today, but SQLite cannot know it (its
    statistics hold no value distribution) and started joins from the certificates'
    expiry index: 100 000 random row reads before the first product. Under `likely()`
    the date test cannot drive an index, so joins start from the products, the side
    the filters and sorts are on (at 100 000 products: 17 ms to count instead of 190).
    """

    type = Boolean()
    name = "likely"
    inherit_cache = True


@compiles(likely)
def _likely_elsewhere(element, compiler, **kw) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(likely, "sqlite")
def _likely_on_sqlite(element, compiler, **kw) -> str:
    return f"likely({compiler.process(element.clauses, **kw)})"


def listed_counts(today: date, key):
    """Subquery (key, product_count) of publicly listed products grouped by `key`."""
    return (
        publicly_listed(today, key.label("key"), func.count(Product.id).label("product_count")).group_by(key).subquery()
    )


def list_categories(today: date) -> list[tuple[Category, int]]:
    """Every OCOP product set with its group and how many products it lists."""
    counts = listed_counts(today, Product.category_id)
    rows = db.session.execute(
        select(Category, func.coalesce(counts.c.product_count, 0))
        .join(Category.group)
        .outerjoin(counts, counts.c.key == Category.id)
        .options(contains_eager(Category.group))
        .order_by(OcopGroup.position, Category.position)
    ).all()
    return [(category, count) for category, count in rows]


def list_localities(today: date) -> list[tuple[Locality, int]]:
    """The 13 localities with how many products come from each."""
    counts = listed_counts(today, Product.locality_id)
    rows = db.session.execute(
        select(Locality, func.coalesce(counts.c.product_count, 0))
        .outerjoin(counts, counts.c.key == Locality.id)
        .order_by(Locality.position)
    ).all()
    return [(locality, count) for locality, count in rows]


def list_products(query: ProductQuery, today: date) -> Page[Product]:
    """Filter, search, sort and paginate the public catalogue.

    Three statements whatever the page size: the count, the ids of the page, then
    those products with everything they show. Sorting only narrow rows (an id and its
    sort keys) keeps the sort cheap at 100 000 products, where sorting the fully
    joined rows needed a temporary b-tree as wide as the whole answer.
    """
    page = list_product_ids(query, today)
    return Page(items=_in_order(page.items, today), total=page.total, page=page.page, per_page=page.per_page)


def list_product_ids(query: ProductQuery, today: date) -> Page[int]:
    """`list_products` with only the ids of the page (the count and one narrow statement)."""
    _check_price_range(query)
    total, page_ids = _count_and_page(publicly_listed(today, Product.id), query)
    return Page(items=page_ids, total=total or 0, page=query.page, per_page=query.per_page)


def office_catalogue(q: str, page: int, per_page: int) -> Page[Product]:
    """Every product whatever its status or review, for the OCOP office: the shop's search, or an exact SKU."""
    statement, q = select(Product.id), q.strip()
    words = search_words(q)[: search.MAX_QUERY_WORDS] if q else []
    if words:
        dialect = db.session.get_bind().dialect.name
        statement = statement.where(or_(search.matches(dialect, words), Product.sku == q.upper()))
    elif q:  # nothing searchable (punctuation only, "%"): only an exact SKU could match
        statement = statement.where(Product.sku == q.upper())
    total = db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    by_name = [Product.name_sort_key, Product.id]
    ordering = [search.relevance(words), *by_name] if words else by_name
    page_ids = db.session.scalars(statement.order_by(*ordering).limit(per_page).offset((page - 1) * per_page)).all()
    by_id = {
        product.id: product
        for product in db.session.scalars(
            select(Product)
            .where(Product.id.in_(page_ids))
            .options(joinedload(Product.current_certificate), joinedload(Product.producer))
        )
    }
    return Page(items=[by_id[product_id] for product_id in page_ids], total=total, page=page, per_page=per_page)


def _in_order(product_ids: list[int], today: date) -> list[Product]:
    """The listed products among `product_ids`, with their details, in the order given."""
    by_id = products_by_ids(product_ids, today)
    return [by_id[product_id] for product_id in product_ids if product_id in by_id]


def owned_by(principal: Principal, *columns) -> Select:
    """Products in every status that `principal` answers for: its producer's, or all of them for the office."""
    statement = select(*(columns or (Product,))).select_from(Product).outerjoin(Product.current_certificate)
    if principal.is_admin:
        return statement
    if principal.producer_id is None:
        raise PermissionDenied("Only a producer's token (or the OCOP office's) has products of its own.")
    return statement.where(Product.producer_id == principal.producer_id)


def _count_and_page(ids: Select, query: ProductQuery) -> tuple[int, list[int]]:
    """How many products match `query` among `ids`, and the ids of the page asked for, in its order."""
    statement, words = apply_filters(ids, query)
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    page_ids = db.session.scalars(
        statement.order_by(*_ordering(query.sort, words))
        .limit(query.per_page)
        .offset((query.page - 1) * query.per_page)
    ).all()
    return total or 0, list(page_ids)


def list_own_products(principal: Principal, query: ProductQuery) -> Page[Product]:
    """The caller's own products in every status (drafts, off sale, archived), with the same filters and sort."""
    _check_price_range(query)
    total, page_ids = _count_and_page(owned_by(principal, Product.id), query)
    details = _with_details(owned_by(principal).where(Product.id.in_(page_ids)))
    by_id = {product.id: product for product in db.session.scalars(details).unique()} if page_ids else {}
    items = [by_id[product_id] for product_id in page_ids]
    return Page(items=items, total=total or 0, page=query.page, per_page=query.per_page)


def get_own_product(principal: Principal, product_id: int) -> Product:
    """One of the caller's own products in any status; NotFound for anyone else's (never confirm it exists)."""
    if not (principal.is_admin or principal.producer_id is not None):
        raise NotFound(f"No product with id {product_id} is on sale.")
    product = db.session.scalars(_with_details(owned_by(principal).where(Product.id == product_id))).unique().first()
    if product is None:
        raise NotFound(f"No product with id {product_id} is on sale.")
    return product


def get_product(product_id: int, today: date) -> Product:
    """One publicly listed product, or NotFound."""
    statement = publicly_listed(today).where(Product.id == product_id)
    product = db.session.scalars(_with_details(statement)).unique().one_or_none()
    if product is None:
        raise NotFound(f"No product with id {product_id} is on sale.")
    return product


def get_product_by_slug(slug: str, today: date) -> Product:
    """One publicly listed product by its slug, or NotFound."""
    statement = publicly_listed(today).where(Product.slug == slug)
    product = db.session.scalars(_with_details(statement)).unique().one_or_none()
    if product is None:
        raise NotFound(f"No product '{slug}' is on sale.")
    return product


def related_products(product: Product, today: date, limit: int = 4) -> list[Product]:
    """Other products of the same product set, best rated first.

    The ids first, from narrow rows (a product set holds ~5 000 products at 100 000: sorting
    them fully joined was most of a product page's time), then those few with their details.
    """
    statement = (
        publicly_listed(today, Product.id)
        .where(Product.category_id == product.category_id, Product.id != product.id)
        .order_by(Certificate.stars.desc(), Product.name_sort_key, Product.id)
        .limit(limit)
    )
    return _in_order(list(db.session.scalars(statement)), today)


def products_by_ids(product_ids: list[int], today: date) -> dict[int, Product]:
    """Publicly listed products among `product_ids`, by id (missing ones are simply absent)."""
    if not product_ids:
        return {}
    statement = publicly_listed(today).where(Product.id.in_(product_ids))
    return {product.id: product for product in db.session.scalars(_with_details(statement)).unique()}


def products_for_sale(product_ids: list[int], today: date) -> dict[int, Product]:
    """Publicly listed products among `product_ids`, by id, with their certificate and producer only.

    What an order's lines, parcels and fees read (name, SKU, unit, price, weight, stock; the producer's
    name, slug and pickup ward): one narrow join instead of products_by_ids' answer-wide one (locality,
    product set, group, images), which checkout never shows.
    """
    if not product_ids:
        return {}
    statement = (
        publicly_listed(today)
        .where(Product.id.in_(product_ids))
        .options(contains_eager(Product.current_certificate), joinedload(Product.producer))
    )
    return {product.id: product for product in db.session.scalars(statement)}


def _with_details(statement: Select) -> Select:
    """Load everything a product answer shows in a constant number of statements."""
    return statement.options(
        contains_eager(Product.current_certificate),
        joinedload(Product.producer),
        joinedload(Product.locality),
        joinedload(Product.category).joinedload(Category.group),
        # Joined rather than a second SELECT: most products have one image, and the
        # response cache's revision lookup leaves room for only one more statement.
        joinedload(Product.images),
    )


def _check_price_range(query: ProductQuery) -> None:
    if query.min_price is not None and query.max_price is not None and query.min_price > query.max_price:
        raise InvalidInput(
            "min_price is greater than max_price.",
            {"min_price": ["Must not be greater than max_price."]},
        )


def apply_filters(statement: Select, query: ProductQuery) -> tuple[Select, list[str]]:
    """Add the query's search and filters to `statement`; returns the search words too."""
    words: list[str] = []
    if query.q and query.q.strip():
        words = search_words(query.q)[: search.MAX_QUERY_WORDS]
        if words:
            dialect = db.session.get_bind().dialect.name
            statement = statement.where(search.matches(dialect, words))
        else:  # nothing searchable ("🍜", "?!"): no product matches it, rather than all of them (issue 23)
            statement = statement.where(false())
    if query.stars:
        statement = statement.where(Certificate.stars.in_(query.stars))
    if query.category:
        statement = statement.where(Product.category_id.in_(_category_ids(query.category)))
    if query.locality:
        statement = statement.where(Product.locality_id == locality_id(query.locality))
    if query.producer:
        statement = statement.where(Product.producer_id == _producer_id(query.producer))
    if query.min_price is not None:
        statement = statement.where(Product.price_vnd >= query.min_price)
    if query.max_price is not None:
        statement = statement.where(Product.price_vnd <= query.max_price)
    if query.in_stock is True:
        statement = statement.where(Product.stock > 0)
    elif query.in_stock is False:
        statement = statement.where(Product.stock == 0)
    return statement, words


def _ordering(sort: str, words: list[str]) -> list:
    by_name = [Product.name_sort_key, Product.id]
    orderings = {
        "price": [Product.price_vnd, *by_name],
        "-price": [Product.price_vnd.desc(), *by_name],
        "name": by_name,
        "newest": [Product.created_at.desc(), Product.id.desc()],
        "-stars": [Certificate.stars.desc(), *by_name],
    }
    if sort == "relevance":
        featured = [Certificate.stars.desc(), *by_name]
        return [search.relevance(words), *featured] if words else featured
    return orderings[sort]


def _category_ids(code: str) -> list[int]:
    """A product-set code, or a group code meaning every set in that group."""
    ids = db.session.scalars(
        select(Category.id).join(Category.group).where(or_(Category.code == code, OcopGroup.code == code))
    ).all()
    if not ids:
        raise InvalidInput(f"There is no category '{code}'.", {"category": [f"Unknown category '{code}'."]})
    return list(ids)


def _producer_id(slug_or_id: str) -> int:
    condition = Producer.slug == slug_or_id
    if (producer_id := parse_id(slug_or_id)) is not None:
        condition = or_(condition, Producer.id == producer_id)
    producer_id = db.session.scalar(select(Producer.id).where(condition).limit(1))
    if producer_id is None:
        raise InvalidInput(f"There is no producer '{slug_or_id}'.", {"producer": [f"Unknown producer '{slug_or_id}'."]})
    return producer_id
