"""SQLite: a process's threads take turns to write, queued on a lock rather than in SQLite's sleeping busy handler.

SQLite has one writer per database file. A connection that finds the writer's lock taken waits in SQLite's busy
handler, which sleeps 1, 2, 5 … up to 100 ms between tries, so a waiting write starts long after the lock came
free. Sync workers had one writer each; a threaded worker (gthread, `ocop-web.service`) has one per thread, and on
the 2-core bench 4 threads per worker placed ~90 orders a second where 1 placed ~130 (`bench/orders.py`).

So before a transaction's first write a thread takes its process's writer gate for that database, and gives it back
when its connection returns to the pool (a transaction ends so: a session gives its connection back as it commits
or rolls back): the process's next writer starts as the last one ends. A turn not given back within 5 s (a
connection kept open after its write) is not waited for longer: that writer goes on to SQLite's lock as before, so
the gate never deadlocks. Reads never take it (WAL: they do not wait on writers), nor does an autocommit
connection. Writers of other processes still meet in SQLite's own lock, as before. A thread that already holds the
gate and writes on a second connection goes on without it: SQLite orders those two, as it did before the gate.

PostgreSQL has row locks and is left alone.
"""

from __future__ import annotations

import re
import threading

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import Pool

_HELD = "catalogue.sqlite_writers.held"
_PATIENCE_SECONDS = 5.0
# The statements that make pysqlite open a write transaction (it BEGINs before INSERT, UPDATE, DELETE, REPLACE),
# and the schema's own writes.
_WRITE = re.compile(r"\s*(?:INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)


class _Gate:
    """One database file's writer turn in this process: the lock, and which thread holds it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.owner: int | None = None


_gates: dict[str, _Gate] = {}
_gates_lock = threading.Lock()


def _gate(database: str) -> _Gate:
    gate = _gates.get(database)
    if gate is None:
        with _gates_lock:
            gate = _gates.setdefault(database, _Gate())
    return gate


@event.listens_for(Engine, "before_cursor_execute")
def _take_turn(conn: Connection, cursor, statement: str, parameters, context, executemany) -> None:
    if conn.dialect.name != "sqlite" or _HELD in conn.info or not _WRITE.match(statement):
        return
    if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT" or conn.engine.url.database in (
        None,
        "",
        ":memory:",
    ):
        return
    gate = _gate(conn.engine.url.database)
    if gate.owner == threading.get_ident():
        return
    if not gate.lock.acquire(timeout=_PATIENCE_SECONDS):
        return  # a holder that never gives back (a connection kept open for long) costs a wait, never a deadlock
    gate.owner = threading.get_ident()
    conn.info[_HELD] = gate


def _give_back(info: dict) -> None:
    gate = info.pop(_HELD, None)
    if gate is not None:
        gate.owner = None
        gate.lock.release()


@event.listens_for(Pool, "checkin")
def _on_checkin(dbapi_connection, connection_record) -> None:
    """The turn ends when the connection goes back to the pool: after its COMMIT or ROLLBACK (a session's
    transaction ends by giving its connection back), or after the pool's own rollback of one returned open.

    Not at SQLAlchemy's "commit" and "rollback" events: they fire before the database's, and a writer let in
    then still meets the first one's lock."""
    if connection_record is not None:
        _give_back(connection_record.info)
