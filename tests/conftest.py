"""Fixtures: every database test runs on SQLite and on PostgreSQL.

The schema always comes from the real migrations. PostgreSQL tests use their own
schemas (search_path) inside CATALOGUE_TEST_POSTGRES_URL's database; without that
variable they are skipped, unless CATALOGUE_REQUIRE_SERVICES=1 makes it a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import jinja2
import jinja2.bccache
import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, text

from catalogue import create_app
from catalogue.extensions import db
from catalogue.seeding import seed_catalogue
from tests.fakes import WEBHOOK_SECRET, FakeGateway

pytest_plugins = ["tests.operations.s3_server"]  # s3_endpoint (moto's server), s3_settings, s3_app

TODAY = date(2026, 11, 21)
REQUIRE_SERVICES = os.environ.get("CATALOGUE_REQUIRE_SERVICES") == "1"
POSTGRES_URL = os.environ.get("CATALOGUE_TEST_POSTGRES_URL", "")
BACKENDS = ("sqlite", "postgresql")


def require_service(available: bool, reason: str) -> None:
    """Skip when a service is missing, or fail when CI requires every service."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (CATALOGUE_REQUIRE_SERVICES=1 requires it)")
    pytest.skip(reason)


def postgres_url() -> str:
    require_service(
        bool(POSTGRES_URL),
        "PostgreSQL tests need CATALOGUE_TEST_POSTGRES_URL, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test",
    )
    return POSTGRES_URL


def _remember_url_builders() -> None:
    """Each test builds an app, and werkzeug compiles a URL builder (Python source through `ast`) for each of
    its ~800 rules: ~45 % of building the app. A builder depends only on the rule's parsed parts, its defaults
    and `append_unknown` (converters are looked up on the rule when it runs), so the test process compiles each
    once and gives every later app's identical rule the same function. Tests only: production builds one app.
    """
    from werkzeug.routing import rules

    compile_builder = rules.Rule._compile_builder
    built: dict[tuple, object] = {}

    def remembered(self, append_unknown: bool = True):
        key = (self.rule, tuple(self._trace), repr(sorted((self.defaults or {}).items())), append_unknown)
        if key not in built:
            built[key] = compile_builder(self, append_unknown)
        return built[key]

    rules.Rule._compile_builder = remembered


_remember_url_builders()


def _share_dialects() -> None:
    """Each test builds an app, so an engine, and SQLAlchemy keeps compiled SQL by dialect object (the engine's
    statement cache, and each mapper's INSERT/UPDATE cache, are keyed by it): every test compiled each of its
    statements afresh, ~15-20 % of the suite's time. Engines made with the same settings (driver, server and
    options: between tests only SQLite's file differs) get the same dialect and one statement cache, so SQL
    compiled for one test is reused by the next. A dialect holds no connection: each engine keeps its own pool,
    connections and listeners, and its own dialect still opens and prepares its connections. A dialect is shared
    only once prepared on a first connection (`initialize`: the server's version and features), so SQL is never
    compiled for a server it has not met. Tests only: production builds one engine per app.
    """
    from flask_sqlalchemy import SQLAlchemy
    from sqlalchemy.util import LRUCache

    make_engine = SQLAlchemy._make_engine
    unprepared: dict[tuple, list] = {}  # by settings: dialects of engines made before one was prepared
    shared: dict[tuple, tuple] = {}  # by settings: (dialect, statement cache)

    def made(self, bind_key, options, app):
        engine = make_engine(self, bind_key, options, app)
        url, others = engine.url, sorted((key, value) for key, value in options.items() if key != "url")
        settings = type(engine.dialect), url.drivername, url.host, url.port, repr(others)
        if settings not in shared:
            seen = unprepared.setdefault(settings, [])
            prepared = [dialect for dialect in seen if dialect.server_version_info is not None]
            if not prepared:
                seen.append(engine.dialect)
                return engine
            # the suite's distinct statements outnumber an engine's default 500
            shared[settings] = prepared[0], LRUCache(5000)
            del unprepared[settings]
        dialect, statements = shared[settings]
        engine.dialect = engine.pool._dialect = dialect
        engine._compiled_cache = statements
        return engine

    SQLAlchemy._make_engine = made


_share_dialects()


def _remember_placeholder_pictures() -> None:
    """Seeding draws a JPEG of each of its ~350 placeholders with Pillow (~5 ms each, ~2 s a catalogue: two thirds
    of seeding), and the suite seeds a catalogue per backend in each test process, and again in the seeding
    tests. The picture depends only on the name and the two colours it is drawn from, so each test process draws
    each picture once and seeding writes the same bytes every later time. Tests of the drawing itself call
    catalogue.products.renditions, which is left as it is.
    """
    from catalogue import seeding

    placeholder_jpeg = seeding.placeholder_jpeg
    drawn: dict[tuple[str, str, str], bytes] = {}

    def remembered(name: str, background: str, ink: str) -> bytes:
        if (name, background, ink) not in drawn:
            drawn[name, background, ink] = placeholder_jpeg(name, background, ink)
        return drawn[name, background, ink]

    seeding.placeholder_jpeg = remembered


_remember_placeholder_pictures()


@pytest.fixture(autouse=True)
def _logging_as_it_was() -> Iterator[None]:
    """Put the root logger's level and handlers back after each test. Celery's test worker sets the root level to
    ERROR (`app.log.setup`) and never restores it, so a later test in the same process found its warnings dropped
    before caplog could see them; whatever a test does to logging ends with it."""
    import logging

    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    root.setLevel(level)
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)


class _ProcessBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates kept in memory for the whole test process, keyed by name and source checksum."""

    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self._compiled:
            bucket.bytecode_from_string(self._compiled[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._compiled[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CACHE = _ProcessBytecodeCache()


def _config(database_url: str, media_root: Path, schema: str | None = None) -> dict:
    config = {
        "CATALOGUE_ENV": "testing",
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MEDIA_ROOT": str(media_root),
        "CATALOGUE_TODAY": TODAY,
        "PUBLIC_BASE_URL": "http://shop.test",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "PAYMENT_GATEWAY": FakeGateway(),
        "RAISE_UNEXPECTED_ERRORS": True,  # a 500 fails the test with its traceback
        # scrypt costs ~0.1 s a hash and the suite creates thousands of users; test_accounts checks scrypt itself.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
        "JINJA_BYTECODE_CACHE": TEMPLATE_CACHE,
        "ROLLUP_SETTLE_DELAY": 0,  # the figures are settled at once: tests read them right after writing
        # One test client and one buyer place many orders across the suite;
        # tests/orders/test_order_abuse.py sets its own.
        "ORDER_LIMIT_PER_CLIENT": "100000 per hour",
        "ORDER_LIMIT_PER_CONTACT": "100000 per hour",
        # Race tests send many placements at once on purpose; tests/orders/test_waiting_room.py sets its own.
        "ORDER_PLACEMENTS_IN_FLIGHT": 0,
        "ORDER_PLACEMENTS_PER_SECOND": 0,
        # Scans wait in the worker's memory until a test flushes them
        # (tests/traceability/test_scan_counting.py tests Redis too).
        "SCAN_BUFFER_URL": None,
    }
    if schema:
        # No wait for the disk on commit: the suite tests behaviour, not durability (~15 ms a commit otherwise).
        options = f"-csearch_path={schema} -csynchronous_commit=off"
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"options": options}}
    return config


def _reset_postgres_schema(url: str, schema: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()


def _migrated_app(config: dict, seed: bool = False):
    app = create_app(config)
    with app.app_context():
        upgrade()
        if seed:
            seed_catalogue(media_root=Path(config["MEDIA_ROOT"]))
        db.engine.dispose()
    return app


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """An empty, migrated SQLite file that each test copies."""
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "empty.db"
    _migrated_app(_config(f"sqlite:///{path}", folder / "media"))
    return path


@pytest.fixture(scope="session")
def postgres_empty_schema() -> Iterator[str]:
    """An empty, migrated PostgreSQL schema that tests truncate before use."""
    url = postgres_url()
    schema = f"catalogue_test_{os.getpid()}"
    _reset_postgres_schema(url, schema)
    _migrated_app(_config(url, Path("/tmp/unused-media"), schema))
    yield schema
    _drop_schema(url, schema)


def _drop_schema(url: str, schema: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def _empty_postgres_tables() -> None:
    """Delete every row and restart every sequence, as TRUNCATE … RESTART IDENTITY would.

    TRUNCATE gives each table and index a new file (~0.7 s for the schema, on every test); the tests' tables
    hold a few rows, which DELETE removes in milliseconds. Replica mode skips the foreign-key triggers, so
    the order of the deletes does not matter (products and their current certificate refer to each other).
    One DO block: the ~50 deletes are one round trip to the server instead of one each.
    """
    deletes = "".join(f'DELETE FROM "{table.name}"; ' for table in db.metadata.sorted_tables)
    db.session.execute(
        text(
            "DO $$ BEGIN SET LOCAL session_replication_role = replica; "
            f"{deletes}"
            "PERFORM setval(c.oid, 1, false) FROM pg_class c "
            "WHERE c.relkind = 'S' AND c.relnamespace = current_schema()::regnamespace; "
            "SET LOCAL session_replication_role = DEFAULT; END $$"
        )
    )


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """The database the test runs on."""
    return request.param


@pytest.fixture
def app(backend, request, tmp_path):
    """An app on an empty, migrated database of `backend`."""
    media = tmp_path / "media"
    if backend == "sqlite":
        path = tmp_path / "catalogue.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        application = create_app(_config(f"sqlite:///{path}", media))
    else:
        schema = request.getfixturevalue("postgres_empty_schema")
        application = create_app(_config(postgres_url(), media, schema))
        with application.app_context():
            _empty_postgres_tables()
            # As the migration left it: the catalogue's revision counter starts at 0.
            db.session.execute(text("INSERT INTO change_counters (name, value) VALUES ('catalogue', 0)"))
            # and the zone table of shipping fees the delivery migration seeds.
            from catalogue.delivery.models import DEFAULT_RATES, ShippingRate

            db.session.add_all(
                ShippingRate(zone=zone, max_weight_g=weight, fee_vnd=fee, extra_per_kg_vnd=extra)
                for zone, weight, fee, extra in DEFAULT_RATES
            )
            db.session.commit()
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def seeded_apps(tmp_path_factory, request) -> dict:
    """Lazily built seeded catalogues, one per backend, shared by read-only tests."""
    built: dict = {}

    def build(name: str):
        if name not in built:
            folder = tmp_path_factory.mktemp(f"seeded-{name}")
            if name == "sqlite":
                # seeded on a copy of the migrated template (its migrations ran once already)
                shutil.copy(request.getfixturevalue("sqlite_template"), folder / "seeded.db")
                config = _config(f"sqlite:///{folder / 'seeded.db'}", folder / "media")
            else:
                url = postgres_url()
                schema = f"catalogue_seeded_{os.getpid()}"
                _reset_postgres_schema(url, schema)
                config = _config(url, folder / "media", schema)
            built[name] = _migrated_app(config, seed=True)
        return built[name]

    yield build
    if "postgresql" in built:
        _drop_schema(POSTGRES_URL, f"catalogue_seeded_{os.getpid()}")


@pytest.fixture
def seeded_app(backend, seeded_apps):
    """The seeded catalogue on `backend` (read-only: tests must not change it)."""
    application = seeded_apps(backend)
    with application.app_context():
        yield application
        db.session.remove()


@pytest.fixture
def client(seeded_app):
    """A test client on the seeded catalogue."""
    return seeded_app.test_client()


@pytest.fixture
def empty_client(app):
    """A test client on an empty database."""
    return app.test_client()


@contextmanager
def count_statements(engine, *, raw: bool = False):
    """Collect the SQL statements run on `engine` inside the block.

    `raw=True`: also the state reads catalogue.products.freshness runs on a raw DBAPI cursor,
    below SQLAlchemy's events (what a cache hit or a kept miss costs).
    """
    from catalogue.products import freshness

    statements: list[str] = []

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    run_raw = freshness._run_raw

    def counted(raw_engine, sql, parameters):
        statements.append(sql)
        return run_raw(raw_engine, sql, parameters)

    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    if raw:
        freshness._run_raw = counted
    try:
        yield statements
    finally:
        freshness._run_raw = run_raw
        event.remove(engine, "before_cursor_execute", before_cursor_execute)


class _Inbox:
    """Messages received by the local SMTP server."""

    def __init__(self):
        import queue

        self.messages = queue.Queue()
        self.envelopes = []  # (MAIL FROM, [RCPT TO…]) of each message, in order
        self.port = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        from email import message_from_bytes, policy

        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.put(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def wait_for_message(self, timeout: float = 10):
        return self.messages.get(timeout=timeout)


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _Inbox()
    inbox.port = port
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox
    controller.stop()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


LOCALSTRIPE_START_SECONDS = 60  # its first start in a fresh virtualenv compiles aiohttp & co.


def _start_localstripe(log_path: Path):
    """Start localstripe on a free port; (process, url) once it answers, or None if it died or hung."""
    import subprocess
    import sys
    import time
    import urllib.request

    port = _free_port()
    log = open(log_path, "ab")  # noqa: SIM115 - handed to the child process
    # In memory (tests/localstripe_in_memory.py): localstripe as installed loads and rewrites one fixed file,
    # /tmp/localstripe.pickle, holding every object, on each write (the other xdist worker's localstripe and a
    # bench's too): a server stopped mid-write left it truncated, each create cost more than the one before.
    server = Path(__file__).resolve().parent / "localstripe_in_memory.py"
    process = subprocess.Popen([sys.executable, str(server), "--port", str(port)], stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + LOCALSTRIPE_START_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            urllib.request.urlopen(f"{url}/js.stripe.com/v3/", timeout=2).close()
            return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    process.wait(timeout=10)
    return None


@pytest.fixture(scope="session")
def localstripe_url(tmp_path_factory):
    """localstripe (a fake Stripe server; a test tool only) on a free port of 127.0.0.1."""
    import importlib.util

    installed = importlib.util.find_spec("localstripe") is not None
    require_service(installed, "Stripe integration tests need localstripe (pip install localstripe)")
    log_path = tmp_path_factory.mktemp("localstripe") / "localstripe.log"
    started = _start_localstripe(log_path) or _start_localstripe(log_path)
    if started is None:
        pytest.fail("localstripe did not start twice; its output:\n" + log_path.read_text(errors="replace")[-3000:])
    process, url = started
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def stripe_app(app, localstripe_url):
    """The app with the real Stripe SDK pointed at localstripe, served on 127.0.0.1,
    and localstripe sending it signed webhooks."""
    import urllib.parse
    import urllib.request

    from catalogue.payments import init_payments
    from tests.live import serving

    app.config.update(
        PAYMENT_GATEWAY=None,
        STRIPE_API_BASE=localstripe_url,
        STRIPE_SECRET_KEY="sk_test_local",
        STRIPE_PUBLISHABLE_KEY="pk_test_local",
        STRIPE_JS_URL=f"{localstripe_url}/js.stripe.com/v3/",
    )
    init_payments(app)
    with serving(app) as base:
        urllib.request.urlopen(urllib.request.Request(f"{localstripe_url}/_config/data", method="DELETE"), timeout=5)
        form = urllib.parse.urlencode({"url": f"{base}/webhooks/stripe", "secret": WEBHOOK_SECRET}).encode()
        urllib.request.urlopen(f"{localstripe_url}/_config/webhooks/catalogue", data=form, timeout=5).close()
        app.config["LIVE_URL"] = base
        yield app
