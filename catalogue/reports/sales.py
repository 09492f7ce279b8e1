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
- by product an order counts once in each row it has a line in; by producer, group, locality and
  stars once per product of that row it holds (the rollup keeps orders per product), so those rows
  may add up to more orders than the total. Units and revenue add up exactly everywhere.

Figures are read from the daily rollup (catalogue.reports.models, kept by catalogue.reports.rollup),
so a year costs a few thousand rows, not every order line.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BigInteger, Integer, String, case, cast, exists, func, literal, null, select, text, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement

from catalogue.errors import InvalidInput
from catalogue.extensions import db
from catalogue.geography.models import Locality
from catalogue.orders.models import Order, OrderLine
from catalogue.payments.registry import NAMES as METHODS
from catalogue.producers.models import Producer
from catalogue.products.certificates import gettext, rated_stars_sql
from catalogue.products.models import Category, Certificate, OcopGroup, Product
from catalogue.reports.models import PROVINCE, SalesDay, SalesDayProduct
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


class month_of(FunctionElement):  # noqa: N801 - named as the SQL it renders
    """`YYYY-MM` of a date."""

    type = String()
    name = "month_of"
    inherit_cache = True


@compiles(month_of, "sqlite")
def _month_of_sqlite(element, compiler, **kw) -> str:
    return f"strftime('%Y-%m', {compiler.process(element.clauses, **kw)})"


@compiles(month_of)
def _month_of_elsewhere(element, compiler, **kw) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM')"


def _invoice_flags():
    """(this line's producer has invoiced the order, every producer on the order has), as 1/0 columns."""
    from catalogue.invoices.models import Invoice

    def issued(line):
        return (
            exists()
            .where(Invoice.order_id == Order.id, Invoice.producer_id == line.producer_id, Invoice.kind == "original")
            .correlate(Order, line)
        )

    other = aliased(OrderLine)
    whole = ~exists().where(other.order_id == Order.id, ~issued(other)).correlate(Order)
    return (
        case((issued(OrderLine), 1), else_=0).label("line_invoiced"),
        case((whole, 1), else_=0).label("order_invoiced"),
    )


def sale_facts(period: Period, producer_id: int | None = None):
    """Every sold line of the period, shop and marketplaces, as one subquery: what the rollup is rebuilt from.

    An order's key is its id for the shop and minus the sale's id for a marketplace, so
    COUNT(DISTINCT order_key) counts orders across both. The invoice flags are the shop's
    only: the marketplaces invoice their own buyers.
    """
    shop = (
        select(
            OrderLine.product_id.label("product_id"),
            OrderLine.producer_id.label("producer_id"),
            cast(literal("shop"), String).label("channel"),
            func.coalesce(Order.settled_by, Order.payment_method).label("rail"),  # the rail that paid it
            Order.id.label("order_key"),
            OrderLine.quantity.label("units"),
            OrderLine.line_total_vnd.label("revenue_vnd"),
            Order.created_at.label("at"),
            *_invoice_flags(),
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
            literal(0),
            literal(0),
        )
        .join(MarketplaceSale, MarketplaceSale.id == MarketplaceSaleLine.sale_id)
        .join(Product, Product.id == MarketplaceSaleLine.product_id)
        .where(
            MarketplaceSale.created_at >= period.starts_at,
            MarketplaceSale.created_at < period.ends_before,
            MarketplaceSale.cancelled_at.is_(None),  # cancelled on the marketplace: its stock came back, no sale
        )
    )
    if producer_id is not None:
        shop = shop.where(OrderLine.producer_id == producer_id)
        marketplace = marketplace.where(Product.producer_id == producer_id)
    return union_all(shop, marketplace).subquery("facts")


ORDER_LEVEL = ("month", "channel", "rail")  # each order has exactly one of each: its cells add up exactly
BY_PRODUCT = ("locality", "stars", "group", "product", "producer")


def _in(period: Period, model):
    return model.day.between(period.first, period.last)


def sales_cells(period: Period, producer_id: int | None = None) -> list[tuple]:
    """(month, channel, rail, orders, units, revenue) of the period, from the daily rollup."""
    month = month_of(SalesDay.day)
    statement = (
        select(
            month,
            SalesDay.channel,
            SalesDay.rail,
            cast(func.sum(SalesDay.orders), Integer),
            cast(func.sum(SalesDay.units), Integer),
            cast(func.sum(SalesDay.revenue_vnd), BigInteger),
        )
        .where(_in(period, SalesDay), SalesDay.producer_id == (producer_id or PROVINCE))
        .group_by(month, SalesDay.channel, SalesDay.rail)
    )
    return [(m, channel, rail or None, *map(int, rest)) for m, channel, rail, *rest in db.session.execute(statement)]


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


def product_sales(period: Period, today, producer_id: int | None = None) -> list[dict]:
    """Each product sold in the period with its orders, units, revenue and what it is grouped by (stars today)."""
    summed = (
        select(
            SalesDayProduct.product_id.label("product_id"),
            func.max(SalesDayProduct.producer_id).label("producer_id"),
            func.sum(SalesDayProduct.orders).label("orders"),
            func.sum(SalesDayProduct.units).label("units"),
            func.sum(SalesDayProduct.revenue_vnd).label("revenue_vnd"),
        )
        .where(_in(period, SalesDayProduct))
        .group_by(SalesDayProduct.product_id)
    )
    if producer_id is not None:
        summed = summed.where(SalesDayProduct.producer_id == producer_id)
    summed = summed.subquery()
    statement = (
        select(
            summed,
            Product.name,
            Producer.name.label("producer_name"),
            Locality.code.label("locality"),
            Locality.name.label("locality_name"),
            OcopGroup.code.label("group"),
            OcopGroup.name.label("group_name"),
            rated_stars_sql(Certificate, today).label("stars"),
        )
        .join(Product, Product.id == summed.c.product_id)
        .join(Producer, Producer.id == summed.c.producer_id)
        .join(Locality, Locality.id == Product.locality_id)
        .join(Category, Category.id == Product.category_id)
        .join(OcopGroup, OcopGroup.id == Category.group_id)
        .outerjoin(Certificate, Certificate.id == Product.current_certificate_id)
    )
    return [dict(row._mapping) for row in db.session.execute(statement)]


def by_product_attribute(grouping: str, products: list[dict], period: Period) -> list[SalesRow]:
    """Locality, stars, group, product or producer rows added up from `product_sales` (one row per product)."""
    key_of = {"locality": ("locality", "locality_name"), "stars": ("stars", "stars"), "group": ("group", "group_name"),
              "product": ("product_id", "name"), "producer": ("producer_id", "producer_name")}[grouping]  # fmt: skip
    summed: dict = {}
    for product in products:
        key, label = product[key_of[0]], product[key_of[1]]
        orders, units, revenue, _ = summed.get(key, (0, 0, 0, label))
        summed[key] = (orders + int(product["orders"]), units + int(product["units"]),
                       revenue + int(product["revenue_vnd"]), label)  # fmt: skip
    rows = {key: SalesRow(key, str(label) if label is not None else "", *values[:3])
            for key, (*values, label) in summed.items()}  # fmt: skip
    if grouping in ("product", "producer"):
        best = sorted(rows.values(), key=lambda row: (-row.revenue_vnd, row.key))[:TOP_LIMIT]
        rows = {row.key: row for row in best}
    return _ordered(grouping, rows, period)


def sales_overview(period: Period, today, producer_id: int | None = None) -> dict[str, list]:
    """Every breakdown of the period from two rollup reads: the (month, channel, rail) cells and the products."""
    products = product_sales(period, today, producer_id)
    overview: dict[str, list] = {"cells": sales_cells(period, producer_id)}
    for grouping in BY_PRODUCT:
        overview[grouping] = by_product_attribute(grouping, products, period)
    return overview


def sales_by(grouping: str, period: Period, today, producer_id: int | None = None) -> list[SalesRow]:
    """The period's orders, units and revenue grouped by `grouping` (one of GROUPINGS), for one producer or all."""
    if grouping not in GROUPINGS:
        message = gettext("Không có cách nhóm “%(name)s”.", name=grouping)
        raise InvalidInput(message, {"group_by": [message]})
    if grouping in ORDER_LEVEL:
        return from_cells(grouping, sales_cells(period, producer_id), period)
    return by_product_attribute(grouping, product_sales(period, today, producer_id), period)


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
            # Written as the partial index ix_orders_refunded is (no bound values), so both databases use it.
            text("orders.status IN ('refund_pending', 'refunded')"),
        )
    )
    if producer_id is not None:
        statement = statement.where(OrderLine.producer_id == producer_id)
    row = db.session.execute(statement).one()
    return SalesRow(None, "", int(row[0]), int(row[1]), int(row[2]))


def producers_without_sales(period: Period) -> list[Producer]:
    """Producers with a product on the shop who sold nothing in the period, on any channel, by name."""
    sold = exists().where(SalesDayProduct.producer_id == Producer.id, _in(period, SalesDayProduct))
    with_products = exists().where(Product.producer_id == Producer.id, Product.status == "active")
    return list(db.session.scalars(select(Producer).where(with_products, ~sold).order_by(Producer.name_sort_key)))
