"""Delivery figures for the office's dashboard and a producer's reports: parcels of the period's orders
by status, the share delivered by the carrier's expected date, the average fee per parcel by zone, returns."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select

from catalogue.delivery.models import Parcel
from catalogue.extensions import db
from catalogue.models_base import as_utc
from catalogue.orders.models import Order
from catalogue.reports.periods import Period


@dataclass(frozen=True)
class DeliveryFigures:
    by_status: dict[str, int]  # status → parcels
    delivered_with_date: int  # delivered parcels whose carrier gave an expected date
    delivered_on_time: int  # … delivered by the end of that date
    fee_by_zone: dict[str, tuple[int, int]]  # zone → (parcels, average fee ₫)
    returned: int

    @property
    def parcels(self) -> int:
        return sum(self.by_status.values())

    @property
    def on_time_share(self) -> float | None:
        return self.delivered_on_time / self.delivered_with_date if self.delivered_with_date else None


def _of(statement: Select, period: Period, producer_id: int | None) -> Select:
    statement = statement.join(Order, Order.id == Parcel.order_id).where(
        Order.created_at >= period.starts_at, Order.created_at < period.ends_before
    )
    return statement.where(Parcel.producer_id == producer_id) if producer_id is not None else statement


def delivery_figures(period: Period, producer_id: int | None = None) -> DeliveryFigures:
    """The parcels of the period's shop orders (one producer's, or every one for the office)."""
    counted = _of(select(Parcel.status, func.count(Parcel.id)), period, producer_id).group_by(Parcel.status)
    by_status = {status: count for status, count in db.session.execute(counted)}
    dates = db.session.execute(
        _of(select(Parcel.delivered_at, Parcel.expected_delivery), period, producer_id).where(
            Parcel.delivered_at.is_not(None), Parcel.expected_delivery.is_not(None)
        )
    ).all()
    # On time: delivered on or before the expected day (the carrier gives a day, often at midnight).
    on_time = sum(1 for delivered, expected in dates if as_utc(delivered).date() <= as_utc(expected).date())
    fees = db.session.execute(
        _of(select(Parcel.zone, func.count(Parcel.id), func.avg(Parcel.fee_vnd)), period, producer_id)
        .where(Parcel.status != "cancelled")
        .group_by(Parcel.zone)
    ).all()
    return DeliveryFigures(
        by_status={status: int(count) for status, count in by_status.items()},
        delivered_with_date=len(dates),
        delivered_on_time=on_time,
        fee_by_zone={zone or "": (int(count), round(float(average or 0))) for zone, count, average in fees},
        returned=int(by_status.get("returned", 0)),
    )
