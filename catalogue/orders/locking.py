"""The one way to change an order's state: hold its row first, on PostgreSQL and on SQLite alike.

Every state change (pay, cancel, expire, refund, ship, deliver) reads the order after taking
its row's write lock, so two of them on one order serialise: the second sees what the first
committed. PostgreSQL takes `SELECT … FOR UPDATE`. SQLite has no row locks and pysqlite
starts its transaction only at the first write, so its SELECTs see whatever was last
committed: there the lock is a no-op `UPDATE` of the order's row, which begins the write
transaction and waits for the database's single writer lock, and the read comes after it.

`transition()` refuses an order that was not locked this way in the current transaction
(`assert_locked`), so a new writer that forgets the lock fails its first test instead of
racing in production.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, event, select, update
from sqlalchemy.orm import Session, selectinload

from catalogue.extensions import db
from catalogue.orders.models import Order

_LOCKED_KEY = "locked_order_ids"


class OrderNotLocked(RuntimeError):
    """A state change on an order whose row the current transaction does not hold (a programming error)."""


def lock_order(code: str) -> Order | None:
    """The order with this code, its row held until the use case ends; None when there is none."""
    locked = lock_orders(Order.code == code, limit=1)
    return locked[0] if locked else None


def lock_order_by_id(order_id: int) -> Order | None:
    """The order with this id, its row held until the use case ends; None when there is none."""
    locked = lock_orders(Order.id == order_id, limit=1)
    return locked[0] if locked else None


def lock_orders(*criteria: ColumnElement[bool], limit: int, skip_locked: bool = False) -> Sequence[Order]:
    """Orders matching `criteria` (at most `limit`), each row held until the use case ends.

    `skip_locked` (PostgreSQL) passes over rows another transaction holds, for sweeps such as
    expiry that must not queue behind a payment being recorded; the rows they skip are
    looked at again on the next sweep. Candidates must re-check their state after the lock.
    """
    session = db.session
    if _is_sqlite():
        # Take the database's write lock first; rows read after it are what the last writer committed.
        session.execute(
            update(Order)
            .where(*criteria)
            .values(status=Order.status, updated_at=Order.updated_at)  # changes nothing, not even updated_at
            .execution_options(synchronize_session=False)
        )
        query = select(Order).where(*criteria)
    else:
        query = select(Order).where(*criteria).with_for_update(of=Order, skip_locked=skip_locked)
    orders = session.scalars(
        query.order_by(Order.id)
        .limit(limit)
        .options(selectinload(Order.lines))
        .execution_options(populate_existing=True)
    ).all()
    _locked_ids(session).update(order.id for order in orders)
    return orders


def assert_locked(order: Order) -> None:
    """Refuse a state change on an order the current transaction did not lock (new orders are theirs alone)."""
    session = db.session()
    if order in session.new or order.id in _locked_ids(session):
        return
    raise OrderNotLocked(
        f"Order {order.code} changes state without its row lock: load it with catalogue.orders.locking.lock_order."
    )


def _locked_ids(session) -> set[int]:
    return session.info.setdefault(_LOCKED_KEY, set())


def _is_sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


@event.listens_for(Session, "after_transaction_end")
def _forget_locks(session: Session, transaction) -> None:
    """A lock lasts as long as the transaction that took it."""
    if transaction.parent is None:
        session.info.pop(_LOCKED_KEY, None)
