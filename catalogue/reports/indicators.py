"""The province's indicators: share of orders paid cashless, share invoiced, marketplace coverage."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from catalogue.extensions import db
from catalogue.reports.models import PROVINCE, SalesDay
from catalogue.reports.periods import Period
from catalogue.reports.sales import CASHLESS_RAILS, SalesRow

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
    the shop, invoices its buyers. Read from the daily rollup, which an issued invoice rebuilds.
    """
    whole, part = db.session.execute(
        select(func.coalesce(func.sum(SalesDay.orders), 0), func.coalesce(func.sum(SalesDay.invoiced_orders), 0)).where(
            SalesDay.day.between(period.first, period.last),
            SalesDay.producer_id == (producer_id or PROVINCE),
            SalesDay.channel == "shop",
        )
    ).one()
    return Share(int(part), int(whole), target=INVOICED_TARGET)
