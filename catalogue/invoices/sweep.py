"""Finding what invoicing has left undone, and the office's view of coverage and the queue."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, select

from catalogue.clock import VIETNAM
from catalogue.extensions import db
from catalogue.invoices.models import Invoice, InvoiceSettings
from catalogue.models_base import as_utc
from catalogue.orders.models import Order, OrderEvent, OrderLine
from catalogue.producers.models import Producer
from catalogue.transactions import calls_out, use_case

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

    return sum(len(process_order(order_id)) for order_id in orders_missing_invoices())


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
    """Per producer and month, the share of paid orders invoiced; and overall (invoiced, paid) orders."""
    invoiced = exists().where(
        Invoice.order_id == Order.id, Invoice.producer_id == OrderLine.producer_id, Invoice.kind == "original"
    )
    rows = db.session.execute(
        select(Order.id, Order.created_at, OrderLine.producer_id, Producer.name, invoiced)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .join(Producer, Producer.id == OrderLine.producer_id)
        .where(_paid_once)
        .distinct()
    ).all()
    cells: dict[tuple, list] = defaultdict(lambda: [set(), set()])
    orders_all: dict[int, bool] = {}
    names = {}
    for order_id, created_at, producer_id, name, has_invoice in rows:
        month = as_utc(created_at).astimezone(VIETNAM).strftime("%Y-%m")
        cell = cells[(month, producer_id)]
        cell[0].add(order_id)
        if has_invoice:
            cell[1].add(order_id)
        orders_all[order_id] = orders_all.get(order_id, True) and bool(has_invoice)
        names[producer_id] = name
    months = sorted({month for month, _ in cells}, reverse=True)[:limit_months]
    table = [
        Coverage(producer_id, names[producer_id], month, len(paid), len(done))
        for (month, producer_id), (paid, done) in sorted(
            cells.items(), key=lambda item: (item[0][0], names[item[0][1]])
        )
        if month in months
    ]
    table.sort(key=lambda row: row.month, reverse=True)
    return table, (sum(orders_all.values()), len(orders_all))


def queue(limit: int = 200) -> list[Invoice]:
    """Invoices not yet with a provider (queued) or refused by it, oldest first."""
    return list(
        db.session.scalars(
            select(Invoice).where(Invoice.status.in_(("queued", "rejected"))).order_by(Invoice.id).limit(limit)
        )
    )
