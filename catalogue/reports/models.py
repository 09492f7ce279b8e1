"""The sales rollup: what each Vietnam day sold, kept by the orders' and marketplace sales' changes.

Two grains, because an order's count does not add up across products: `sales_days` holds per
day, channel, rail and producer (producer 0: the whole province) the orders, units and revenue,
exact for totals and for a producer; `sales_day_products` the same per product (an order holds
a product once, so per-product order counts are exact too). Rows are rebuilt from the orders
and marketplace sales (catalogue.reports.rollup), never incremented, so they cannot drift.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from catalogue.extensions import db

PROVINCE = 0  # the producer_id of a day's province-wide row


class SalesDay(db.Model):
    """One day's sales in one channel and rail, for one producer or (producer 0) the province."""

    __tablename__ = "sales_days"
    # Clustered by producer then day (SQLite: WITHOUT ROWID), so a period of the province's
    # (or one producer's) rows is one contiguous range; the day index serves the rebuilds.
    __table_args__ = (Index("ix_sales_days_day", "day"), {"sqlite_with_rowid": False})

    producer_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    rail: Mapped[str] = mapped_column(String(10), primary_key=True)  # "" for a marketplace sale
    orders: Mapped[int] = mapped_column(Integer)
    units: Mapped[int] = mapped_column(Integer)
    revenue_vnd: Mapped[int] = mapped_column(BigInteger)
    # Of `orders`, those with their e-invoices issued: for the province, by every producer on the
    # order; for a producer, its own (the share invoiced, catalogue.reports.indicators).
    invoiced_orders: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class SalesDayProduct(db.Model):
    """One day's sales of one product in one channel and rail."""

    __tablename__ = "sales_day_products"
    __table_args__ = (
        Index("ix_sales_day_products_producer_day", "producer_id", "day"),
        {"sqlite_with_rowid": False},  # clustered by day: a period is one contiguous range
    )

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    product_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    rail: Mapped[str] = mapped_column(String(10), primary_key=True)
    producer_id: Mapped[int] = mapped_column(Integer)
    orders: Mapped[int] = mapped_column(Integer)
    units: Mapped[int] = mapped_column(Integer)
    revenue_vnd: Mapped[int] = mapped_column(BigInteger)


class SalesPendingDay(db.Model):
    """A Vietnam day whose sales changed since its rollup rows were built: rebuilt before the next report reads."""

    __tablename__ = "sales_pending_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
