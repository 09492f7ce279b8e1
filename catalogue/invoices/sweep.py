"""Finding what invoicing has left undone, and the office's view of coverage and the queue."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, func, select

from catalogue.extensions import db
from catalogue.invoices.models import Invoice, InvoiceSettings
from catalogue.orders.models import Order, OrderEvent, OrderLine
from catalogue.producers.models import Producer
from catalogue.transactions import calls_out, use_case

log = logging.getLogger(__name__)
_paid_once = exists().where(OrderEvent.order_id == Order.id, OrderEvent.to_status == "paid")


@use_case
def orders_missing_invoices(limit: int = 500) -> list[int]:
    """Paid orders with a line of an invoicing producer and no invoice of it, or refunded and not adjusted."""
    no_original = ~exists().where(
        Invoice.order_id == Order.id, Invoice.producer_id == OrderLine.producer_id, Invoice.kind == "original"
    )
    missing = (
        select(Order.id)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .join(InvoiceSettings, and_(InvoiceSettings.producer_id == OrderLine.producer_id, InvoiceSettings.enabled))
        .where(_paid_once, no_original)
    )
    original = select(Invoice.id).where(Invoice.order_id == Order.id, Invoice.kind == "original")
    adjustment = exists().where(Invoice.order_id == Order.id, Invoice.kind == "adjustment")
    unadjusted = select(Order.id).where(Order.status == "refunded", original.exists(), ~adjustment)
    ids = set(db.session.scalars(missing.limit(limit))) | set(db.session.scalars(unadjusted.limit(limit)))
    return sorted(ids)[:limit]


@calls_out
def issue_missing(now: datetime) -> int:
    """Issue (and send) whatever a lost job left out; how many invoices were issued."""
    from catalogue.invoices.jobs import process_order

    issued = 0
    for order_id in orders_missing_invoices():
        try:
            issued += len(process_order(order_id))
        except Exception:  # an order that cannot be invoiced (bad stored text, a provider error) stops no other
            db.session.rollback()
            log.exception("Could not invoice order %s; the sweep goes on with the next order", order_id)
    return issued


@dataclass(frozen=True)
class Coverage:
    """One producer's month: paid orders with its lines, and how many it invoiced."""

    producer_id: int
    producer_name: str
    month: str  # YYYY-MM, Vietnam time
    paid_orders: int
    invoiced_orders: int

    @property
    def share(self) -> float:
        return self.invoiced_orders / self.paid_orders if self.paid_orders else 0.0


def coverage(limit_months: int = 12) -> tuple[list[Coverage], tuple[int, int]]:
    """Per producer and month, the share of paid orders invoiced; and overall (invoiced, paid) orders.

    Read from the office's daily sales rollup, the same figures as its dashboard's share invoiced
    (catalogue.reports.indicators): shop orders sold, and of them those whose invoices are issued —
    by the producer in its rows, by every producer on the order overall.
    """
    from catalogue.reports.models import PROVINCE, SalesDay
    from catalogue.reports.sales import month_of

    month = month_of(SalesDay.day)
    shop = SalesDay.channel == "shop"
    months = list(
        db.session.scalars(
            select(month).where(shop, SalesDay.producer_id != PROVINCE).group_by(month).order_by(month.desc())
        ).all()[:limit_months]
    )
    rows = db.session.execute(
        select(
            month, SalesDay.producer_id, Producer.name, func.sum(SalesDay.orders), func.sum(SalesDay.invoiced_orders)
        )
        .join(Producer, Producer.id == SalesDay.producer_id)
        .where(shop, month.in_(months))
        .group_by(month, SalesDay.producer_id, Producer.name, Producer.name_sort_key)
        .order_by(month.desc(), Producer.name_sort_key)
    ).all()
    table = [Coverage(producer_id, name, m, int(paid), int(done)) for m, producer_id, name, paid, done in rows]
    paid, invoiced = db.session.execute(
        select(func.coalesce(func.sum(SalesDay.orders), 0), func.coalesce(func.sum(SalesDay.invoiced_orders), 0)).where(
            shop, SalesDay.producer_id == PROVINCE
        )
    ).one()
    return table, (int(invoiced), int(paid))


def queue(limit: int = 200) -> list[Invoice]:
    """Invoices not yet with a provider (queued) or refused by it, oldest first."""
    return list(
        db.session.scalars(
            select(Invoice).where(Invoice.status.in_(("queued", "rejected"))).order_by(Invoice.id).limit(limit)
        )
    )
