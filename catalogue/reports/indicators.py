"""The province's indicators: share of orders paid cashless, share invoiced, marketplace coverage."""

from __future__ import annotations

from dataclasses import dataclass

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


def invoiced_share(period: Period, producer_id: int | None = None) -> Share | None:
    """Orders of the period with an e-invoice issued, of the orders sold; None while the shop issues none.

    The one place the e-invoices (catalogue.invoices, built alongside) reach the reports: until
    it is wired to the invoices table this answers None and no page shows a number for it. Once
    wired: COUNT(DISTINCT order) of sale_facts(period, producer_id) with an issued invoice, over
    sales.totals(period, producer_id).orders, with target=INVOICED_TARGET.
    """
    return None
