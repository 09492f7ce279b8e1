"""Keeping the sales rollup (catalogue.reports.models) true: a day is rebuilt whenever one of its sales changes.

Every flush that adds an order, changes an order's status, records a marketplace sale or issues
an invoice notes the Vietnam days of those orders; its transaction marks them pending as its last
statement before COMMIT (a rollback unmarks them). Once that transaction commits, the pending
days are rebuilt from the orders themselves (DELETE, then INSERT … SELECT grouped in SQL), a
moment later and once per burst of sales (catalogue.reports.settling), so no row lock of the
sale is held meanwhile and no sale waits for it; the beat job `settle-sales-rollup` settles any
a lost timer or task left pending.
Reports only read: a GET never writes. Nothing is ever incremented, so a replayed webhook or a
retried job cannot count twice.
`rebuild` over all days is what the migration and `flask reports rebuild` run.

The marking is a flush listener, not a subscription to the order's events (catalogue.events):
it also sees what publishes none (an invoice issued, a test's direct write), and a day marked is
never lost to a handler that was not wired. `sale_recorded` (events.SaleRecorded) is not enough
either: a cancellation, a refund or an invoice changes a day's figures too, and the mark must
commit or roll back with the change itself, which an after-commit handler cannot do.
"""

from __future__ import annotations

from datetime import date, datetime

import click
from flask.cli import AppGroup
from sqlalchemy import (
    BigInteger,
    Date,
    Integer,
    case,
    cast,
    delete,
    event,
    func,
    insert,
    inspect,
    literal,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from catalogue.clock import VIETNAM
from catalogue.extensions import db
from catalogue.invoices.models import Invoice
from catalogue.models_base import as_utc, utcnow
from catalogue.orders.models import Order
from catalogue.reports.models import PROVINCE, SalesDay, SalesDayProduct, SalesPendingDay
from catalogue.reports.periods import Period
from catalogue.sync.models import MarketplaceSale
from catalogue.transactions import use_case

PENDING_DAYS = "catalogue.reports.pending_days"
MARKED = "catalogue.reports.marked"  # this transaction marked days: settle them once it commits
ROLLUP_LOCK = 120_012  # the advisory lock key of rollup rebuilds (issue 12)


class vn_day(FunctionElement):  # noqa: N801 - named as the SQL it renders
    """The Vietnam date of a stored UTC moment (UTC+7 all year)."""

    type = Date()
    name = "vn_day"
    inherit_cache = True


@compiles(vn_day, "sqlite")
def _vn_day_sqlite(element, compiler, **kw) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, '+7 hours')"


@compiles(vn_day)
def _vn_day_elsewhere(element, compiler, **kw) -> str:
    return f"CAST(timezone('Asia/Ho_Chi_Minh', {compiler.process(element.clauses, **kw)}) AS DATE)"


def rebuild(connection, first: date, last: date) -> None:
    """Rebuild the rollup rows of days `first` through `last` from the orders and marketplace sales."""
    from catalogue.reports.sales import sale_facts

    if connection.dialect.name == "postgresql":
        # Two transactions rebuilding the same day would each insert its rows (a duplicate key for the
        # later one): rebuilds take turns. The flush that rebuilds is the commit's own, so the lock is
        # held only for the commit; SQLite writers take turns anyway.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ROLLUP_LOCK})
    connection.execute(delete(SalesDay).where(SalesDay.day.between(first, last)))
    connection.execute(delete(SalesDayProduct).where(SalesDayProduct.day.between(first, last)))
    facts = sale_facts(Period("custom", first, last))
    day, rail = vn_day(facts.c.at), func.coalesce(facts.c.rail, "")
    measures = (
        func.count(func.distinct(facts.c.order_key)),
        cast(func.sum(facts.c.units), Integer),
        cast(func.sum(facts.c.revenue_vnd), BigInteger),
    )
    columns = ["day", "producer_id", "channel", "rail", "orders", "units", "revenue_vnd", "invoiced_orders"]

    def invoiced(flag):
        return func.count(func.distinct(case((flag == 1, facts.c.order_key))))

    province = select(day, literal(PROVINCE), facts.c.channel, rail, *measures, invoiced(facts.c.order_invoiced))
    connection.execute(insert(SalesDay).from_select(columns, province.group_by(day, facts.c.channel, rail)))
    keys = (day, facts.c.producer_id, facts.c.channel, rail)
    by_producer = select(*keys, *measures, invoiced(facts.c.line_invoiced)).group_by(*keys)
    connection.execute(insert(SalesDay).from_select(columns, by_producer))
    keys = (day, facts.c.product_id, facts.c.channel, rail)
    connection.execute(
        insert(SalesDayProduct).from_select(
            ["day", "product_id", "channel", "rail", "producer_id", "orders", "units", "revenue_vnd"],
            select(*keys, func.max(facts.c.producer_id), *measures).group_by(*keys),
        )
    )


def _local_day(moment: datetime | None) -> date:
    return as_utc(moment or utcnow()).astimezone(VIETNAM).date()


def _note_changed_days(session: Session, flush_context, instances) -> None:
    """before_flush: the days whose sales this flush may change (new orders, status changes, marketplace sales)."""
    days = session.info.setdefault(PENDING_DAYS, set())
    for instance in session.new:
        if isinstance(instance, Order | MarketplaceSale):
            days.add(_local_day(instance.created_at))
    for instance in session.dirty:
        if isinstance(instance, Order) and inspect(instance).attrs.status.history.has_changes():
            days.add(_local_day(instance.created_at))
    invoiced = [instance.order_id for instance in session.new if isinstance(instance, Invoice)]
    if invoiced:  # an issued invoice changes its order's day's share invoiced
        with session.no_autoflush:
            placed = session.scalars(select(Order.created_at).where(Order.id.in_(invoiced)))
            days.update(_local_day(moment) for moment in placed)


def _mark_changed_days(session: Session) -> None:
    """before_commit: mark the days this transaction's flushes changed pending, as its last statement before
    the COMMIT (in the same transaction: a rollback unmarks them).

    One cheap upsert, not the day's rebuild: the transaction may be a sale's, which holds its product's row
    lock until it commits, and every sale of that product would wait for a rebuild. Last, because a day's
    mark is one row every sale of that day writes: written at the end, it is held for the commit only, and
    always after the product rows a sale locks (a shop order writes its order before it takes the stock, a
    marketplace sale takes the stock first), so two sales never wait for each other's mark and stock in
    opposite orders. A savepoint's release marks nothing: its days wait for the outer commit (a savepoint
    rolled back may leave its days marked: a rebuild more, never a figure wrong).
    """
    if session.in_nested_transaction():
        return
    session.flush()  # the commit's own flush, now, so that its changes' days are noted too
    days = session.info.pop(PENDING_DAYS, set())
    if days:
        _mark(session.connection(), days)
        session.info[MARKED] = True


def _mark(connection, days) -> None:
    upsert = sqlite_insert if connection.dialect.name == "sqlite" else postgresql_insert
    rows = [{"day": day} for day in sorted(days)]
    connection.execute(upsert(SalesPendingDay).values(rows).on_conflict_do_nothing(index_elements=["day"]))


def rebuild_day_of(moment: datetime) -> None:
    """Mark the Vietnam day of `moment` pending, for a change made in SQL that no flush sees (a cancellation)."""
    _mark(db.session.connection(), {_local_day(moment)})
    db.session.info[MARKED] = True


def _settle_after_commit(session: Session) -> None:
    """after_commit: the days this transaction marked are rebuilt now that it is kept (never for a rollback).

    Soon and once per burst, never in the sale's own request (catalogue.reports.settling).
    """
    if session.in_nested_transaction():  # a SAVEPOINT released: the outer transaction still holds its locks
        return
    if not session.info.pop(MARKED, False):
        return
    from catalogue.reports.settling import settle_soon

    settle_soon()


def _forget_marks(session: Session, previous_transaction=None) -> None:
    """after_rollback: what the rolled-back transaction marked is gone with it."""
    if session.in_nested_transaction():
        return
    session.info.pop(MARKED, None)
    session.info.pop(PENDING_DAYS, None)


@use_case
def settle_pending_days() -> int:
    """Rebuild the days marked pending and unmark them, in a use case (the beat job, the CLI). How many."""
    return settle(db.session.connection())


def settle(connection) -> int:
    """Rebuild the days marked pending and unmark them, on `connection`'s transaction. How many."""
    days = list(connection.scalars(select(SalesPendingDay.day).order_by(SalesPendingDay.day)))
    if not days:
        return 0
    # Unmarked before the rebuild: a sale that commits during it marks its day again, and a sale
    # still uncommitted keeps its own mark, which this DELETE does not see.
    connection.execute(delete(SalesPendingDay).where(SalesPendingDay.day.in_(days)))
    for day in days:
        rebuild(connection, day, day)
    return len(days)


def register_rollup() -> None:
    """Keep the rollup on every ORM flush, settled after every commit that marked a day (idempotent)."""
    listeners = (
        ("before_flush", _note_changed_days),
        ("before_commit", _mark_changed_days),
        ("after_commit", _settle_after_commit),
        ("after_rollback", _forget_marks),
    )
    for name, listener in listeners:
        if not event.contains(db.session, name, listener):
            event.listen(db.session, name, listener)


def rollup_bounds() -> tuple[date, date] | None:
    """The first and last day with any order or marketplace sale."""
    moments = [
        db.session.scalar(select(func.min(Order.created_at))),
        db.session.scalar(select(func.min(MarketplaceSale.created_at))),
    ]
    latest = [
        db.session.scalar(select(func.max(Order.created_at))),
        db.session.scalar(select(func.max(MarketplaceSale.created_at))),
    ]
    moments, latest = [m for m in moments if m], [m for m in latest if m]
    if not moments:
        return None
    return _local_day(min(map(as_utc, moments))), _local_day(max(map(as_utc, latest)))


reports_cli = AppGroup("reports", help="The sales rollup behind the office's dashboard.")


@reports_cli.command("rebuild")
@click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]), help="First day (default: the first sale)")
@click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]), help="Last day (default: the last sale)")
def rebuild_command(first, last) -> None:
    """Rebuild the rollup from the orders and marketplace sales (all days by default)."""
    bounds = rollup_bounds()
    if bounds is None:
        click.echo("No sales to roll up.")
        return
    first_day = first.date() if first else bounds[0]
    last_day = last.date() if last else bounds[1]
    rebuild(db.session.connection(), first_day, last_day)
    db.session.commit()
    click.echo(f"Rolled up {first_day} – {last_day}.")
