"""The server's periodic jobs as Celery tasks, when `CELERY_BROKER_URL` is set (Redis).

    celery -A catalogue.tasks worker --loglevel=info
    celery -A catalogue.tasks beat --loglevel=info

Each task is the same service as its CLI command and builds the app inside the task,
never at import time. The marketplace worker's jobs are in `marketplace_sync.tasks`.
"""

from __future__ import annotations

import os
import time

from celery import Celery, signals


def make_celery(broker_url: str | None = None) -> Celery:
    """The Celery app of the server's jobs, with their beat schedule."""
    url = broker_url or os.environ.get("CELERY_BROKER_URL")
    celery = Celery(
        "catalogue", broker=url, backend=url, include=["catalogue.invoices.tasks", "catalogue.delivery.tasks"]
    )
    celery.conf.update(
        task_acks_late=True,  # both jobs are idempotent: a killed worker's task runs again elsewhere
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        # A job a killed worker had taken (acks late) goes back to the queue after this many seconds
        # (Redis' visibility timeout; kombu's default is an hour). Longer than the longest job.
        broker_transport_options={"visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "900"))},
        beat_schedule={
            "notice-expired-certificates": {"task": "catalogue.tasks.notice_expired", "schedule": 24 * 3600},
            "expire-reservations": {"task": "catalogue.tasks.expire_reservations", "schedule": 60},
            # Queued e-invoices retried, and those a lost job left out issued.
            "send-invoices": {"task": "catalogue.invoices.tasks.send_due", "schedule": 300},
            # Sales rollup days a lost settle left pending (each commit that marks a day queues its own).
            "settle-sales-rollup": {"task": "catalogue.tasks.settle_sales_rollup", "schedule": 60},
            # The buyers' emails a mail server did not take (catalogue.mail's outbox).
            "retry-mail": {"task": "catalogue.tasks.retry_mail", "schedule": 300},
            # Stamp scans buffered in Redis written in one batch (each worker's own flusher does it too).
            "flush-scans": {"task": "catalogue.tasks.flush_scans", "schedule": 60},
            # Parcel bookings the carrier did not answer tried again; parcels whose callbacks stopped read back.
            "delivery-sweep": {"task": "catalogue.delivery.tasks.sweep", "schedule": 600},
        },
    )
    return celery


app = make_celery()


def once_per_slot(name: str, seconds: int) -> bool:
    """True for the first caller of this job in its time slot, False for any other (a second beat's copy).

    Two beat processes (a deployment mistake, or two nodes each started with one) would each send
    every periodic job. Each job first claims its slot (`SET key NX EX`) in the broker's Redis, so it
    runs once per slot however many beats sent it. Without a Redis broker there is one process: it runs.
    """
    url = os.environ.get("CELERY_BROKER_URL") or ""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return True
    import redis

    slot = int(time.time()) // seconds
    client = redis.Redis.from_url(url)
    try:
        return bool(client.set(f"catalogue:beat:{name}:{slot}", "1", nx=True, ex=seconds * 2))
    finally:
        client.close()


def periodic(name: str):
    """A beat job: runs once per slot of its schedule (`once_per_slot`), else answers "skipped"."""
    seconds = int(app.conf.beat_schedule[name]["schedule"])

    def decorator(function):
        def run(*args, **kwargs):
            if not once_per_slot(name, seconds):
                return "skipped"
            return function(*args, **kwargs)

        run.__name__, run.__doc__ = function.__name__, function.__doc__
        run.periodic_slot = name  # tests/operations/test_beat_slots.py checks every beat job carries it
        return run

    return decorator


@app.task(name="catalogue.tasks.notice_expired")
@periodic("notice-expired-certificates")
def notice_expired() -> int:
    """`flask sync notice-expired`: put newly expired certificates into the change feed."""
    from catalogue import clock, create_app
    from catalogue.sync import services

    with create_app().app_context():
        return services.notice_expired_certificates(clock.today())


@app.task(name="catalogue.tasks.expire_reservations")
@periodic("expire-reservations")
def expire_reservations() -> int:
    """`flask orders expire`: unpaid orders past their reservation give their stock back."""
    from catalogue import clock, create_app
    from catalogue.orders.services import release_expired_reservations

    with create_app().app_context():
        return release_expired_reservations(clock.now())


@app.task(name="catalogue.tasks.settle_sales_rollup")
@periodic("settle-sales-rollup")
def settle_sales_rollup() -> int:
    """Rebuild the sales rollup's pending days (queued after each sale's commit, and by beat); how many."""
    from catalogue import create_app
    from catalogue.reports.rollup import settle_pending_days

    with create_app().app_context():
        return settle_pending_days()


@app.task(name="catalogue.tasks.flush_scans")
@periodic("flush-scans")
def flush_scans() -> int:
    """`flask scans flush`: write the buffered stamp scans (the shared Redis buffer); how many new ones counted."""
    from catalogue import create_app
    from catalogue.traceability.scans import flush

    with create_app().app_context():
        return flush()


@app.task(name="catalogue.tasks.run_import")
def run_import(job_id: int) -> int:
    """An office's import of a decision list (catalogue.imports.jobs); a job already taken is left alone."""
    from catalogue import create_app
    from catalogue.imports.jobs import run_job

    with create_app().app_context():
        job = run_job(job_id)
        return job.done_rows if job else 0


# What the worker tells the operator: each job's count and time (catalogue.metrics), its traces when
# OTEL_EXPORTER_OTLP_ENDPOINT is set, and /metrics of its own when CELERY_METRICS_PORT is set (a worker
# node serves no web requests; with PROMETHEUS_MULTIPROC_DIR the prefork children's figures add up).
_started: dict[str, float] = {}


@signals.task_prerun.connect
def _task_started(task_id=None, task=None, **_) -> None:
    _started[task_id] = time.perf_counter()


@signals.task_postrun.connect
def _task_finished(task_id=None, task=None, state=None, **_) -> None:
    from catalogue import metrics

    name = getattr(task, "name", "unknown")
    started = _started.pop(task_id, None)
    if started is not None:
        metrics.TASK_DURATION.labels(name).observe(time.perf_counter() - started)
    metrics.TASKS.labels(name, (state or "unknown").lower()).inc()


@signals.worker_process_init.connect
def _trace_worker_process(**_) -> None:
    """OpenTelemetry's Celery instrumentation starts in each worker process, after the fork (its docs)."""
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    if endpoint:
        from opentelemetry.instrumentation.celery import CeleryInstrumentor

        from catalogue.observability import start_tracer_provider

        start_tracer_provider(endpoint, os.environ.get("OTEL_SERVICE_NAME") or "ocop-catalogue-worker")
        CeleryInstrumentor().instrument()


@signals.worker_init.connect
def _serve_worker_metrics(**_) -> None:
    port = os.environ.get("CELERY_METRICS_PORT")
    if port:
        from prometheus_client import REGISTRY, CollectorRegistry, start_http_server

        registry = REGISTRY
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        start_http_server(int(port), addr=os.environ.get("CELERY_METRICS_ADDR", "127.0.0.1"), registry=registry)


@app.task(name="catalogue.tasks.retry_mail")
@periodic("retry-mail")
def retry_mail() -> int:
    """`flask mail retry`: send the buyers' emails the mail server did not take, when their retry is due."""
    from catalogue import clock, create_app
    from catalogue.mail import retry_due

    with create_app().app_context():
        return retry_due(clock.now())
