"""OCOP Quảng Ninh catalogue: the application factory."""

from __future__ import annotations

import logging
from inspect import iscoroutinefunction
from typing import Any

import sqlalchemy as sa
from flask import Flask, jsonify, request
from flask import Request as FlaskRequest
from flask.json.provider import DefaultJSONProvider
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.exceptions import BadRequest, RequestURITooLarge

from catalogue import json_input, sqlite_writers  # noqa: F401  (sqlite_writers: its listeners register on import)
from catalogue.config import load_config
from catalogue.extensions import db, limiter, migrate
from catalogue.ids import IdConverter
from catalogue.observability import init_observability
from catalogue.sessions import SessionInterface
from catalogue.waiting_room import init_waiting_room

log = logging.getLogger(__name__)

# The longest path and query string the app reads; gunicorn's limit_request_line (gunicorn.conf.py) is above it,
# so a longer URL gets the app's 414 in the contract's shape, not gunicorn's HTML 400.
MAX_URL_LENGTH = 4096


class JsonProvider(DefaultJSONProvider):
    """Flask's JSON, but what it reads (every request.get_json: Flask hands each request `app.json`) goes through
    catalogue.json_input: hostile nesting, integers and lone surrogates are refused, never a 500."""

    def loads(self, s, **kwargs):
        return json_input.loads(s)


class Request(FlaskRequest):
    """Flask's request, whose unreadable JSON body is a 400 with its reason."""

    def on_json_loading_failed(self, e: ValueError | None):
        if isinstance(e, json_input.UnreadableJson):
            raise BadRequest(f"The body is not JSON the shop reads: {e}")
        return super().on_json_loading_failed(e)


class App(Flask):
    """Flask, asking once per function body whether a hook or view is a coroutine, not on every request.

    Flask passes every before- and after-request hook and the view through `ensure_sync` on each request, and
    `inspect.iscoroutinefunction` unwraps each one to read its code's flags: 18 of them a storefront page,
    ~7 % of a cached page's cost in-process. Whether a function is a coroutine is a property of its code
    object, so the answer is kept per code object (a bounded set: a closure made per request, as
    `after_this_request` takes, shares its code with the others); a callable without code (a partial, an
    object with `__call__`) is asked each time, as Flask does.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._coroutine_codes: dict[Any, bool] = {}

    def ensure_sync(self, func):
        code = getattr(getattr(func, "__func__", func), "__code__", None)
        if code is None:
            return super().ensure_sync(func)
        is_coroutine = self._coroutine_codes.get(code)
        if is_coroutine is None:
            is_coroutine = self._coroutine_codes[code] = iscoroutinefunction(func)
        return self.async_to_sync(func) if is_coroutine else func


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: config → extensions → blueprints → errors → CLI."""
    app = App(__name__, instance_relative_config=True)
    app.json = JsonProvider(app)
    app.request_class = Request
    # Every `<int:…>` path segment, API and pages alike, is bounded to the id range.
    app.url_map.converters["int"] = IdConverter
    app.config.from_mapping(load_config(app.instance_path, test_config))
    if app.config.get("JINJA_BYTECODE_CACHE") is not None:
        # Templates compiled once per process, not once per app (the test suite builds an app per test).
        app.jinja_options = {**app.jinja_options, "bytecode_cache": app.config["JINJA_BYTECODE_CACHE"]}
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    app.session_interface = SessionInterface()
    if app.config.get("PROXY_COUNT"):
        # Behind nginx or a load balancer: the client's address and scheme come from the proxies'
        # X-Forwarded-For/-Proto (only as many hops as are ours), so per-client limits count clients,
        # not the proxy, and the HTTPS redirect and secure cookies see the HTTPS the client used.
        from werkzeug.middleware.proxy_fix import ProxyFix

        count = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)
    register_extensions(app)
    init_observability(app)
    init_waiting_room(app)  # the app's last teardown registered, so it runs first: none can stop it
    register_subscribers(app)
    register_blueprints(app)
    register_errors(app)
    register_cli(app)
    app.before_request(_refuse_long_urls)
    return app


def _refuse_long_urls() -> None:
    """414 for a URL longer than MAX_URL_LENGTH (before any view reads it)."""
    environ = request.environ
    length = len(environ.get("PATH_INFO", "")) + len(environ.get("QUERY_STRING", ""))
    if length > MAX_URL_LENGTH:
        raise RequestURITooLarge(f"The URL is {length} characters long; at most {MAX_URL_LENGTH} are read.")


def register_extensions(app: Flask) -> None:
    """Bind the database and migrations to this app."""
    from catalogue.payments import init_payments
    from catalogue.storage import init_storage

    db.init_app(app)
    init_storage(app)  # app.extensions["catalogue.storage"]: every file the shop keeps (STORAGE_URL)
    limiter.init_app(app)  # the portal's login and the storefront's order lookup
    init_payments(app)
    migrate.init_app(app, db, directory=str(_repo_path("migrations")), compare_type=True)
    # Import every model so metadata (and so migrations) know all tables.
    from catalogue import models  # noqa: F401
    from catalogue.caching import init_response_cache
    from catalogue.fragments import init_fragment_cache
    from catalogue.products.revision import register_change_tracking
    from catalogue.reports.rollup import register_rollup
    from catalogue.traceability.scans import init_scans

    register_change_tracking()
    register_rollup()
    init_response_cache(app)
    init_fragment_cache(app)
    init_scans(app)


def register_subscribers(app: Flask) -> None:
    """Who reacts to the order's events (catalogue.events): the publishers never import them."""
    from catalogue import events
    from catalogue.delivery.booking import order_paid
    from catalogue.invoices.jobs import subscribe_invoicing
    from catalogue.notifications import subscribe_mail

    subscribe_invoicing(app)
    subscribe_mail(app)
    events.subscribe(app, events.OrderPaid, order_paid)  # parcels booked automatically, after the payment commits


def register_blueprints(app: Flask) -> None:
    """The API, the storefront, health check and media files."""
    from catalogue.api import register_api
    from catalogue.extensions import csrf
    from catalogue.feeds import feeds
    from catalogue.portal import init_portal
    from catalogue.storefront import init_storefront
    from catalogue.webhooks import payment_returns, webhooks

    csrf.init_app(app)
    csrf.exempt(webhooks)  # signed by Stripe, not by a browser session
    register_api(app)
    init_storefront(app)
    init_portal(app)
    app.register_blueprint(webhooks)
    app.register_blueprint(payment_returns)
    app.register_blueprint(feeds)

    from catalogue.observability import probe_over_plain_http

    @app.get("/healthz")
    @probe_over_plain_http
    def healthz():
        """{"status": "ok"} when the database answers, 503 otherwise."""
        try:
            db.session.execute(sa.text("SELECT 1"))
        except sa.exc.SQLAlchemyError:  # the reason goes to the log, not to the caller
            log.exception("Health check failed")
            return jsonify({"status": "unavailable"}), 503
        return jsonify({"status": "ok"})

    @app.get("/media/<path:path>")
    def media(path: str):
        """Public files (product photos, placeholders) from the storage, cached by browsers for a day."""
        from catalogue.storage.serving import serve_public

        return serve_public(path)


def register_errors(app: Flask) -> None:
    """One place where errors become answers (see catalogue.errors)."""
    from catalogue.error_answers import register_error_handlers

    register_error_handlers(app)


def register_cli(app: Flask) -> None:
    """`flask seed` and friends."""
    from catalogue.accounts.cli import tokens_cli, users_cli
    from catalogue.backup import backup_cli
    from catalogue.delivery.cli import delivery_cli
    from catalogue.imports.cli import catalogue_cli
    from catalogue.invoices.cli import invoices_cli
    from catalogue.mail import mail_cli
    from catalogue.orders.cli import orders_cli
    from catalogue.reports.rollup import reports_cli
    from catalogue.seeding import seed_command
    from catalogue.storage.cli import storage_cli
    from catalogue.sync.cli import sync_cli
    from catalogue.traceability.cli import scans_cli

    app.cli.add_command(seed_command)
    app.cli.add_command(backup_cli)
    app.cli.add_command(storage_cli)
    app.cli.add_command(orders_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(tokens_cli)
    app.cli.add_command(sync_cli)
    app.cli.add_command(reports_cli)
    app.cli.add_command(invoices_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(scans_cli)
    app.cli.add_command(catalogue_cli)
    app.cli.add_command(delivery_cli)


def _repo_path(name: str):
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / name


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """SQLite: enforce foreign keys, WAL for concurrent readers, wait on locks."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
