"""Scans of a lot's stamp, counted per lot and day with one upsert on its own short transaction.

`INSERT … ON CONFLICT (lot_id, day) DO UPDATE SET scans = scans + 1` is atomic on both
PostgreSQL and SQLite (3.24+): concurrent scans never lose a count, and nothing is read
before the write, so the page pays for one statement plus the total it shows. A lot
scanned more than SCAN_ALERT_FACTOR times its quantity is flagged once (a copied stamp).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from catalogue.extensions import db
from catalogue.traceability.models import Lot, LotScanDay

# A genuine unit is scanned a few times (shop, buyer, family); far more than that per unit is a copy.
SCAN_ALERT_FACTOR = 3


def count_scan(lot_id: int, quantity: int, today: date, now: datetime) -> int:
    """Count one scan of the lot today; the lot's total scans, this one included."""
    table = LotScanDay.__table__
    insert = postgresql_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    upsert = (
        insert(table)
        .values(lot_id=lot_id, day=today, scans=1)
        .on_conflict_do_update(index_elements=[table.c.lot_id, table.c.day], set_={"scans": table.c.scans + 1})
    )
    # Its own connection and transaction: a scan commits at once, whatever the page's session does.
    with db.engine.begin() as connection:
        connection.execute(upsert)
        total = connection.scalar(select(func.coalesce(func.sum(table.c.scans), 0)).where(table.c.lot_id == lot_id))
        if looks_copied(total, quantity):
            lots = Lot.__table__
            connection.execute(
                update(lots)
                .where(lots.c.id == lot_id, lots.c.suspected_copy_at.is_(None))
                .values(suspected_copy_at=now)
            )
    return int(total)


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
