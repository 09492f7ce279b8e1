"""What tells an operator how the shop is doing: request ids, JSON logs, metrics, readiness, traces.

- **Request id.** Every answer carries `X-Request-ID`: the caller's when it sent a sane one
  (a load balancer's or nginx's `$request_id`), a new one otherwise; every log line written
  while answering carries it (`request_id`), so one request can be followed across the log.
- **Logs.** `LOG_FORMAT=json` (the production default): one JSON object a line, with the
  time, level, logger, message, request id and, for the access line of each request, route,
  method, status, duration and the acting principal's id. Never a query string, a header, a
  token or a body: the access line logs the route's rule, not the URL.
- **Metrics.** `GET /metrics` in Prometheus' text format (`catalogue.metrics` lists them),
  for the whole node under gunicorn when `PROMETHEUS_MULTIPROC_DIR` is set; guarded by
  `METRICS_TOKEN` when it is set (contract §8).
- **Readiness.** `GET /readyz`: 200 when the database, Redis (when configured) and the file
  storage answer; 503 naming what does not. `/healthz` stays the liveness check.
- **Traces.** With `OTEL_EXPORTER_OTLP_ENDPOINT` set, OpenTelemetry traces for Flask,
  SQLAlchemy and outgoing HTTP (requests) go to that collector over OTLP/HTTP; Celery's
  are started in each worker process (`catalogue.tasks`).
"""

from __future__ import annotations

import hmac
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, Request, Response, g, has_request_context, jsonify, request

from catalogue import metrics
from catalogue.extensions import db

log = logging.getLogger(__name__)
access_log = logging.getLogger("catalogue.access")

REQUEST_ID_HEADER = "X-Request-ID"
# What a caller may send as its request id: short, no spaces, nothing a log parser chokes on.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}")
PROBES = frozenset({"/metrics", "/readyz", "/healthz"})  # counted, not logged; not pages (catalogue.waiting_room)


def init_observability(app: Flask) -> None:
    """Request ids, the access log line and metrics on every request; /metrics and /readyz; traces when asked."""
    install_log_record_fields()
    configure_logging(app.config.get("LOG_FORMAT", "text"), app.config.get("LOG_LEVEL", "INFO"))
    app.before_request(_start_request)
    app.after_request(_finish_request)
    app.add_url_rule("/metrics", "metrics", _metrics_view, methods=["GET"])
    app.add_url_rule("/readyz", "readyz", _readyz_view, methods=["GET"])
    from catalogue.extensions import limiter

    for endpoint in ("metrics", "readyz"):  # a probe is never rate-limited out of its answer
        limiter.exempt(app.view_functions[endpoint])
        probe_over_plain_http(app.view_functions[endpoint])
    if app.config.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        init_tracing(app)
    from catalogue.events import OrderPaid, OrderPlaced, SaleRecorded, subscribe

    subscribe(app, OrderPlaced, _count_order_placed)
    subscribe(app, OrderPaid, _count_payment)
    subscribe(app, SaleRecorded, _count_units_sold)


def _count_order_placed(event) -> None:
    metrics.ORDERS_PLACED.inc()


def _count_payment(event) -> None:
    """Counted by the rail that settled the order (after commit: the order is read as it was kept)."""
    from catalogue.orders.models import Order

    order = db.session.get(Order, event.order_id)
    metrics.PAYMENTS.labels((order.settled_by or order.payment_method) if order is not None else "unknown").inc()


def probe_over_plain_http(view: Callable) -> Callable:
    """Load balancers and Prometheus ask a node directly over plain HTTP: no redirect to HTTPS for them.

    (Talisman reads a view's own options from this attribute, as its decorator would set them.)
    """
    view.talisman_view_options = {"force_https": False}
    return view


def _count_units_sold(event) -> None:
    """Every sale that landed and was kept (after commit), shop or marketplace, by its units."""
    metrics.UNITS_SOLD.labels(event.channel).inc(sum(quantity for _, quantity in event.lines))


# Request ids and the access line


def _start_request() -> None:
    sent = request.headers.get(REQUEST_ID_HEADER, "")
    state = g._get_current_object()
    state.request_id = sent if sent and _SANE_REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex
    state.request_started = time.perf_counter()


# The labelled children of the request metrics, per (route, method[, status]): `labels()` takes the metric's lock and
# builds its key on every call. A bounded set (routes × methods × statuses); prometheus keeps the same children.
_request_counters: dict[tuple[str, str, int], Any] = {}
_request_durations: dict[tuple[str, str], Any] = {}


def _finish_request(response: Response) -> Response:
    current = request._get_current_object()  # one context lookup for all the request's facts below
    state = g._get_current_object()
    request_id = getattr(state, "request_id", None) or uuid.uuid4().hex
    response.headers[REQUEST_ID_HEADER] = request_id
    started = getattr(state, "request_started", None)
    elapsed = time.perf_counter() - started if started is not None else 0.0
    rule = current.url_rule
    route = rule.rule if rule is not None else "unmatched"
    method, status = current.method, response.status_code
    counter = _request_counters.get((route, method, status))
    if counter is None:
        counter = _request_counters[route, method, status] = metrics.HTTP_REQUESTS.labels(route, method, str(status))
    counter.inc()
    duration = _request_durations.get((route, method))
    if duration is None:
        duration = _request_durations[route, method] = metrics.HTTP_DURATION.labels(route, method)
    duration.observe(elapsed)
    if current.path not in PROBES:
        access_log.info(
            "%s %s %s",
            method,
            route,
            status,
            extra={
                "route": route,
                "method": method,
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
                "principal_id": _principal_id(current, state),
            },
        )
    return response


def _principal_id(current: Request, state) -> int | None:
    """The acting user's id: the API token's, else the signed-in portal user's; None for a shopper.

    Only a user this request already loaded counts: loading one here (current_user) would run Flask-Login's
    session protection on every shopper's session, which marks it `_remember: clear` and so sets cookies on
    anonymous storefront answers (a cached page must not set any)."""
    principal = current.environ.get("catalogue.principal")
    if principal is not None and getattr(principal, "user_id", None) is not None:
        return principal.user_id
    user = getattr(state, "_login_user", None)  # where Flask-Login keeps the user it loaded for this request
    if getattr(user, "is_authenticated", False):
        return getattr(user, "id", None)
    return None


# Logs

_RECORD_FIELDS_INSTALLED = False


def install_log_record_fields() -> None:
    """Give every log record `request_id` (None outside a request), whatever handler writes it."""
    global _RECORD_FIELDS_INSTALLED
    if _RECORD_FIELDS_INSTALLED:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = g.get("request_id") if has_request_context() else None
        return record

    logging.setLogRecordFactory(factory)
    _RECORD_FIELDS_INSTALLED = True


class _OurHandler(logging.StreamHandler):
    """The handler this module puts on the root logger (so a second app in the process replaces, not adds, it)."""


def json_formatter() -> logging.Formatter:
    """One JSON object a line: time, level, logger, message, request id, and any `extra` fields."""
    from pythonjsonlogger.json import JsonFormatter

    return JsonFormatter(
        "{asctime}{levelname}{name}{message}{request_id}",
        style="{",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        timestamp=False,
    )


def configure_logging(log_format: str, level: str = "INFO", stream=None) -> None:
    """Log to stderr in `log_format` ("json" or "text"); leaves handlers others (pytest, gunicorn) added alone."""
    if log_format not in ("json", "text"):
        raise ValueError(f"LOG_FORMAT must be json or text, not {log_format!r}")
    root = logging.getLogger()
    if log_format == "text" and _someone_else_logs(root):
        return  # development server, pytest: their own handlers already show the lines
    remove_log_handler()
    handler = _OurHandler(stream or sys.stderr)
    handler.setFormatter(
        json_formatter()
        if log_format == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
    )
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("catalogue").setLevel(level)


def remove_log_handler() -> None:
    """Take this module's handler off the root logger (a test's teardown, a reconfiguration)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _OurHandler)]:
        root.removeHandler(handler)


def _someone_else_logs(root: logging.Logger) -> bool:
    return any(not isinstance(handler, _OurHandler) for handler in root.handlers)


# /metrics


def _metrics_view() -> Response:
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

    token = _config("METRICS_TOKEN")
    if token:
        sent = request.headers.get("Authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            return Response(
                "Send Authorization: Bearer <METRICS_TOKEN>.\n",
                401,
                {"WWW-Authenticate": 'Bearer realm="metrics"', "Content-Type": "text/plain; charset=utf-8"},
            )
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    response = Response(generate_latest(registry), 200, {"Content-Type": CONTENT_TYPE_LATEST})
    response.headers["Cache-Control"] = "no-store"
    return response


# /readyz


def _readyz_view() -> tuple[Response, int]:
    checks = {"database": _database_answers, "storage": _storage_answers}
    redis_url = redis_url_of(_config_mapping())
    if redis_url:
        checks["redis"] = lambda: _redis_answers(redis_url)
    results = {name: _outcome(check) for name, check in checks.items()}
    failing = sorted(name for name, result in results.items() if result != "ok")
    body = {"status": "ready" if not failing else "unavailable", "checks": results}
    if failing:
        body["failing"] = failing
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response, 503 if failing else 200


def _outcome(check: Callable[[], None]) -> str:
    try:
        check()
    except Exception as error:  # noqa: BLE001 — a probe names what failed; the reason goes to the log
        log.warning("readiness check failed: %s", type(error).__name__)
        return "unavailable"
    return "ok"


def _database_answers() -> None:
    try:
        db.session.execute(sa.text("SELECT 1"))
    finally:
        db.session.rollback()


def redis_url_of(config) -> str | None:
    """The Redis this node depends on, if any: the rate limits' store, the job broker, the cache."""
    for key in ("REDIS_URL", "RATELIMIT_STORAGE_URI", "CELERY_BROKER_URL"):
        value = config.get(key) or ""
        if value.startswith(("redis://", "rediss://", "unix://")):
            return value
    return None


def _redis_answers(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    finally:
        client.close()


def _storage_answers() -> None:
    """The file storage answers: the app's storage port when it has one, else MEDIA_ROOT is a writable folder."""
    from flask import current_app

    storage = current_app.extensions.get("catalogue.storage")
    if storage is not None and hasattr(storage, "check"):
        storage.check()
        return
    root = Path(current_app.config["MEDIA_ROOT"])
    root.mkdir(parents=True, exist_ok=True)
    if not os.access(root, os.W_OK):
        raise PermissionError(str(root))


def _config(key: str):
    from flask import current_app

    return current_app.config.get(key)


def _config_mapping():
    from flask import current_app

    return current_app.config


# Traces

_TRACING_STARTED = False


def init_tracing(app: Flask) -> None:
    """OpenTelemetry for Flask, SQLAlchemy and requests, exporting over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT."""
    from opentelemetry.instrumentation.flask import FlaskInstrumentor
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    service = app.config.get("OTEL_SERVICE_NAME") or "ocop-catalogue"
    start_tracer_provider(app.config["OTEL_EXPORTER_OTLP_ENDPOINT"], service)
    FlaskInstrumentor().instrument_app(app, excluded_urls="metrics,readyz,healthz")
    with app.app_context():
        SQLAlchemyInstrumentor().instrument(engine=db.engine)


def start_tracer_provider(endpoint: str, service_name: str) -> None:
    """Once per process: the tracer provider, its OTLP exporter (endpoint from the environment) and requests' spans."""
    global _TRACING_STARTED
    if _TRACING_STARTED:
        return
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.requests import RequestsInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")))
    trace.set_tracer_provider(provider)
    RequestsInstrumentor().instrument()
    _TRACING_STARTED = True
