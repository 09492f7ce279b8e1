"""What sold, where and how it was paid: GROUP BY queries over one period's sales, never orders in Python.

What the office counts (decided with the reporting rules in README "Reports"):
- a shop order counts when it was paid and stays paid (`paid`, `shipped`, `delivered`); one cancelled
  before payment, or paid and then refunded (`refund_pending`, `refunded`), is no sale; refunds are
  shown apart;
- revenue is the goods' value (the lines' totals, VND): the shipping fee is the carrier's, not a sale;
- a marketplace sale (Shopee, Lazada) counts once recorded, its lines valued at our price when it was
  recorded (their order feed carries none); a line naming an unknown SKU is no product's sale;
- an order belongs to the Vietnam day (and month) it was placed; a product's stars are those it holds
  today (catalogue.products.certificates decides), not those it held when sold;
- in breakdowns by product, producer, group, locality or stars, an order counts once in each row it
  has a line in, so those rows may add up to more orders than the total.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BigInteger, Integer, String, and_, cast, func, literal, null, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from catalogue.errors import InvalidInput
from catalogue.extensions import db
from catalogue.geography.models import Locality
from catalogue.orders.models import Order, OrderLine
from catalogue.payments.models import METHODS
from catalogue.producers.models import Producer
from catalogue.products.certificates import gettext, rated_stars_sql
from catalogue.products.models import Category, Certificate, OcopGroup, Product
from catalogue.reports.periods import Period
from catalogue.sync.models import MARKETPLACES, MarketplaceSale, MarketplaceSaleLine

SOLD_STATUSES = ("paid", "shipped", "delivered")
REFUNDED_STATUSES = ("refund_pending", "refunded")
CHANNELS = ("shop", *MARKETPLACES)
# Every rail the shop takes is cashless; a cash-on-delivery rail, if one comes, is simply not listed here.
CASHLESS_RAILS = METHODS
GROUPINGS = ("month", "locality", "stars", "group", "channel", "rail", "product", "producer")
TOP_LIMIT = 10


@dataclass(frozen=True)
class SalesRow:
    """One row of a breakdown: its key (a month, an id, a rail…), its label, orders, units and revenue."""

    key: str | int | None
    label: str
    orders: int
    units: int
    revenue_vnd: int


class vn_month(FunctionElement):  # noqa: N801 - named as the SQL it renders
    """`YYYY-MM` of a stored UTC moment, in Vietnam's time (UTC+7 all year: no daylight saving)."""

    type = String()
    name = "vn_month"
    inherit_cache = True


@compiles(vn_month, "sqlite")
def _vn_month_sqlite(element, compiler, **kw) -> str:
    return f"strftime('%Y-%m', {compiler.process(element.clauses, **kw)}, '+7 hours')"


@compiles(vn_month)
def _vn_month_elsewhere(element, compiler, **kw) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)} AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY-MM')"


def sale_facts(period: Period, producer_id: int | None = None, materialized: bool = False):
    """Every sold line of the period, shop and marketplaces, as one subquery (nothing is loaded).

    An order's key is its id for the shop and minus the sale's id for a marketplace, so
    COUNT(DISTINCT order_key) counts orders across both.
    """
    shop = (
        select(
            OrderLine.product_id.label("product_id"),
            OrderLine.producer_id.label("producer_id"),
            cast(literal("shop"), String).label("channel"),
            Order.payment_method.label("rail"),
            Order.id.label("order_key"),
            OrderLine.quantity.label("units"),
            OrderLine.line_total_vnd.label("revenue_vnd"),
            Order.created_at.label("at"),
        )
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            Order.created_at >= period.starts_at,
            Order.created_at < period.ends_before,
            Order.status.in_(SOLD_STATUSES),
        )
    )
    marketplace = (
        select(
            MarketplaceSaleLine.product_id,
            Product.producer_id,
            MarketplaceSale.marketplace,
            cast(null(), String),
            -MarketplaceSale.id,
            MarketplaceSaleLine.quantity,
            cast(MarketplaceSaleLine.quantity * func.coalesce(MarketplaceSaleLine.unit_price_vnd, 0), BigInteger),
            MarketplaceSale.created_at,
        )
        .join(MarketplaceSale, MarketplaceSale.id == MarketplaceSaleLine.sale_id)
        .join(Product, Product.id == MarketplaceSaleLine.product_id)
        .where(MarketplaceSale.created_at >= period.starts_at, MarketplaceSale.created_at < period.ends_before)
    )
    if producer_id is not None:
        shop = shop.where(OrderLine.producer_id == producer_id)
        marketplace = marketplace.where(Product.producer_id == producer_id)
    both = union_all(shop, marketplace)
    # Read once, grouped many times (the overview): both databases honour MATERIALIZED (SQLite 3.35+, PostgreSQL 12+).
    return both.cte("facts").prefix_with("MATERIALIZED") if materialized else both.subquery("facts")


ORDER_LEVEL = ("month", "channel", "rail")  # each order has exactly one of each: its cells add up exactly


def sales_cells(period: Period, producer_id: int | None = None) -> list[tuple]:
    """(month, channel, rail, orders, units, revenue) of the period: one scan serves totals, months, channels, rails."""
    facts = sale_facts(period, producer_id)
    month = vn_month(facts.c.at)
    statement = select(
        month,
        facts.c.channel,
        facts.c.rail,
        func.count(func.distinct(facts.c.order_key)),
        cast(func.coalesce(func.sum(facts.c.units), 0), Integer),
        cast(func.coalesce(func.sum(facts.c.revenue_vnd), 0), BigInteger),
    ).group_by(month, facts.c.channel, facts.c.rail)
    return [tuple(row) for row in db.session.execute(statement)]


def from_cells(grouping: str, cells: list[tuple], period: Period) -> list[SalesRow]:
    """The month, channel or rail breakdown added up from `sales_cells` (an order sits in one cell only)."""
    index = ORDER_LEVEL.index(grouping)
    summed: dict = {}
    for cell in cells:
        orders, units, revenue = summed.get(cell[index], (0, 0, 0))
        summed[cell[index]] = (orders + cell[3], units + cell[4], revenue + cell[5])
    rows = {key: SalesRow(key, str(key) if key else "", *values) for key, values in summed.items()}
    return _ordered(grouping, rows, period)


def totals_from(cells: list[tuple]) -> SalesRow:
    """The period's orders, units and revenue added up from `sales_cells`."""
    return SalesRow(None, "", sum(cell[3] for cell in cells), sum(cell[4] for cell in cells),
                    sum(cell[5] for cell in cells))  # fmt: skip


def sales_by(grouping: str, period: Period, today, producer_id: int | None = None) -> list[SalesRow]:
    """The period's orders, units and revenue grouped by `grouping` (one of GROUPINGS), for one producer or all."""
    if grouping not in GROUPINGS:
        message = gettext("Không có cách nhóm “%(name)s”.", name=grouping)
        raise InvalidInput(message, {"group_by": [message]})
    if grouping in ORDER_LEVEL:
        return from_cells(grouping, sales_cells(period, producer_id), period)
    facts = sale_facts(period, producer_id)
    key, label, joined = _dimension(grouping, facts, today)
    statement = joined(
        select(
            key.label("key"),
            label.label("label"),
            func.count(func.distinct(facts.c.order_key)).label("orders"),
            cast(func.coalesce(func.sum(facts.c.units), 0), Integer).label("units"),
            cast(func.coalesce(func.sum(facts.c.revenue_vnd), 0), BigInteger).label("revenue_vnd"),
        ).select_from(facts)
    ).group_by(key, label)
    if grouping in ("product", "producer"):
        statement = statement.order_by(func.sum(facts.c.revenue_vnd).desc(), key).limit(TOP_LIMIT)
    rows = {row.key: row for row in db.session.execute(statement)}
    return _ordered(grouping, rows, period)


OVERVIEW = ("cells", "locality", "stars", "group", "product", "producer")


def sales_overview(period: Period, today, producer_id: int | None = None) -> dict[str, list]:
    """Every breakdown of the period in one statement: the sold lines are read once, then grouped six ways.

    Returns {"cells": sales_cells' tuples, grouping: [SalesRow]} for locality, stars, group,
    product and producer (product and producer: the TOP_LIMIT best by revenue).
    """
    facts = sale_facts(period, producer_id, materialized=True)
    month = vn_month(facts.c.at)
    parts = [
        select(
            literal("cells").label("grouping"),
            month.label("key"),
            (func.coalesce(facts.c.channel, "") + "|" + func.coalesce(facts.c.rail, "")).label("label"),
            *_measures(facts),
        ).group_by(month, facts.c.channel, facts.c.rail)
    ]
    for grouping in OVERVIEW[1:]:
        key, label, joined = _dimension(grouping, facts, today)
        selected = select(
            literal(grouping).label("grouping"), cast(key, String), cast(label, String), *_measures(facts)
        )
        parts.append(joined(selected.select_from(facts)).group_by(key, label))
    found: dict[str, list] = {grouping: [] for grouping in OVERVIEW}
    for row in db.session.execute(union_all(*parts)):
        found[row[0]].append(row)
    overview: dict[str, list] = {
        "cells": [
            (row[1], *(part or None for part in row[2].split("|")), int(row[3]), int(row[4]), int(row[5]))
            for row in found["cells"]
        ]
    }
    for grouping in OVERVIEW[1:]:
        rows = {_key(grouping, row[1]): SalesRow(_key(grouping, row[1]), row[2] or "", *map(int, row[3:]))
                for row in found[grouping]}  # fmt: skip
        if grouping in ("product", "producer"):
            best = sorted(rows.values(), key=lambda row: (-row.revenue_vnd, row.key))[:TOP_LIMIT]
            rows = {row.key: row for row in best}
        overview[grouping] = _ordered(grouping, rows, period)
    return overview


def _measures(facts) -> list:
    return [
        func.count(func.distinct(facts.c.order_key)),
        cast(func.coalesce(func.sum(facts.c.units), 0), Integer),
        cast(func.coalesce(func.sum(facts.c.revenue_vnd), 0), BigInteger),
    ]


def _key(grouping: str, key: str | None):
    """A key as sales_by returns it: ids and stars as numbers, codes as text."""
    if key is None:
        return None
    return int(key) if grouping in ("product", "producer", "stars") else key


def _dimension(grouping: str, facts, today):
    """(key, label, how to join) of one grouping; labels come from SQL so no row is looked up one by one."""
    if grouping == "product":
        return facts.c.product_id, Product.name, lambda s: s.join(Product, Product.id == facts.c.product_id)
    if grouping == "producer":
        return facts.c.producer_id, Producer.name, lambda s: s.join(Producer, Producer.id == facts.c.producer_id)
    if grouping == "locality":
        return (
            Locality.code,
            Locality.name,
            lambda s: s.join(Product, Product.id == facts.c.product_id).join(
                Locality, Locality.id == Product.locality_id
            ),
        )
    if grouping == "group":
        return (
            OcopGroup.code,
            OcopGroup.name,
            lambda s: (
                s.join(Product, Product.id == facts.c.product_id)
                .join(Category, Category.id == Product.category_id)
                .join(OcopGroup, OcopGroup.id == Category.group_id)
            ),
        )
    stars = rated_stars_sql(Certificate, today)
    return (
        stars,
        cast(stars, String),
        lambda s: s.join(Product, Product.id == facts.c.product_id).outerjoin(
            Certificate, Certificate.id == Product.current_certificate_id
        ),
    )


def _ordered(grouping: str, rows: dict, period: Period) -> list[SalesRow]:
    """Rows in the order a reader expects; months, channels and stars listed even when nothing sold."""

    def made(key, label=None) -> SalesRow:
        row = rows.get(key)
        shown = label if label is not None else (row.label if row is not None else str(key))
        if row is None:
            return SalesRow(key, shown, 0, 0, 0)
        return SalesRow(key, shown, int(row.orders), int(row.units), int(row.revenue_vnd))

    if grouping == "month":
        return [made(month, month) for month in period.months]
    if grouping == "channel":
        return [made(channel, channel) for channel in CHANNELS]
    if grouping == "stars":
        keyed = {int(key) if key is not None else None: row for key, row in rows.items()}
        rows.clear()
        rows.update(keyed)
        return [made(stars, str(stars) if stars else "") for stars in (5, 4, 3, None)]
    if grouping == "rail":
        known = [made(rail, rail) for rail in METHODS]
        others = [made(key, key or "") for key in rows if key not in METHODS]
        return known + others
    listed = [made(key) for key in rows]
    if grouping in ("locality", "group"):
        listed.sort(key=lambda row: (-row.revenue_vnd, row.label))
    return listed


def totals(period: Period, producer_id: int | None = None) -> SalesRow:
    """The period's orders, units and revenue, all channels together."""
    return totals_from(sales_cells(period, producer_id))


def refunded(period: Period, producer_id: int | None = None) -> SalesRow:
    """Shop orders of the period paid and then refunded (or being refunded): shown apart, never as sales."""
    statement = (
        select(
            func.count(func.distinct(Order.id)),
            func.coalesce(func.sum(OrderLine.quantity), 0),
            func.coalesce(func.sum(OrderLine.line_total_vnd), 0),
        )
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            Order.created_at >= period.starts_at,
            Order.created_at < period.ends_before,
            Order.status.in_(REFUNDED_STATUSES),
        )
    )
    if producer_id is not None:
        statement = statement.where(OrderLine.producer_id == producer_id)
    row = db.session.execute(statement).one()
    return SalesRow(None, "", int(row[0]), int(row[1]), int(row[2]))


def producers_without_sales(period: Period) -> list[Producer]:
    """Producers with a product on the shop who sold nothing in the period, on any channel, by name."""
    facts = sale_facts(period)
    sold = select(facts.c.producer_id)
    with_products = select(Product.producer_id).where(Product.status == "active")
    return list(
        db.session.scalars(
            select(Producer)
            .where(and_(Producer.id.in_(with_products), Producer.id.not_in(sold)))
            .order_by(Producer.name_sort_key)
        )
    )
