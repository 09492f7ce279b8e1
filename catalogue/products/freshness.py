"""What a cached answer depends on in the database, read in one statement: one round trip per hit.

A cached public answer is exact while two things are as they were when it was computed:

- the catalogue's *shown* revision (catalogue.products.revision: every write but a stock move
  that keeps the stock above zero moves it), and
- the `version` of each product whose stock level the answer shows (a stock move bumps it).

`read_state` reads both in a single `UNION ALL` (the counter row, then the watched products
by id or by slug). On PostgreSQL it runs on an engine of its own: autocommit (no BEGIN, no
ROLLBACK on return to the pool) and no pre-ping (a dead pooled connection is detected by the
statement failing, and it is retried once on a new one), so a hit costs one round trip where
it cost five. SQLite is in-process: the app's own engine is used, so an in-memory test
database stays the one the app sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from flask import current_app
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from catalogue.extensions import db
from catalogue.products.revision import CATALOGUE

_REVISION = f"SELECT NULL, shown, NULL, NULL FROM change_counters WHERE name = '{CATALOGUE}'"
_PRODUCTS = "SELECT id, version, stock, updated_at FROM products WHERE "


@dataclass(frozen=True)
class Watch:
    """The products whose stock an answer shows: ids (from a cached body) or one slug (a product page)."""

    ids: tuple[int, ...] = ()
    slug: str | None = None


class ProductState(NamedTuple):
    """A watched product's stock-related fields as last committed (`updated_at` parsed only when asked for)."""

    version: int
    stock: int
    stored_updated_at: object  # what the driver gave: a datetime (PostgreSQL) or its text (SQLite)

    @property
    def updated_at(self) -> datetime | None:
        """When the product last changed."""
        return _as_datetime(self.stored_updated_at)


@dataclass(frozen=True)
class State:
    """The shown revision and the watched products, read in one statement."""

    revision: int
    products: dict[int, ProductState]

    def versions(self) -> tuple[tuple[int, int], ...]:
        """(id, version) of every watched product, by id."""
        return tuple(sorted((product_id, state.version) for product_id, state in self.products.items()))


def read_state(watch: Watch | None, session: Session | None = None) -> State:
    """The shown revision and the watched products: through `session` when given, else on the hit engine."""
    sql, parameters = _statement(watch)
    if session is not None:
        rows = session.connection().exec_driver_sql(sql, parameters).fetchall()
    else:
        rows = _run_raw(hit_engine(), sql, parameters)
    revision, products = 0, {}
    for product_id, version, stock, updated_at in rows:
        if product_id is None:
            revision = version or 0
        else:
            products[product_id] = ProductState(version, stock, updated_at)
    return State(revision, products)


def _statement(watch: Watch | None) -> tuple[str, tuple]:
    if watch is None or (not watch.ids and watch.slug is None):
        return _REVISION, ()
    if watch.slug is not None:
        marker = "?" if db.engine.dialect.paramstyle == "qmark" else "%s"
        return f"{_REVISION} UNION ALL {_PRODUCTS}slug = {marker}", (watch.slug,)
    # Ids are integers taken from our own answers: written into the SQL, nothing to bind or escape.
    ids = ",".join(str(int(product_id)) for product_id in watch.ids)
    return f"{_REVISION} UNION ALL {_PRODUCTS}id IN ({ids})", ()


def run_raw(engine: Engine, sql: str, parameters: tuple) -> list[tuple]:
    """Rows of `sql` on a raw DBAPI connection of `engine`, retried once on a new connection if the pooled one died."""
    return _run_raw(engine, sql, parameters)


def _run_raw(engine: Engine, sql: str, parameters: tuple) -> list[tuple]:
    dbapi = engine.dialect.dbapi
    for attempt in (1, 2):
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(sql, parameters) if parameters else cursor.execute(sql)
                return cursor.fetchall()
            finally:
                cursor.close()
        except (dbapi.OperationalError, dbapi.InterfaceError):
            # No pre-ping: a connection the server closed fails here. Forget it, and on a server (the
            # hit engine is PostgreSQL's own) every pooled one with it: a restart closed them all.
            connection.invalidate()
            if attempt == 2:
                raise
            if engine.dialect.name != "sqlite":
                engine.dispose()
        finally:
            connection.close()
    raise AssertionError("unreachable")


def hit_engine() -> Engine:
    """The engine a cache hit reads on: the app's own on SQLite, an autocommit one without pre-ping elsewhere."""
    engine = current_app.extensions.get("hit_engine")
    if engine is None:
        engine = db.engine
        if engine.dialect.name != "sqlite":
            options = current_app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})
            engine = create_engine(
                engine.url,
                connect_args=options.get("connect_args", {}),
                isolation_level="AUTOCOMMIT",
                pool_pre_ping=False,
                pool_reset_on_return=None,
                # As many kept connections as the app's own engine: a gthread worker's threads read hits at once,
                # and a pool smaller than them closes a connection on each return past its size, so the next hit
                # starts a new PostgreSQL backend (under 4 threads a page's throughput halved).
                pool_size=engine.pool.size(),
                max_overflow=options.get("max_overflow", 10),  # SQLAlchemy's default, as the app's engine has
            )
            # Its connections go when the app's do (the tests dispose each app's engine after use).
            event.listen(db.engine, "engine_disposed", lambda _engine, hit=engine: hit.dispose())
        current_app.extensions["hit_engine"] = engine
    return engine


def _as_datetime(value) -> datetime | None:
    """SQLite hands a raw cursor the stored text; PostgreSQL a datetime."""
    if value is None or isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
