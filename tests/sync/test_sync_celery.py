"""The sync as a Celery task, through a real worker and the Redis on 127.0.0.1 (CATALOGUE_TEST_REDIS_URL)."""

from __future__ import annotations

import os

import pytest

from tests.conftest import require_service
from tests.sync.marketplace_fakes import SHOPEE
from tests.sync.sync_fixtures import shop_fixture, shopee_fixture  # noqa: F401 - fixtures

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])
REDIS_DB = 5  # not used by other tests


@pytest.fixture
def celery_redis():
    """The test Redis, database 5, flushed before and after."""
    base = os.environ.get("CATALOGUE_TEST_REDIS_URL", "")
    require_service(bool(base), "Celery tests need CATALOGUE_TEST_REDIS_URL, e.g. redis://127.0.0.1:6379/0")
    import redis

    url = base.rsplit("/", 1)[0] + f"/{REDIS_DB}" if base.count("/") >= 3 else f"{base}/{REDIS_DB}"
    connection = redis.Redis.from_url(url)
    try:
        connection.ping()
    except redis.ConnectionError:
        require_service(False, f"Redis at {url} does not answer")
    connection.flushdb()
    yield url
    connection.flushdb()


def test_the_sync_task_runs_through_a_celery_worker(shop, shopee, celery_redis, monkeypatch, tmp_path_factory):
    from celery.contrib.testing.worker import start_worker

    from marketplace_sync import tasks

    for name, value in {
        "CATALOGUE_API_URL": shop.url,
        "CATALOGUE_API_TOKEN": shop.sync_token,
        "SHOPEE_API_BASE": shopee.url,
        "SHOPEE_PARTNER_ID": str(SHOPEE["partner_id"]),
        "SHOPEE_PARTNER_KEY": SHOPEE["partner_key"],
        "SHOPEE_SHOP_ID": str(SHOPEE["shop_id"]),
        "SHOPEE_ACCESS_TOKEN": SHOPEE["access_token"],
        "SYNC_STATE_DIR": str(state := tmp_path_factory.mktemp("worker-state")),
        "SHOPEE_CALLS_PER_SECOND": "0",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(tasks, "app", tasks.make_celery(celery_redis))
    celery = tasks.app
    task = celery.task(name="marketplace_sync.tasks.sync_marketplace")(tasks.sync_marketplace.run)

    with start_worker(celery, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        first = task.delay("shopee").get(timeout=60)
        again = task.delay("shopee").get(timeout=60)

    assert (first["created"], first["errors"], first["complete"]) == (5, 1, True)
    assert again["calls"] == 0
    assert shopee.skus() == {sku: 1 for _, sku in shop.listable}
    assert list(state.iterdir()) == []  # the state is on the server, not on the worker's machine
