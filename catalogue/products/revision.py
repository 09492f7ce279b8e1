"""The catalogue's revision: one counter that every catalogue write moves forward.

`change_counters` holds one row per counter; the row 'catalogue' counts changes to
anything a shopper or a client can read (products, certificates, images, producers,
product sets, OCOP groups, localities). Every such write takes the next value
(`next_change_seq`) in its own transaction and stamps it on the products it
changed (`products.change_seq`), so:

- `current_revision()` is a cheap fingerprint of the whole public catalogue;
- `products.change_seq > N` lists what changed since revision N, the change feed
  marketplace sync reads;
- the row's `shown` column is the number of the last write that changed anything a
  cached answer shows other than a product's stock level (`shown_revision()`): the
  response cache keys on it. A stock move that leaves the stock above zero on both
  sides (`next_change_seq(shown=False)`) does not move it, so a sale does not make
  every cached answer unreachable; the answers that show that product's stock check
  its `version` instead (catalogue.caching). A move to or from zero changes which
  lists hold the product, the facet counts and the "sold out" badge: `mark_shown()`.

ORM writes are stamped by a `before_flush` listener (`register_change_tracking`).
Core statements bypass the ORM's events, so whoever writes catalogue tables with
Core (stock moves, the seeder) must call `next_change_seq()` (or use `change_number()`)
and set `change_seq` themselves.

A flash sale on PostgreSQL (migration 0024). A stock move that keeps the stock above zero
does not touch the counter row: it takes its number from the sequence `catalogue_change_seq`
inside its own conditional UPDATE (`change_number()`), so sales of different products, and
of the same product, queue only on that product's row. Changes that move `shown` still lock
the counter row, then take their number from the same sequence, so `shown` rises in commit
order. Numbers from a sequence can commit out of order, so the feed keeps its guarantee
("a reader that has seen number N never later finds a commit stamped below N") another way:
every transaction holds the advisory lock GATE in shared mode from before it takes a number
until it ends (`pg_advisory_xact_lock_shared`), and the feed reader (`feed_horizon()`) takes
GATE exclusively for an instant, reads the sequence's last number H and lets go. Every number
up to H was taken under a shared hold that had ended when the exclusive one was granted, so
its transaction had committed or rolled back; the feed's next statement (READ COMMITTED: a
new snapshot) sees all of them, and the feed lists numbers up to H only. Later numbers wait
for the next read. SQLite has one writer at a time: its numbers commit in order already.
"""

from __future__ import annotations

from itertools import chain

from sqlalchemy import BigInteger, String, event, func, select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Mapped, Session, mapped_column

from catalogue.extensions import db
from catalogue.geography.models import Locality
from catalogue.producers.models import Producer
from catalogue.products.models import Category, Certificate, OcopGroup, Product, ProductImage

CATALOGUE = "catalogue"
# Set in session.info while the session's transaction holds a number not yet committed.
UNCOMMITTED = "catalogue_change_uncommitted"
# The same read as current_revision(), as plain SQL for a raw DBAPI cursor (a constant: nothing to bind,
# so it runs unchanged whatever the driver's parameter style; psycopg prepares it after a few runs).
_REVISION_SQL = f"SELECT value FROM change_counters WHERE name = '{CATALOGUE}'"
# PostgreSQL only (migration 0024): where change numbers come from, and the advisory lock that fences the feed.
SEQUENCE = "catalogue_change_seq"
GATE = 0x0C0C_2524  # held shared by every transaction holding a change number, exclusively by a feed read
_GATE_SHARED = text(f"SELECT pg_advisory_xact_lock_shared({GATE})")
# How long a feed read waits for the transactions in flight before it answers "nothing new yet".
FEED_WAIT = "2s"
# Models whose rows show in public answers: a change to any of them is a new revision.
TRACKED_MODELS = (Product, Certificate, ProductImage, Producer, Category, OcopGroup, Locality)


class ChangeCounter(db.Model):
    """A named, ever-increasing counter (the row 'catalogue' is the catalogue's revision)."""

    __tablename__ = "change_counters"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    # The number of the last write that changed more than a stock level above zero (migration 0013).
    shown: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


def next_change_seq(session: Session | None = None, *, shown: bool = True) -> int:
    """Take the catalogue's next sequence number inside the current transaction.

    `shown=False` only for a stock move that keeps the stock above zero: cached answers keyed by
    `shown` stay reachable and find the new stock through the product's version. On PostgreSQL
    such a number comes from the sequence and leaves the counter row unlocked.
    """
    session = session or db.session
    connection = session.connection()
    if _sequenced(connection):
        connection.execute(_GATE_SHARED)
        value = _take_shown_number(connection) if shown else connection.scalar(select(func.nextval(SEQUENCE)))
        session.info[UNCOMMITTED] = True
        return value
    # SQLite: an UPDATE, not a read-then-write: it locks the counter row until commit (SQLite
    # serialises every writer anyway), so transactions commit in the order of their numbers.
    # A rollback gives the number back, unseen.
    counters = ChangeCounter.__table__
    value = connection.scalar(
        update(counters)
        .where(counters.c.name == CATALOGUE)
        .values(value=counters.c.value + 1, **({"shown": counters.c.value + 1} if shown else {}))
        .returning(counters.c.value)
    )
    if value is None:
        raise RuntimeError("change_counters has no 'catalogue' row: run the migrations (0003 seeds it).")
    session.info[UNCOMMITTED] = True
    return value


def change_number(session: Session | None = None):
    """A stock move's number, as a value for its UPDATE's SET: on PostgreSQL `nextval(…)`, taken inside that UPDATE.

    The product's row lock is then the only lock the move waits on (the shared GATE never waits on writers).
    """
    session = session or db.session
    connection = session.connection()
    if not _sequenced(connection):
        return next_change_seq(session, shown=False)
    connection.execute(_GATE_SHARED)
    session.info[UNCOMMITTED] = True
    return func.nextval(SEQUENCE)


def _sequenced(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"


def _take_shown_number(connection: Connection) -> int:
    """PostgreSQL: lock the counter row, then take a number, so `shown` rises in commit order."""
    counters = ChangeCounter.__table__
    locked = connection.scalar(select(counters.c.name).where(counters.c.name == CATALOGUE).with_for_update())
    if locked is None:
        raise RuntimeError("change_counters has no 'catalogue' row: run the migrations (0003 seeds it).")
    value = connection.scalar(select(func.nextval(SEQUENCE)))
    connection.execute(update(counters).where(counters.c.name == CATALOGUE).values(value=value, shown=value))
    return value


def mark_shown(session: Session | None = None) -> None:
    """Make this transaction's change move the cached answers' revision too."""
    session = session or db.session
    connection = session.connection()
    counters = ChangeCounter.__table__
    if _sequenced(connection):  # the stock move left the row alone: lock it now, with a number of its own
        connection.execute(_GATE_SHARED)
        _take_shown_number(connection)
        return
    connection.execute(update(counters).where(counters.c.name == CATALOGUE).values(shown=counters.c.value))


def feed_horizon(session: Session | None = None) -> int | None:
    """The highest change number whose transaction, and every lower one's, has ended (see the module's doc).

    None on SQLite (no bound needed). On PostgreSQL, -1 when the transactions in flight did not end
    within FEED_WAIT: the feed then answers nothing new, and the reader asks again later.
    The caller must read the feed in this session's next statements under READ COMMITTED.
    """
    session = session or db.session
    connection = session.connection()
    if not _sequenced(connection):
        return None
    previous = connection.scalar(text("SELECT current_setting('lock_timeout')"))
    connection.execute(text("SELECT set_config('lock_timeout', :wait, true)"), {"wait": FEED_WAIT})
    try:
        # Session-level (not transaction-level): let go at once, not at the end of the feed's transaction.
        # The connection's own shared holds never conflict with it (locks of one backend do not).
        with session.begin_nested():
            connection.execute(text(f"SELECT pg_advisory_lock({GATE})"))
    except OperationalError:
        return -1
    finally:
        connection.execute(text("SELECT set_config('lock_timeout', :wait, true)"), {"wait": previous})
    try:
        last, called = connection.execute(text(f"SELECT last_value, is_called FROM {SEQUENCE}")).one()
    finally:
        connection.execute(text(f"SELECT pg_advisory_unlock({GATE})"))
    return last if called else last - 1


def shown_revision(session: Session | None = None) -> int:
    """The revision cached answers are keyed by, as this session's transaction sees it."""
    session = session or db.session
    return session.connection().scalar(_SHOWN_SELECT) or 0


_SHOWN_SELECT = select(ChangeCounter.__table__.c.shown).where(ChangeCounter.__table__.c.name == CATALOGUE)  # built once


def current_revision(session: Session | None = None) -> int:
    """The catalogue's revision as last committed (one primary-key lookup)."""
    session = session or db.session
    counters = ChangeCounter.__table__
    return session.connection().scalar(select(counters.c.value).where(counters.c.name == CATALOGUE)) or 0


def committed_revision(engine: Engine | None = None) -> int:
    """The catalogue's revision as last committed, read on a pooled connection of its own.

    No ORM session, no statement compilation, no engine events: one DBAPI cursor on a
    connection borrowed from the pool and handed straight back (the pool rolls it back).
    That is what a response-cache hit costs in SQL. The answer is what any transaction
    started afterwards will see at least; inside a transaction that has already read,
    use current_revision(session) instead (see catalogue.caching.request_state).
    """
    connection = (engine or db.engine).raw_connection()
    try:
        cursor = connection.cursor()
        try:
            cursor.execute(_REVISION_SQL)
            row = cursor.fetchone()
        finally:
            cursor.close()
    finally:
        connection.close()
    return (row[0] if row else None) or 0


def existing_session() -> Session | None:
    """This app context's ORM session if something already made one, else None (never makes one)."""
    registry = db.session.registry
    return registry() if registry.has() else None


def has_uncommitted_changes(session: Session | None = None) -> bool:
    """True while this session has catalogue changes that are pending or not yet committed."""
    session = session or db.session
    if session.info.get(UNCOMMITTED):
        return True
    return any(isinstance(instance, TRACKED_MODELS) for instance in chain(session.new, session.deleted, session.dirty))


def register_change_tracking() -> None:
    """Stamp every ORM flush that changes the catalogue (idempotent)."""
    for name, listener in (
        ("before_flush", _stamp_catalogue_changes),
        ("after_commit", _transaction_ended),
        ("after_rollback", _transaction_ended),
    ):
        if not event.contains(db.session, name, listener):
            event.listen(db.session, name, listener)


def _transaction_ended(session: Session) -> None:
    session.info.pop(UNCOMMITTED, None)


def _stamp_catalogue_changes(session: Session, flush_context, instances) -> None:
    """before_flush: one new sequence number for the flush, on every product it changes."""
    changed = [
        instance
        for instance in chain(session.new, session.deleted, session.dirty)
        if isinstance(instance, TRACKED_MODELS) and _really_changed(session, instance)
    ]
    if not changed:
        return
    seq = next_change_seq(session)
    for product in _changed_products(session, changed):
        product.change_seq = seq


def _really_changed(session: Session, instance) -> bool:
    """`session.dirty` also holds objects whose attributes were set to the values they had."""
    if instance in session.new or instance in session.deleted:
        return True
    return session.is_modified(instance, include_collections=False)


def _changed_products(session: Session, changed: list) -> set[Product]:
    """Products written by this flush, and those whose certificates or images are."""
    products: set[Product] = set()
    for instance in changed:
        if isinstance(instance, Product):
            products.add(instance)
        elif isinstance(instance, Certificate | ProductImage):
            # A pending row set up by product_id alone does not load its product: fetch it.
            product = instance.product or (instance.product_id and session.get(Product, instance.product_id))
            if product is not None:
                products.add(product)
    return {product for product in products if product not in session.deleted}
