"""The province's indicators: share of orders paid cashless, share invoiced, marketplace coverage."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, exists, func, select

from catalogue.extensions import db
from catalogue.invoices.models import Invoice
from catalogue.orders.models import Order, OrderLine
from catalogue.reports.periods import Period
from catalogue.reports.sales import CASHLESS_RAILS, SOLD_STATUSES, SalesRow

INVOICED_TARGET = 0.9  # the province's target: nine orders in ten with an e-invoice


@dataclass(frozen=True)
class Share:
    """`part` of `whole`; `share` is None when there is nothing to divide."""

    part: int
    whole: int
    target: float | None = None

    @property
    def share(self) -> float | None:
        return self.part / self.whole if self.whole else None


def cashless_share(by_rail: list[SalesRow]) -> Share:
    """Shop orders paid by a cashless rail, of the shop orders sold (from the rail breakdown).

    Marketplace orders are left out: Shopee and Lazada do not tell us how their buyer paid.
    """
    shop = [row for row in by_rail if row.key is not None]
    return Share(sum(row.orders for row in shop if row.key in CASHLESS_RAILS), sum(row.orders for row in shop))


def invoiced_share(period: Period, producer_id: int | None = None) -> Share:
    """Shop orders sold in the period with their e-invoices issued, of the shop orders sold (target 90 %).

    For the province an order counts once every producer on it has issued its invoice; for a
    producer, once it has issued its own. Marketplace orders are left out: the marketplace, not
    the shop, invoices its buyers. Two COUNTs in SQL, whatever the number of orders.
    """
    sold = and_(
        Order.created_at >= period.starts_at,
        Order.created_at < period.ends_before,
        Order.status.in_(SOLD_STATUSES),
    )
    line_filter = [OrderLine.producer_id == producer_id] if producer_id is not None else []
    if producer_id is not None:
        sold = and_(sold, exists().where(OrderLine.order_id == Order.id, *line_filter))
    uninvoiced_line = exists().where(
        OrderLine.order_id == Order.id,
        *line_filter,
        ~exists()
        .where(Invoice.order_id == Order.id, Invoice.producer_id == OrderLine.producer_id, Invoice.kind == "original")
        .correlate(Order, OrderLine),  # nested two deep, SQLAlchemy would otherwise add `orders` to its FROM
    )
    whole, part = db.session.execute(
        select(func.count(Order.id), func.count(Order.id).filter(~uninvoiced_line)).where(sold)
    ).one()
    return Share(part, whole, target=INVOICED_TARGET)
