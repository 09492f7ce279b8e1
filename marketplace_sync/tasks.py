"""The worker's jobs as Celery tasks, when `CELERY_BROKER_URL` is set (Redis).

    celery -A marketplace_sync.tasks worker --loglevel=info
    celery -A marketplace_sync.tasks beat --loglevel=info

Building the Celery object connects to nothing; the tasks read the same environment as
`python -m marketplace_sync run`. One run per marketplace and job at a time: a Redis lock
makes an overlapping beat tick skip instead of racing the running one. A marketplace whose
settings are not set (a shop not selling on TikTok Shop, say) is skipped, not failed, every tick. The server's own
jobs (reservations, certificate notices) are in `catalogue.tasks`.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import asdict

from celery import Celery

MARKETPLACES = ("shopee", "lazada", "tiktok")
SYNC_EVERY = float(os.environ.get("SYNC_EVERY_SECONDS", 60))
ORDERS_EVERY = float(os.environ.get("SYNC_ORDERS_EVERY_SECONDS", 600))
LOCK_SECONDS = 30 * 60


def make_celery(broker_url: str | None = None) -> Celery:
    """The Celery app: broker and results in `CELERY_BROKER_URL`, a beat schedule for every marketplace."""
    url = broker_url or os.environ.get("CELERY_BROKER_URL")
    celery = Celery("marketplace_sync", broker=url, backend=url)
    celery.conf.update(
        task_acks_late=True,  # a worker killed mid-run leaves the task to another: runs are idempotent
        worker_prefetch_multiplier=1,
        task_time_limit=LOCK_SECONDS,
        broker_connection_retry_on_startup=True,
        beat_schedule={
            **{
                f"sync-{marketplace}": {
                    "task": "marketplace_sync.tasks.sync_marketplace",
                    "schedule": SYNC_EVERY,
                    "args": (marketplace,),
                }
                for marketplace in MARKETPLACES
            },
            **{
                f"orders-{marketplace}": {
                    "task": "marketplace_sync.tasks.import_orders",
                    "schedule": ORDERS_EVERY,
                    "args": (marketplace,),
                }
                for marketplace in MARKETPLACES
            },
        },
    )
    return celery


app = make_celery()


def _locked(name: str):
    """A Redis lock per job (a no-op lock when the broker is not Redis)."""
    url = app.conf.broker_url or ""
    if not url.startswith(("redis://", "rediss://")):
        return contextlib.nullcontext(True)
    import redis

    lock = redis.Redis.from_url(url).lock(f"marketplace-sync:lock:{name}", timeout=LOCK_SECONDS)

    @contextlib.contextmanager
    def held():
        acquired = lock.acquire(blocking=False)
        try:
            yield acquired
        finally:
            if acquired:
                lock.release()

    return held()


@app.task(name="marketplace_sync.tasks.sync_marketplace")
def sync_marketplace(marketplace: str) -> dict:
    """Drain the change feed into `marketplace` once (what `run --once` does)."""
    from marketplace_sync.settings import SettingsMissing, worker_from_env

    with _locked(marketplace) as acquired:
        if not acquired:
            return {"marketplace": marketplace, "skipped": "another run holds the lock"}
        try:
            worker = worker_from_env(marketplace)
        except SettingsMissing as missing:
            return {"marketplace": marketplace, "skipped": f"not configured: {missing}"}
        return asdict(worker.run_once())


@app.task(name="marketplace_sync.tasks.import_orders")
def import_orders(marketplace: str, hours: int = 72) -> dict:
    """Report the marketplace's orders to our API (each takes our stock once)."""
    from marketplace_sync.settings import SettingsMissing, worker_from_env

    with _locked(f"{marketplace}-orders") as acquired:
        if not acquired:
            return {"marketplace": marketplace, "skipped": "another run holds the lock"}
        try:
            worker = worker_from_env(marketplace)
        except SettingsMissing as missing:
            return {"marketplace": marketplace, "skipped": f"not configured: {missing}"}
        return asdict(worker.import_sales(hours))
