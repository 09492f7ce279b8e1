"""Scans of a lot's stamp, counted per lot and day with one upsert, committed at once.

`INSERT … ON CONFLICT (lot_id, day) DO UPDATE SET scans = scans + 1` is atomic on both
PostgreSQL and SQLite (3.24+): concurrent scans never lose a count, and nothing is read
before the write, so the page pays for one statement plus the total it shows. A lot
scanned more than SCAN_ALERT_FACTOR times its quantity is flagged once (a copied stamp).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Select, func, literal, select, true, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from catalogue.extensions import db
from catalogue.traceability.models import Lot, LotScanDay
from catalogue.transactions import use_case

# A genuine unit is scanned a few times (shop, buyer, family); far more than that per unit is a copy.
SCAN_ALERT_FACTOR = 3


@use_case
def count_scan(lot_ids: Select, today: date, now: datetime) -> tuple[int, int] | None:
    """Count one scan today of the lot `lot_ids` selects: (lot id, its total scans), or None if it selects none.

    The first statement of its request's transaction is the upsert itself: nothing is
    read before it, so on SQLite the transaction starts as the writer it is (no read
    lock to upgrade) and on PostgreSQL the day's row lock orders concurrent scans.
    It runs on the request's own session and connection (one per request, never two).
    """
    table = LotScanDay.__table__
    insert = postgresql_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    chosen = lot_ids.subquery()
    upsert = (
        insert(table)
        .from_select(["lot_id", "day", "scans"], select(chosen.c.id, literal(today, Date), literal(1)).where(true()))
        .on_conflict_do_update(index_elements=[table.c.lot_id, table.c.day], set_={"scans": table.c.scans + 1})
        .returning(table.c.lot_id)
    )
    lot_id = db.session.execute(upsert).scalar()
    if lot_id is None:
        return None
    lots = Lot.__table__
    quantity = select(lots.c.quantity).where(lots.c.id == lot_id).scalar_subquery()
    total, quantity = db.session.execute(
        select(func.sum(table.c.scans), quantity).where(table.c.lot_id == lot_id)
    ).one()
    if looks_copied(total, quantity):
        db.session.execute(
            update(lots).where(lots.c.id == lot_id, lots.c.suspected_copy_at.is_(None)).values(suspected_copy_at=now)
        )
    return lot_id, total


def looks_copied(total: int, quantity: int) -> bool:
    """True when a stamp has been scanned far more often than its lot has units."""
    return total > SCAN_ALERT_FACTOR * quantity


def total_scans(lot_id: int) -> int:
    """How many times the lot's stamp has been scanned, all days."""
    return int(
        db.session.scalar(select(func.coalesce(func.sum(LotScanDay.scans), 0)).where(LotScanDay.lot_id == lot_id))
    )


def suspected_copies() -> list[Lot]:
    """Lots flagged as scanned far more than they have units, newest flag first (the office's list)."""
    return list(
        db.session.scalars(select(Lot).where(Lot.suspected_copy_at.is_not(None)).order_by(Lot.suspected_copy_at.desc()))
    )
