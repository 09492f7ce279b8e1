"""The localstripe the tests and benches start keeps its objects in memory (tests/localstripe_in_memory.py):
no write of its store writes a file, so a create costs the same at the thousandth PaymentIntent as at the first."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("localstripe")

from localstripe import resources  # noqa: E402

from tests.localstripe_in_memory import keep_in_memory  # noqa: E402

STORE_FILE = Path("/tmp/localstripe.pickle")


def stamp() -> tuple[int, int] | None:
    try:
        found = STORE_FILE.stat()
    except FileNotFoundError:
        return None
    return found.st_mtime_ns, found.st_size


def test_a_write_to_the_store_leaves_no_file(monkeypatch):
    monkeypatch.setattr(resources.Store, "dump_to_disk", resources.Store.dump_to_disk)  # undone after the test
    keep_in_memory()
    before = stamp()
    store = resources.Store()
    store["pi_1"] = {"amount": 200_000}
    del store["pi_1"]
    store["pi_2"] = {"amount": 150_000}
    assert stamp() == before
    assert store == {"pi_2": {"amount": 150_000}}
