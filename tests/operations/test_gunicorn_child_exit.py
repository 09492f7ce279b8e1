"""gunicorn's child_exit hook (gunicorn.conf.py): a dead worker's live gauges go, and the hook imports nothing.

The hook runs in the master's SIGCHLD handling; when the workers stopped together, a second exit arrived while
the first one's import was under way and failed half-initialised. Nothing may be imported when it runs.
"""

from __future__ import annotations

import builtins
from types import SimpleNamespace

import pytest

from tests.production_helpers import gunicorn_settings


@pytest.fixture
def no_imports(monkeypatch):
    def refuse(name, *args, **kwargs):
        raise AssertionError(f"child_exit imported {name}")

    return lambda: monkeypatch.setattr(builtins, "__import__", refuse)


def test_a_dead_workers_live_gauges_leave_and_nothing_is_imported(tmp_path, monkeypatch, no_imports):
    settings = gunicorn_settings()
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    for name in ("gauge_livesum_4242.db", "gauge_liveall_4242.db", "counter_4242.db", "gauge_livesum_7.db"):
        (tmp_path / name).write_bytes(b"")
    no_imports()
    settings.child_exit(server=None, worker=SimpleNamespace(pid=4242))
    monkeypatch.undo()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["counter_4242.db", "gauge_livesum_7.db"]


def test_without_multiprocess_metrics_the_hook_does_nothing(tmp_path, monkeypatch, no_imports):
    settings = gunicorn_settings()
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    no_imports()
    settings.child_exit(server=None, worker=SimpleNamespace(pid=4242))
