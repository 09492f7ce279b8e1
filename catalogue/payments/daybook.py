"""The office's reading of the ledger beside ledger.day_totals: refunds per rail on a day, and whose rows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from catalogue.clock import VIETNAM
from catalogue.extensions import db
from catalogue.orders.models import Order
from catalogue.payments.models import Payment


def refunded_by_method(day: date) -> dict[str, int]:
    """Money returned on `day` (Vietnam time, by when it was returned), per rail."""
    start = datetime.combine(day, time.min, tzinfo=VIETNAM).astimezone(UTC)
    end = start + timedelta(days=1)
    moment = func.coalesce(Payment.resolved_at, Payment.occurred_at)
    rows = db.session.execute(
        select(Payment.method, func.sum(Payment.amount_vnd))
        .where(Payment.kind == "refund", Payment.state == "done", moment >= start, moment < end)
        .group_by(Payment.method)
    ).all()
    return {method: int(total) for method, total in rows}


def order_codes(rows: Iterable[Payment]) -> dict[int, str]:
    """The code of each order the rows belong to, by order id."""
    ids = {row.order_id for row in rows if row.order_id is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(Order.id, Order.code).where(Order.id.in_(ids))).all())
