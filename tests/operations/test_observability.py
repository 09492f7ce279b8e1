"""What the operator sees: X-Request-ID, JSON log lines, /metrics (also across gunicorn workers), /readyz, traces."""

from __future__ import annotations

import io
import json
import logging
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from catalogue import create_app
from catalogue.accounts.models import User
from catalogue.extensions import db
from catalogue.observability import configure_logging, remove_log_handler
from tests.access_helpers import cast, portal_client
from tests.conftest import _config
from tests.invoices.invoice_helpers import invoices_of, invoicing_shelf, pay, place
from tests.live import gunicorn_serving
from tests.payments.rail_helpers import use_rails

ROOT = Path(__file__).resolve().parents[2]


def _value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _scraped(text: str, name: str, **labels) -> float:
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(key) == value for key, value in labels.items()):
                total += sample.value
    return total


# X-Request-ID


def test_a_sane_request_id_is_echoed_and_a_missing_one_is_made(client):
    given = client.get("/api/v1/categories", headers={"X-Request-ID": "lb-7f3a.2"})
    made = client.get("/api/v1/categories")

    assert given.headers["X-Request-ID"] == "lb-7f3a.2"
    assert len(made.headers["X-Request-ID"]) == 32
    assert made.headers["X-Request-ID"] != client.get("/api/v1/categories").headers["X-Request-ID"]


@pytest.mark.parametrize("sent", ["has space", "x" * 200, "tab\there", "<script>", "é-accent", ""])
def test_a_request_id_that_could_corrupt_a_log_is_replaced(client, sent):
    answered = client.get("/api/v1/categories", headers={"X-Request-ID": sent}).headers["X-Request-ID"]

    assert answered != sent and len(answered) == 32


def test_errors_carry_the_request_id_too(client):
    response = client.get("/api/v1/products/999999", headers={"X-Request-ID": "trace-404"})

    assert response.status_code == 404 and response.headers["X-Request-ID"] == "trace-404"


# Logs


@pytest.fixture
def json_logs():
    written = io.StringIO()
    configure_logging("json", stream=written)
    yield lambda: [json.loads(line) for line in written.getvalue().splitlines()]
    remove_log_handler()


def test_each_request_logs_one_json_line_with_its_id_route_status_duration(client, json_logs):
    client.get("/api/v1/products/999999", headers={"X-Request-ID": "req-42"})

    access = [line for line in json_logs() if line["logger"] == "catalogue.access"]
    assert len(access) == 1
    line = access[0]
    assert line["request_id"] == "req-42"
    assert (line["route"], line["method"], line["status"]) == ("/api/v1/products/<int:product_id>", "GET", 404)
    assert line["duration_ms"] >= 0 and line["level"] == "INFO" and "time" in line
    assert line["principal_id"] is None


def test_the_log_names_the_principal_and_never_its_token_or_the_query(app, json_logs):
    token = cast()["tokens"]["sync_token"]
    client = app.test_client()
    client.get("/api/v1/sync/changes?since=secret-query-words", headers={"Authorization": f"Bearer {token}"})

    lines = json_logs()
    written = json.dumps(lines)
    assert token not in written and "secret-query-words" not in written
    access = [line for line in lines if line["logger"] == "catalogue.access"]
    assert access[-1]["principal_id"] is not None


def test_the_log_names_the_signed_in_portal_user_and_sets_no_cookie_for_a_shopper(app, json_logs):
    world = cast()
    owner = portal_client(app, world, "owner")
    shopper = app.test_client()
    shopper.get("/products")  # the first view gives the shopper a session
    owner.get("/portal/")
    again = shopper.get("/products")

    access = [line for line in json_logs() if line["logger"] == "catalogue.access"]
    owner_id = db.session.scalar(select(User.id).where(User.email == "owner@example.com"))
    assert (access[-2]["route"], access[-2]["principal_id"]) == ("/portal/", owner_id)
    assert access[-1]["principal_id"] is None
    assert "Set-Cookie" not in again.headers  # naming nobody loads nobody: the shopper's session is untouched


def test_a_log_line_written_inside_a_request_carries_its_id(app, json_logs):
    @app.get("/_test/logs")
    def _logs():
        logging.getLogger("catalogue.test").warning("something noteworthy")
        return "ok"

    app.test_client().get("/_test/logs", headers={"X-Request-ID": "inner-1"})

    inner = [line for line in json_logs() if line["logger"] == "catalogue.test"]
    assert inner == [
        {"time": inner[0]["time"], "level": "WARNING", "logger": "catalogue.test", "message": "something noteworthy",
         "request_id": "inner-1"}
    ]  # fmt: skip


def test_production_logs_json_by_default(monkeypatch, tmp_path):
    from catalogue.config import ConfigError, _observability_settings

    monkeypatch.delenv("LOG_FORMAT", raising=False)
    assert _observability_settings("production")["LOG_FORMAT"] == "json"
    assert _observability_settings("development")["LOG_FORMAT"] == "text"
    monkeypatch.setenv("LOG_FORMAT", "xml")
    with pytest.raises(ConfigError, match="LOG_FORMAT"):
        _observability_settings("production")


# /metrics


def test_metrics_count_requests_by_route_and_status(client):
    route = "/api/v1/products/<int:product_id>"
    before = _value("catalogue_http_requests_total", route=route, method="GET", status="404")
    for _ in range(3):
        client.get("/api/v1/products/999999")

    text = client.get("/metrics").get_data(as_text=True)

    assert _scraped(text, "catalogue_http_requests_total", route=route, method="GET", status="404") == before + 3
    assert _scraped(text, "catalogue_http_request_duration_seconds_count", route=route) >= 3


def test_an_unmatched_url_is_one_series_not_one_per_url(client):
    client.get("/no/such/page/1")
    client.get("/no/such/page/2")

    text = client.get("/metrics").get_data(as_text=True)

    assert "/no/such/page" not in text
    assert _scraped(text, "catalogue_http_requests_total", route="unmatched") >= 2


def test_metrics_ask_for_the_token_when_one_is_set(app):
    app.config["METRICS_TOKEN"] = "scrape-me"
    client = app.test_client()

    refused = client.get("/metrics")
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
    allowed = client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})

    assert refused.status_code == 401 and "METRICS_TOKEN" in refused.get_data(as_text=True)
    assert wrong.status_code == 401
    assert allowed.status_code == 200 and allowed.mimetype == "text/plain"


def test_business_counters_move_with_orders_payments_and_invoices(app, empty_client):
    use_rails(app)
    products = invoicing_shelf()
    placed_before = _value("catalogue_orders_placed_total")
    paid_before = _value("catalogue_payments_total", rail="vietqr")
    issued_before = _value("catalogue_invoices_total", result="issued")

    placed = place(empty_client, (products["mien"], 2), (products["tuoi"], 1))
    pay(empty_client, placed, 9101)

    assert _value("catalogue_orders_placed_total") == placed_before + 1
    assert _value("catalogue_payments_total", rail="vietqr") == paid_before + 1
    issued = len(invoices_of(placed["code"]))
    assert issued >= 1 and _value("catalogue_invoices_total", result="issued") == issued_before + issued


def test_the_response_cache_counts_hits_and_misses(client):
    url = "/api/v1/products?q=metricsprobe"
    misses = _value("catalogue_response_cache_total", result="miss")
    hits = _value("catalogue_response_cache_total", result="hit")

    client.get(url)
    client.get(url)

    assert _value("catalogue_response_cache_total", result="miss") >= misses + 1
    assert _value("catalogue_response_cache_total", result="hit") >= hits + 1


def test_celery_jobs_are_counted_by_task_and_outcome():
    from catalogue.tasks import make_celery

    worker = make_celery("memory://")
    worker.conf.update(task_always_eager=True, result_backend="cache+memory://")

    @worker.task(name="catalogue.tests.probe")
    def probe(fail: bool) -> str:
        if fail:
            raise RuntimeError("boom")
        return "done"

    before = _value("catalogue_tasks_total", task="catalogue.tests.probe", state="success")
    failed_before = _value("catalogue_tasks_total", task="catalogue.tests.probe", state="failure")
    probe.apply(args=(False,))
    probe.apply(args=(True,))

    assert _value("catalogue_tasks_total", task="catalogue.tests.probe", state="success") == before + 1
    assert _value("catalogue_tasks_total", task="catalogue.tests.probe", state="failure") == failed_before + 1
    assert _value("catalogue_task_duration_seconds_count", task="catalogue.tests.probe") >= 2


@pytest.mark.slow
def test_metrics_add_up_every_gunicorn_worker_of_the_node(tmp_path, sqlite_template):
    import shutil

    database = tmp_path / "catalogue.db"
    shutil.copy(sqlite_template, database)
    config = {
        key: value
        for key, value in _config(f"sqlite:///{database}", tmp_path / "media").items()
        if isinstance(value, (str, int, float, bool, type(None)))
    }
    multiproc = tmp_path / "prometheus"
    multiproc.mkdir()
    environment = {"PROMETHEUS_MULTIPROC_DIR": str(multiproc)}
    with gunicorn_serving(config, workers=3, environment=environment) as base, requests.Session() as session:
        for _ in range(30):
            session.get(f"{base}/api/v1/categories", headers={"Connection": "close"}, timeout=10)
        pids = {p.name.split("_")[-1] for p in multiproc.glob("counter_*.db")}
        text = session.get(f"{base}/metrics", timeout=10).text

    assert len(pids) >= 2, "the requests were answered by more than one worker"
    assert _scraped(text, "catalogue_http_requests_total", route="/api/v1/categories", status="200") == 30


# /readyz


def test_ready_when_database_and_storage_answer(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "checks": {"database": "ok", "storage": "ok"}}
    assert response.headers["Cache-Control"] == "no-store"


def test_not_ready_names_redis_when_it_does_not_answer(app):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{closed}/0"

    response = app.test_client().get("/readyz")

    assert response.status_code == 503
    assert response.get_json()["failing"] == ["redis"]
    assert response.get_json()["checks"]["database"] == "ok"


def test_ready_with_a_redis_that_answers(app):
    from tests.conftest import require_service

    url = __import__("os").environ.get("CATALOGUE_TEST_REDIS_URL")
    require_service(bool(url), "CATALOGUE_TEST_REDIS_URL is not set")
    app.config["RATELIMIT_STORAGE_URI"] = url

    response = app.test_client().get("/readyz")

    assert response.status_code == 200 and response.get_json()["checks"]["redis"] == "ok"


def test_not_ready_names_the_storage_when_it_cannot_be_written(app, tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    from catalogue.storage.local import LocalStorage

    app.extensions["catalogue.storage"] = LocalStorage(blocked / "media")

    response = app.test_client().get("/readyz")

    assert response.status_code == 503 and response.get_json()["failing"] == ["storage"]


def test_not_ready_names_the_database_when_it_does_not_answer(tmp_path):
    broken = create_app(
        {"CATALOGUE_ENV": "testing", "SECRET_KEY": "x", "MEDIA_ROOT": str(tmp_path / "media"),
         "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/db.sqlite"}
    )  # fmt: skip

    response = broken.test_client().get("/readyz")

    assert response.status_code == 503 and response.get_json()["failing"] == ["database"]


# Traces


class _Collector(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self):  # noqa: N802 — http.server's name
        self.received.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.slow
def test_traces_reach_an_otlp_collector_with_flask_and_sql_spans(tmp_path, sqlite_template):
    import shutil

    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    _Collector.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    database = tmp_path / "catalogue.db"
    shutil.copy(sqlite_template, database)
    script = f"""
from catalogue import create_app
from catalogue.accounts.models import User
from catalogue.extensions import db
from opentelemetry import trace
app = create_app({{"CATALOGUE_ENV": "testing", "SECRET_KEY": "x", "MEDIA_ROOT": {str(tmp_path / "media")!r},
    "SQLALCHEMY_DATABASE_URI": "sqlite:///{database}",
    "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:{server.server_port}"}})
assert app.test_client().get("/api/v1/categories").status_code == 200
trace.get_tracer_provider().force_flush()
"""
    try:
        subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, timeout=120)
    finally:
        server.shutdown()

    spans = []
    for payload in _Collector.received:
        request = ExportTraceServiceRequest.FromString(payload)
        for resource in request.resource_spans:
            for scope in resource.scope_spans:
                spans.extend((scope.scope.name, span.name) for span in scope.spans)
    scopes = {scope for scope, _ in spans}
    assert "opentelemetry.instrumentation.flask" in scopes
    assert "opentelemetry.instrumentation.sqlalchemy" in scopes
    assert any(name.endswith("/api/v1/categories") for _, name in spans)


def test_probes_answer_plain_http_where_pages_are_sent_to_https(app):
    app.config["FORCE_HTTPS"] = True
    app.extensions["talisman"].force_https = True  # as init_app sets it from FORCE_HTTPS

    client = app.test_client()
    assert client.get("/readyz").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/metrics").status_code == 200
    assert client.get("/api/v1/categories").status_code in (301, 302)


def test_behind_a_proxy_the_client_address_and_scheme_come_from_its_headers(tmp_path, sqlite_template):
    import shutil

    database = tmp_path / "catalogue.db"
    shutil.copy(sqlite_template, database)
    seen = {}

    def build(proxies: int):
        application = create_app({**_config(f"sqlite:///{database}", tmp_path / "media"), "PROXY_COUNT": proxies})

        @application.get("/_test/who")
        def who():
            from flask import request

            seen[proxies] = (request.remote_addr, request.scheme)
            return "ok"

        return application

    headers = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    build(1).test_client().get("/_test/who", headers=headers)
    build(0).test_client().get("/_test/who", headers=headers)

    assert seen[1] == ("203.0.113.9", "https")
    assert seen[0] == ("127.0.0.1", "http")  # no proxy declared: a client cannot choose its own address
