"""The same sync as Celery tasks, when `CELERY_BROKER_URL` is set (Redis).

    celery -A catalogue.sync.tasks worker --loglevel=info
    celery -A catalogue.sync.tasks beat --loglevel=info

Building the Celery object connects to nothing and creates no Flask app; the tasks
read the same environment as `flask sync run`. One run per marketplace at a time:
a Redis lock makes an overlapping beat tick skip instead of racing the running one.
"""

from __future__ import annotations

import os
from dataclasses import asdict

from celery import Celery

SYNC_EVERY = float(os.environ.get("SYNC_EVERY_SECONDS", 60))
ORDERS_EVERY = float(os.environ.get("SYNC_ORDERS_EVERY_SECONDS", 600))
LOCK_SECONDS = 30 * 60


def make_celery(broker_url: str | None = None) -> Celery:
    """The Celery app: broker and results in `CELERY_BROKER_URL`, a beat schedule for both marketplaces."""
    url = broker_url or os.environ.get("CELERY_BROKER_URL")
    celery = Celery("catalogue.sync", broker=url, backend=url, include=["catalogue.invoices.tasks"])
    celery.conf.update(
        task_acks_late=True,  # a worker killed mid-run leaves the task to another: runs are idempotent
        worker_prefetch_multiplier=1,
        task_time_limit=LOCK_SECONDS,
        broker_connection_retry_on_startup=True,
        beat_schedule={
            **{
                f"sync-{marketplace}": {
                    "task": "catalogue.sync.tasks.sync_marketplace",
                    "schedule": SYNC_EVERY,
                    "args": (marketplace,),
                }
                for marketplace in ("shopee", "lazada")
            },
            **{
                f"orders-{marketplace}": {
                    "task": "catalogue.sync.tasks.import_sales",
                    "schedule": ORDERS_EVERY,
                    "args": (marketplace,),
                }
                for marketplace in ("shopee", "lazada")
            },
            "notice-expired-certificates": {
                "task": "catalogue.sync.tasks.notice_expired",
                "schedule": 24 * 3600,
            },
            "expire-reservations": {
                "task": "catalogue.sync.tasks.expire_reservations",
                "schedule": 60,
            },
            "send-invoices": {  # queued e-invoices retried, missing ones issued
                "task": "catalogue.invoices.tasks.send_due",
                "schedule": 300,
            },
        },
    )
    return celery


app = make_celery()


def _state_dir() -> str:
    return os.environ.get("SYNC_STATE_DIR") or os.path.join(os.getcwd(), "instance")


def _locked(marketplace: str):
    """A Redis lock per marketplace (a no-op lock when the broker is not Redis)."""
    import contextlib

    url = app.conf.broker_url or ""
    if not url.startswith(("redis://", "rediss://")):
        return contextlib.nullcontext(True)
    import redis

    lock = redis.Redis.from_url(url).lock(f"catalogue:sync-lock:{marketplace}", timeout=LOCK_SECONDS)

    @contextlib.contextmanager
    def held():
        acquired = lock.acquire(blocking=False)
        try:
            yield acquired
        finally:
            if acquired:
                lock.release()

    return held()


@app.task(name="catalogue.sync.tasks.sync_marketplace")
def sync_marketplace(marketplace: str) -> dict:
    """Drain the change feed into `marketplace` once (what `flask sync run --once` does)."""
    from catalogue.sync.settings import worker_from_env

    with _locked(marketplace) as acquired:
        if not acquired:
            return {"marketplace": marketplace, "skipped": "another run holds the lock"}
        return asdict(worker_from_env(marketplace, _state_dir()).run_once())


@app.task(name="catalogue.sync.tasks.import_sales")
def import_sales(marketplace: str, hours: int = 72) -> dict:
    """Report the marketplace's recent orders to our API (each takes our stock once)."""
    from catalogue.sync.settings import worker_from_env

    return asdict(worker_from_env(marketplace, _state_dir()).import_sales(hours))


@app.task(name="catalogue.sync.tasks.notice_expired")
def notice_expired() -> int:
    """`flask sync notice-expired`: put newly expired certificates into the change feed."""
    from catalogue import clock, create_app
    from catalogue.sync import services

    with create_app().app_context():  # created here, in the task, never at import time
        return services.notice_expired_certificates(clock.today())


@app.task(name="catalogue.sync.tasks.expire_reservations")
def expire_reservations() -> int:
    """`flask orders expire`: unpaid orders past their reservation give their stock back."""
    from catalogue import clock, create_app
    from catalogue.orders.services import release_expired_reservations

    with create_app().app_context():
        return release_expired_reservations(clock.now())
