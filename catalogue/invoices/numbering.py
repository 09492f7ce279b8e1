"""Gap-free invoice numbers per producer and series.

The number is taken inside the transaction that stores the invoice, by one UPDATE of the
series' counter row: on PostgreSQL a concurrent issuer waits on that row lock until this
transaction ends, then reads the committed value; on SQLite writers are serialised anyway.
A transaction that rolls back gives its number back, so no number is skipped or used twice
(and `uq_invoices_number` would refuse a second use).
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from catalogue.extensions import db
from catalogue.invoices.models import InvoiceCounter


def take_number(producer_id: int, series: str) -> int:
    """The next number of the producer's series, held until the current transaction ends."""
    number = _increment(producer_id, series)
    if number is None:
        insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
        db.session.execute(
            insert(InvoiceCounter)
            .values(producer_id=producer_id, series=series, last_number=0)
            .on_conflict_do_nothing(index_elements=["producer_id", "series"])
        )
        number = _increment(producer_id, series)
    return number


def _increment(producer_id: int, series: str) -> int | None:
    return db.session.execute(
        update(InvoiceCounter)
        .where(InvoiceCounter.producer_id == producer_id, InvoiceCounter.series == series)
        .values(last_number=InvoiceCounter.last_number + 1)
        .returning(InvoiceCounter.last_number)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
