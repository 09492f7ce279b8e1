"""SQLite writers of one process take turns on its gate (catalogue.sqlite_writers), not in SQLite's busy handler.

Each test's second writer connects with SQLite's busy timeout at 0: without the gate it fails at once with
"database is locked" while the first writer's transaction is open; with the gate it waits its turn.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from catalogue import sqlite_writers


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'writers.db'}", connect_args={"timeout": 0})
    with engine.begin() as connection:
        connection.execute(text("PRAGMA journal_mode=WAL"))
        connection.execute(text("CREATE TABLE stock (id INTEGER PRIMARY KEY, units INTEGER NOT NULL)"))
        connection.execute(text("INSERT INTO stock (id, units) VALUES (1, 10)"))
    yield engine
    engine.dispose()


def hold_write(engine, started: threading.Event, finish, seconds: float = 0.3) -> None:
    """A writer that takes the lock, keeps its transaction open `seconds`, then ends it with `finish`."""
    with engine.connect() as connection:
        connection.execute(text("UPDATE stock SET units = units - 1 WHERE id = 1"))
        started.set()
        time.sleep(seconds)
        finish(connection)


@contextmanager
def write_held_open(engine) -> Iterator[threading.Event]:
    """Another thread's write transaction, open until the block ends (then committed); yields its `started`."""
    started, release = threading.Event(), threading.Event()
    first = threading.Thread(
        target=hold_write, args=(engine, started, lambda connection: (release.wait(5), connection.commit()), 0)
    )
    first.start()
    started.wait(5)
    try:
        yield started
    finally:
        release.set()
        first.join(5)


def second_writer(engine, started: threading.Event) -> float:
    started.wait(5)
    with engine.begin() as connection:
        connection.execute(text("UPDATE stock SET units = units - 1 WHERE id = 1"))
    return time.monotonic()


@pytest.mark.parametrize("finish", ["commit", "rollback", "close"])
def test_a_second_writer_waits_its_turn_and_goes_on_when_the_first_ends(engine, finish):
    started = threading.Event()
    ended = {}

    def end(connection):
        ended["at"] = time.monotonic()
        if finish == "commit":
            connection.commit()
        elif finish == "rollback":
            connection.rollback()
        # "close": the connection goes back to the pool with its transaction open; the pool's reset ends it

    first = threading.Thread(target=hold_write, args=(engine, started, end))
    first.start()
    done_at = second_writer(engine, started)
    first.join(5)
    assert done_at >= ended["at"]
    with engine.connect() as connection:
        units = connection.execute(text("SELECT units FROM stock WHERE id = 1")).scalar_one()
    assert units == (8 if finish == "commit" else 9)


def test_reads_never_wait_for_the_writers_turn(engine):
    with write_held_open(engine):
        began = time.monotonic()
        with engine.connect() as connection:
            assert connection.execute(text("SELECT units FROM stock WHERE id = 1")).scalar_one() == 10
        assert time.monotonic() - began < 0.2


def test_a_turn_never_given_back_costs_a_wait_never_a_deadlock(engine, monkeypatch):
    """A holder that keeps its transaction open past the patience: the next writer meets SQLite's own lock."""
    monkeypatch.setattr(sqlite_writers, "_PATIENCE_SECONDS", 0.2)
    with write_held_open(engine) as started:
        began = time.monotonic()
        with pytest.raises(OperationalError, match="locked"):
            second_writer(engine, started)
        assert 0.15 < time.monotonic() - began < 2
    assert second_writer(engine, started)  # the turn came back with the commit


def test_one_thread_writing_on_two_connections_is_not_stopped_by_its_own_turn(engine):
    """The gate is per thread: a second connection of the same thread goes to SQLite as it did before."""
    with engine.connect() as first:
        first.execute(text("UPDATE stock SET units = units - 1 WHERE id = 1"))
        began = time.monotonic()
        with engine.connect() as second, pytest.raises(OperationalError, match="locked"):
            second.execute(text("UPDATE stock SET units = units - 1 WHERE id = 1"))
        assert time.monotonic() - began < 1
        first.commit()


def test_autocommit_connections_take_no_turn(engine):
    with write_held_open(engine), engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        began = time.monotonic()
        with pytest.raises(OperationalError, match="locked"):
            connection.execute(text("UPDATE stock SET units = 0 WHERE id = 1"))
        assert time.monotonic() - began < 1
