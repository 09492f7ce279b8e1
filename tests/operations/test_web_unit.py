"""The production web unit's threads fit the database pools a worker keeps.

Each gunicorn worker of `deploy/systemd/ocop-web.service` runs `--threads` threads, and each may hold a connection
of the app's engine and one of the cache checks' (`catalogue.products.freshness.hit_engine`). A pool keeps
`pool_size` connections and closes any further one on its return, so a worker with more threads than that starts a
PostgreSQL backend for many of its requests under load (the cache checks' pool once kept 2: under 4 threads the
pages' throughput halved, bench/README.md "Flash sale"). docs/operations.md says so; this keeps the unit to it.
"""

import re
from pathlib import Path

import pytest

from catalogue.extensions import db
from catalogue.products.freshness import hit_engine

UNIT = Path(__file__).resolve().parents[2] / "deploy" / "systemd" / "ocop-web.service"


def _unit_threads() -> int:
    command = next(line for line in UNIT.read_text().splitlines() if line.startswith("ExecStart="))
    threads = re.search(r"--threads[ =](\d+)", command)
    return int(threads.group(1)) if threads and "gthread" in command else 1


@pytest.mark.parametrize("backend", ["postgresql"])
def test_each_pool_keeps_a_connection_for_every_thread_of_the_web_unit(app):
    threads = _unit_threads()

    assert threads > 1  # the unit is threaded (gthread): the rule matters
    assert db.engine.pool.size() >= threads
    assert hit_engine().pool.size() >= threads
