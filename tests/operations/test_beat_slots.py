"""One beat's worth of periodic jobs however many beats run: each job claims its slot in Redis first."""

from __future__ import annotations

import os
import uuid

import pytest

from tests.conftest import require_service


@pytest.fixture
def redis_broker(monkeypatch):
    url = os.environ.get("CATALOGUE_TEST_REDIS_URL")
    require_service(bool(url), "CATALOGUE_TEST_REDIS_URL is not set")
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    return url


def test_every_beat_job_claims_its_slot_before_it_runs():
    import catalogue.delivery.tasks  # noqa: F401 — registers its tasks on the app
    import catalogue.invoices.tasks  # noqa: F401
    from catalogue.tasks import app

    unguarded = [
        name for name, entry in app.conf.beat_schedule.items()
        if getattr(app.tasks[entry["task"]].run, "periodic_slot", None) != name
    ]  # fmt: skip
    assert unguarded == [], "decorate these beat jobs with catalogue.tasks.periodic(<schedule name>)"


def test_a_slot_is_claimed_once_however_many_beats_ask(redis_broker):
    from catalogue.tasks import once_per_slot

    job = f"test-{uuid.uuid4().hex}"

    assert [once_per_slot(job, 60) for _ in range(3)] == [True, False, False]


def test_two_beats_sending_the_same_job_run_it_once(redis_broker, monkeypatch):
    from catalogue import tasks

    ran = []
    monkeypatch.setitem(tasks.app.conf.beat_schedule, "probe-job", {"task": "probe", "schedule": 60})
    monkeypatch.setattr(tasks, "once_per_slot", _fresh_slots(tasks.once_per_slot))

    @tasks.periodic("probe-job")
    def probe() -> str:
        ran.append(1)
        return "ran"

    assert [probe(), probe()] == ["ran", "skipped"] and len(ran) == 1


def _fresh_slots(claim):
    prefix = uuid.uuid4().hex  # a slot name no earlier run of the suite claimed
    return lambda name, seconds: claim(f"{prefix}-{name}", seconds)


def test_without_a_redis_broker_the_one_process_runs_every_time(monkeypatch):
    from catalogue.tasks import once_per_slot

    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)

    assert once_per_slot("anything", 60) and once_per_slot("anything", 60)
