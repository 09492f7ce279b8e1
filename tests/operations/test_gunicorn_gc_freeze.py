"""gunicorn's post_worker_init hook (gunicorn.conf.py): what a worker loaded at its start leaves the garbage
collector's reach, so a full collection no longer walks the whole app while every thread of the worker waits."""

from __future__ import annotations

import gc
from types import SimpleNamespace

import pytest

from tests.production_helpers import gunicorn_settings

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])  # the app's objects, whatever its database


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def tracked(thing: object) -> bool:
    """`thing` is among the objects a collection walks."""
    return any(candidate is thing for candidate in gc.get_objects())


def test_the_loaded_app_is_frozen_and_what_requests_make_is_not(app, unfrozen):
    assert gc.get_freeze_count() == 0
    assert tracked(app.config)
    gunicorn_settings().post_worker_init(worker=SimpleNamespace(pid=4242))
    assert gc.get_freeze_count() > 0
    assert not tracked(app.config)
    made_later = [["QN-1"]]  # a container of containers: one the collector tracks
    assert tracked(made_later)
