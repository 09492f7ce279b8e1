"""Load figures for the catalogue API, against a bare-Flask baseline in the same run.

Run from the repository root (or `make bench`):

    .venv/bin/python bench/run.py [--duration 10] [--connections 8] [--skip-scale] [--postgres URL] [--skip-sqlite]
                                  [--scenarios list,page] [--rounds 1]

For each database — SQLite, and PostgreSQL when --postgres or CATALOGUE_TEST_POSTGRES_URL
names a server — and each catalogue size (the ~346 seeded products, then 100 000 with
generated variants) it builds or reuses a SQLite database under bench/results/, or creates
a fresh PostgreSQL database (`bench_run_seed`, `bench_run_100000`: dropped, created,
migrated and seeded in this run), serves the app twice with gunicorn (2 workers each, on
free 127.0.0.1 ports): as configured by default, with its response cache ("cached"), and
with RESPONSE_CACHE_SIZE=0 ("cold", no response cache). It records one answer per scenario
(list, search, detail, product page, origin page) to
bench/results/<scenario>-<database>-<size>.body, serves those very bytes from bench/bare.py
(also gunicorn, 2 workers), then runs wrk against the bare endpoint, the cached app and the
cold app in turn. The product page is loaded as a returning shopper: every request sends
the session cookie that the page's first view set; the first visit (no cookie, so a new
CSRF secret and a newly signed session cookie every time) is measured too, on the cached
app, against the same baseline. It prints a table and, after a full run (every scenario,
both sizes, both databases), writes it between the results markers of bench/README.md.
Every process it starts is stopped on the way out, Ctrl-C and errors included; every wait
has a timeout.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
RESULTS = BENCH / "results"
README = BENCH / "README.md"
SEED_DIR = REPO / "seed"
BIN = REPO / ".venv" / "bin"
MEDIA_ROOT = RESULTS / "media"

SEED_FILES = ("producers.csv", "products.csv", "certificate_history.csv")
SCALE_TARGET = 100_000
WORKERS = 2
WEB_UNIT = REPO / "deploy" / "systemd" / "ocop-web.service"  # how production runs the shop's gunicorn


def web_threads() -> int:
    """Threads per worker as production's web unit runs gunicorn (its `--threads` with gthread; 1: sync workers).

    The order benches (bench/orders.py, bench/flash_sale.py) serve the app with this worker model, so their figures
    are those of the deployment the operator's guide prescribes; `--threads` overrides it."""
    command = next(line for line in WEB_UNIT.read_text().splitlines() if line.startswith("ExecStart="))
    threads = re.search(r"--threads[ =](\d+)", command)
    return int(threads.group(1)) if threads and "gthread" in command else 1


def worker_model(threads: int) -> str:
    """How a README line names the workers: `2 workers` or `2 workers × 4 threads (gthread)`."""
    return f"{WORKERS} workers" + (f" × {threads} threads (gthread)" if threads > 1 else " (sync)")


WRK_THREADS = 2
WRK_REQUEST_TIMEOUT = "10s"  # wrk's default (2 s) would silently drop slow answers from the latencies
WARMUP_SECONDS = 1

SCENARIOS = {
    "list": "/api/v1/products?per_page=20",
    "search": "/api/v1/products?q=mien+dong+binh+lieu",
    "detail": "/api/v1/products/{product_id}",
    "page": "/products/mien-dong-binh-lieu",
    # The origin page of the first listed product's seeded lot (its short stamp /t/{code}), as a phone that has
    # just scanned it sees it: a first visit, no cookie, a browser's Accept (a bare client is a machine, which the
    # resolver redirects to /nguon-goc/{code} without a scan). Kept like the product page; each view is buffered as
    # a scan (wrk is one client: the worker buffers its first view only) and written off the request's path.
    "origin": "/t/{lot_code}",
}
# What a phone's browser sends: the resolver answers it the page, and it is no bot (catalogue/traceability/scans.py).
BROWSER_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "User-Agent": "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile",
}
HTML_SCENARIOS = ("page", "origin")  # requested with BROWSER_HEADERS
# Minimum req/s ratio app/bare: the first wave's for a cache hit; issue 13's for a miss ("a miss is cheap").
TARGETS = {"cached": {"list": 0.5, "search": 0.4, "page": 0.4, "origin": 0.3}, "cold": {"list": 0.2, "page": 0.15}}
MODES = ("cached", "cold")  # the app as configured by default, and with RESPONSE_CACHE_SIZE=0
COOKIE_SCENARIOS = ("page",)  # loaded with the session cookie their first view set (a returning shopper)
FIRST_VISIT = "page, first visit"  # the product page without a cookie, cached app only
# p50 at 100 000 products / at ~350, at most: search for a hit (first wave); list, search and page for a miss.
GROWTH_LIMIT = 3.0
GROWTH_SCENARIOS = {"cached": ("search",), "cold": ("list", "search", "page")}
DATABASES = ("SQLite", "PostgreSQL")
MARK_START, MARK_END = "<!-- results:start -->", "<!-- results:end -->"

# Timeouts, in seconds.
MIGRATE_TIMEOUT = 120
SEED_TIMEOUT = 900
START_TIMEOUT = 30
STOP_TIMEOUT = 10
HTTP_TIMEOUT = 30
WRK_GRACE = 30


class BenchError(RuntimeError):
    """Something the run cannot go on without."""


@dataclass(frozen=True)
class Load:
    """What one wrk run measured."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


@dataclass(frozen=True)
class Row:
    """One scenario at one catalogue size on one database: the app and its bare baseline."""

    database: str
    scenario: str
    size: int
    mode: str
    app: Load
    bare: Load

    @property
    def ratio(self) -> float:
        """App throughput as a fraction of the bare endpoint's."""
        return self.app.requests_per_second / self.bare.requests_per_second


# --- databases -------------------------------------------------------------------------------------------------


def app_env(database_url: str, mode: str = "cached") -> dict[str, str]:
    """Environment for the flask CLI and gunicorn, pointing at `database_url` (cold: no response cache)."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CATALOGUE_ENV": "development",
        "SECRET_KEY": "bench",
        "MEDIA_ROOT": str(MEDIA_ROOT),
    }
    env.pop("RESPONSE_CACHE_SIZE", None)
    if mode == "cold":
        env["RESPONSE_CACHE_SIZE"] = "0"
    return env


def sqlite_url(database: Path) -> str:
    """The DATABASE_URL of a SQLite file."""
    return f"sqlite:///{database}"


def seeded_product_count() -> int:
    """Data rows in seed/products.csv (a quoted field may span lines, so count records)."""
    with open(SEED_DIR / "products.csv", newline="", encoding="utf-8") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def build_fingerprint() -> str:
    """Hash of what a database is built from (seed data, migrations, seeding code): a change means a rebuild."""
    inputs = (
        *sorted(SEED_DIR.glob("*.csv")),
        *sorted((REPO / "migrations" / "versions").glob("*.py")),
        REPO / "catalogue" / "seeding.py",
    )
    digest = hashlib.sha256()
    for path in inputs:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def product_count(database: Path) -> int | None:
    """Products in `database`, or None when it is missing or has no products table."""
    if not database.exists():
        return None
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=HTTP_TIMEOUT) as connection:
            return connection.execute("SELECT count(*) FROM products").fetchone()[0]
    except sqlite3.Error:
        return None


def flask_cli(database_url: str, arguments: list[str], timeout: float) -> str:
    """Run `flask --app wsgi <arguments>` against `database_url`; its stdout (all output shows on failure)."""
    command = [str(BIN / "flask"), "--app", "wsgi", *arguments]
    try:
        result = subprocess.run(
            command, cwd=REPO, env=app_env(database_url), capture_output=True, text=True, timeout=timeout, check=True
        )
    except subprocess.CalledProcessError as error:
        raise BenchError(f"{' '.join(command[1:])} failed:\n{error.stdout[-2000:]}{error.stderr[-4000:]}") from error
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"{' '.join(command[1:])} took more than {timeout:.0f} s") from error
    return result.stdout


def ensure_database(database: Path, scale: int | None) -> int:
    """Build `database` (seeded, then scaled to `scale` products) unless an up-to-date one exists."""
    expected = scale or seeded_product_count()
    stamp = database.with_suffix(".fingerprint")
    fingerprint = build_fingerprint()
    current = product_count(database)
    if current == expected and stamp.exists() and stamp.read_text() == fingerprint:
        print(f"Reusing {database.relative_to(REPO)} ({current} products).")
        return current
    for suffix in ("", "-wal", "-shm", ".fingerprint"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    print(f"Building {database.relative_to(REPO)} ({expected} products)…", flush=True)
    started = time.monotonic()
    flask_cli(sqlite_url(database), ["db", "upgrade"], MIGRATE_TIMEOUT)
    flask_cli(sqlite_url(database), ["seed", *(["--scale", str(scale)] if scale else [])], SEED_TIMEOUT)
    current = product_count(database)
    if current != expected:
        raise BenchError(f"{database.name} holds {current} products after seeding, expected {expected}.")
    stamp.write_text(fingerprint)
    print(f"  built in {time.monotonic() - started:.0f} s.")
    return current


def postgres_server(option: str | None) -> str | None:
    """The PostgreSQL server to bench on: --postgres, else CATALOGUE_TEST_POSTGRES_URL, else none."""
    if option is not None and option.lower() == "none":
        return None  # as the options say: skip PostgreSQL, whatever the environment names
    return option or os.environ.get("CATALOGUE_TEST_POSTGRES_URL") or None


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def fresh_postgres(server_url: str, name: str, scale: int | None = None) -> str:
    """A new database `name` on the server of `server_url`, migrated and seeded (then scaled); its URL."""
    import psycopg

    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise BenchError(f"Not a plain database name: {name!r}")
    try:
        with psycopg.connect(_libpq(server_url), autocommit=True, connect_timeout=10) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            connection.execute(f"CREATE DATABASE {name}")
    except psycopg.Error as error:
        raise BenchError(f"Could not create the PostgreSQL database {name}: {error}") from error
    url = re.sub(r"/[^/]*$", f"/{name}", server_url)
    print(f"Building PostgreSQL database {name} ({thousands(scale) if scale else 'seeded'} products)…", flush=True)
    started = time.monotonic()
    flask_cli(url, ["db", "upgrade"], MIGRATE_TIMEOUT)
    flask_cli(url, ["seed", *(["--scale", str(scale)] if scale else [])], SEED_TIMEOUT)
    print(f"  built in {time.monotonic() - started:.0f} s.", flush=True)
    return url


def execute_sql(database_url: str, statement: str, parameters: tuple = ()) -> list[tuple]:
    """Run one statement (`?` placeholders) on the database and commit; its rows."""
    if database_url.startswith("sqlite"):
        with contextlib.closing(sqlite3.connect(database_url.removeprefix("sqlite:///"))) as connection, connection:
            return connection.execute(statement, parameters).fetchall()
    import psycopg

    with psycopg.connect(_libpq(database_url)) as connection:
        cursor = connection.execute(statement.replace("?", "%s"), parameters)
        return cursor.fetchall() if cursor.description else []


# --- servers ---------------------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port nobody listens on at 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A gunicorn process group on 127.0.0.1, started on enter and always stopped on exit."""

    def __init__(self, name: str, app: str, env: dict[str, str], ready_path: str, chdir: Path = REPO, threads: int = 1):
        self.name, self.app, self.env, self.ready_path, self.chdir = name, app, env, ready_path, chdir
        self.threads = threads  # above 1: gunicorn's gthread workers with this many threads each
        self.port = free_port()
        self.log = RESULTS / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def url(self, path: str) -> str:
        """Absolute URL of `path` on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> Server:
        command = [
            str(BIN / "gunicorn"),
            # The shop's settings for the app and the bare baseline alike (served from bench/, the baseline would
            # not find them): one request per connection, the frozen start, the request limits.
            "--config",
            str(REPO / "gunicorn.conf.py"),
            "-w",
            str(WORKERS),
            *(["-k", "gthread", "--threads", str(self.threads)] if self.threads > 1 else []),
            "-b",
            f"127.0.0.1:{self.port}",
            "--chdir",
            str(self.chdir),
            "--log-level",
            "warning",
            self.app,
        ]
        with open(self.log, "w") as log:
            # A session of its own: Ctrl-C reaches only us, and we stop master and workers together.
            self.process = subprocess.Popen(
                command, cwd=self.chdir, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"{self.name} exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url(self.ready_path), timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise BenchError(f"{self.name} did not answer {self.ready_path} within {START_TIMEOUT} s (see {self.log}).")

    def stop(self) -> None:
        """SIGTERM the process group, SIGKILL it if it lingers."""
        if self.process is None or self.process.returncode is not None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
                return
            except subprocess.TimeoutExpired:
                continue


def catalogue_server(database_url: str, label: str, mode: str, threads: int = 1) -> Server:
    """The catalogue app (wsgi:app) on `database_url`, with its response cache or without (mode 'cold')."""
    return Server(f"app-{mode}-{label}", "wsgi:app", app_env(database_url, mode), "/healthz", threads=threads)


def bare_server(label: str, ready_label: str, threads: int = 1) -> Server:
    """The baseline (bench/bare.py), serving every recorded body, in the same worker model as the app."""
    return Server(f"bare-{label}", "bare:app", dict(os.environ), f"/bare/{ready_label}", chdir=BENCH, threads=threads)


def fetch(url: str, headers: dict[str, str] | None = None) -> bytes:
    """Body of a 200 JSON or HTML answer at `url`."""
    return _get(url, headers)[0]


def session_cookie(url: str, headers: dict[str, str] | None = None) -> str:
    """The `name=value` of the cookies a first visit to `url` is given (a shopper's first page)."""
    _, headers = _get(url, headers)
    cookies = []
    for header in headers.get_all("Set-Cookie") or []:
        pair, _, attributes = header.partition(";")
        if pair.partition("=")[2] and "max-age=0" not in attributes.lower():  # not a deletion
            cookies.append(pair.strip())
    if not cookies:
        raise BenchError(f"{url} set no cookie on a first visit.")
    return "; ".join(cookies)


def returning_shopper_cookie(server: Server) -> str:
    """A returning shopper's session cookie. A page with a form starts the session (the order look-up always has
    one); the home page and lists set no cookie on a first visit since the language switch carries no token."""
    return session_cookie(server.url("/orders/lookup"))


def _get(url: str, headers: dict[str, str] | None = None):
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
        if response.status != 200 or response.headers.get_content_type() not in ("application/json", "text/html"):
            raise BenchError(f"{url} answered {response.status} {response.headers.get_content_type()}")
        return response.read(), response.headers


# --- wrk -------------------------------------------------------------------------------------------------------

_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_PERCENTILE = re.compile(r"^\s*(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")


def parse_wrk(output: str) -> Load:
    """Requests/s, p50 and p99 (ms) and error count from `wrk --latency` output."""
    percentiles = {int(level): float(value) * _UNIT_MS[unit] for level, value, unit in _PERCENTILE.findall(output)}
    rate = _RATE.search(output)
    if rate is None or set(percentiles) != {50, 99}:
        raise BenchError(f"Could not read wrk's output:\n{output}")
    socket_errors, non_2xx = _SOCKET_ERRORS.search(output), _NON_2XX.search(output)
    errors = sum(map(int, socket_errors.groups())) if socket_errors else 0
    errors += int(non_2xx.group(1)) if non_2xx else 0
    return Load(float(rate.group(1)), percentiles[50], percentiles[99], errors)


def run_wrk(
    url: str, duration: int, connections: int, cookie: str | None = None, headers: dict[str, str] | None = None
) -> Load:
    """One wrk run against `url` (sending `cookie` and `headers` with every request, if given)."""
    command = [
        "wrk",
        f"-t{WRK_THREADS}",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "--timeout",
        WRK_REQUEST_TIMEOUT,
        *(["-H", f"Cookie: {cookie}"] if cookie else []),
        *[option for name, value in (headers or {}).items() for option in ("-H", f"{name}: {value}")],
        url,
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=duration + WRK_GRACE, check=True)
    except subprocess.CalledProcessError as error:
        raise BenchError(f"wrk failed on {url}: {error.stderr}") from error
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"wrk did not finish on {url} within {duration + WRK_GRACE} s") from error
    return parse_wrk(result.stdout)


# --- one catalogue size ----------------------------------------------------------------------------------------


def record_bodies(app: Server, label: str, selected: tuple[str, ...] = tuple(SCENARIOS)) -> dict[str, str]:
    """Fetch each scenario once and save its body for the bare app; returns scenario → app path."""
    listing = fetch(app.url(SCENARIOS["list"]))
    items = json.loads(listing)["items"]
    if not items:
        raise BenchError("The product list is empty: nothing to show in detail.")
    lots = json.loads(fetch(app.url(f"/api/v1/products/{items[0]['id']}/lots")))["items"]
    if not lots:
        raise BenchError("The first product has no lot: seed the database again (every seeded product gets one).")
    paths = {
        name: path.format(product_id=items[0]["id"], lot_code=lots[0]["code"])
        for name, path in SCENARIOS.items()
        if name in selected
    }
    for name, path in paths.items():
        headers = BROWSER_HEADERS if name in HTML_SCENARIOS else None
        (RESULTS / f"{name}-{label}.body").write_bytes(fetch(app.url(path), headers))
    return paths


def bench_size(
    database: str,
    database_url: str,
    size: int,
    duration: int,
    connections: int,
    selected: tuple[str, ...] = tuple(SCENARIOS),
    rounds: int = 1,
    threads: int = 1,
) -> list[Row]:
    """Measure every scenario at one catalogue size on one database: bare, cached app and cold app in turn.

    With `rounds` > 1 every scenario's runs are repeated round after round (scenarios interleaved, so on a
    shared machine each one meets the same changing load), and each side's figures are the rounds' means.
    """
    rows = []
    run_label = f"{database.lower()}-{size}"
    with (
        catalogue_server(database_url, run_label, "cached", threads) as cached,
        catalogue_server(database_url, run_label, "cold", threads) as cold,
    ):
        apps = {"cached": cached, "cold": cold}
        paths = record_bodies(cached, run_label, selected)
        with bare_server(run_label, f"{next(iter(paths))}-{run_label}", threads) as bare:
            plans: dict[str, dict[str, tuple[str, str | None]]] = {}
            for name, path in paths.items():
                label = f"{name}-{run_label}"
                if fetch(bare.url(f"/bare/{label}")) != (RESULTS / f"{label}.body").read_bytes():
                    raise BenchError(f"The bare app does not serve the recorded bytes of {label}.")
                # side → (url, cookie): a returning shopper's cookie comes from that very server's first page.
                targets: dict[str, tuple[str, str | None]] = {"bare": (bare.url(f"/bare/{label}"), None)}
                headers = BROWSER_HEADERS if name in HTML_SCENARIOS else None
                for mode in MODES:
                    url = apps[mode].url(path)
                    targets[mode] = (url, session_cookie(url, headers) if name in COOKIE_SCENARIOS else None)
                if name in COOKIE_SCENARIOS:
                    targets[FIRST_VISIT] = (cached.url(path), None)
                plans[name] = targets
            measured: dict[str, dict[str, list[Load]]] = {name: {} for name in plans}
            for round_number in range(1, rounds + 1):
                for name, targets in plans.items():
                    headers = BROWSER_HEADERS if name in HTML_SCENARIOS else None
                    for side, (url, cookie) in targets.items():
                        run_wrk(url, WARMUP_SECONDS, connections, cookie, headers)
                        measured[name].setdefault(side, []).append(run_wrk(url, duration, connections, cookie, headers))
                    last = {side: runs[-1] for side, runs in measured[name].items()}
                    print(
                        f"  {name}-{run_label}{f' (round {round_number})' if rounds > 1 else ''}: "
                        + ", ".join(f"{side} {load.requests_per_second:.0f} req/s" for side, load in last.items()),
                        flush=True,
                    )
            for name, runs in measured.items():
                loads = {side: mean_load(side_runs) for side, side_runs in runs.items()}
                for mode in MODES:
                    rows.append(Row(database, name, size, mode, loads[mode], loads["bare"]))
                if FIRST_VISIT in loads:
                    rows.append(Row(database, FIRST_VISIT, size, "cached", loads[FIRST_VISIT], loads["bare"]))
    return rows


def mean_load(runs: list[Load]) -> Load:
    """One side's figures over the rounds: mean req/s, p50 and p99, every error."""
    count = len(runs)
    return Load(
        sum(run.requests_per_second for run in runs) / count,
        sum(run.p50_ms for run in runs) / count,
        sum(run.p99_ms for run in runs) / count,
        sum(run.errors for run in runs),
    )


# --- report ----------------------------------------------------------------------------------------------------


def thousands(number: int) -> str:
    """100000 → '100 000'."""
    return f"{number:,}".replace(",", " ")


def _order(row: Row) -> tuple:
    return (DATABASES.index(row.database), MODES.index(row.mode), row.size)


def table(rows: list[Row]) -> list[str]:
    """Markdown table of the results (also what the terminal shows)."""
    lines = [
        "| database | scenario | catalogue size | app | req/s app | req/s bare | ratio (app/bare) | p50 ms | p99 ms |",
        "|---|---|--:|---|--:|--:|--:|--:|--:|",
    ]
    for row in sorted(rows, key=_order):
        lines.append(
            f"| {row.database} | {row.scenario} | {thousands(row.size)} | {row.mode} "
            f"| {row.app.requests_per_second:.0f} | {row.bare.requests_per_second:.0f} | {row.ratio:.3f} "
            f"| {row.app.p50_ms:.1f} | {row.app.p99_ms:.1f} |"
        )
    return lines


def verdicts(rows: list[Row]) -> list[str]:
    """The growth lines, each target met or missed, and any errors wrk saw."""
    lines = []
    for database in DATABASES:
        for mode in MODES:
            for scenario in GROWTH_SCENARIOS[mode]:
                by_size = {
                    row.size: row
                    for row in rows
                    if (row.database, row.scenario, row.mode) == (database, scenario, mode)
                }
                small = min(by_size, default=None)
                if SCALE_TARGET in by_size and small is not None and small != SCALE_TARGET:
                    growth = by_size[SCALE_TARGET].app.p50_ms / by_size[small].app.p50_ms
                    met = "met" if growth <= GROWTH_LIMIT else "MISSED"
                    lines.append(
                        f"{database}, {mode}: {scenario} p50 at {thousands(SCALE_TARGET)} / at {thousands(small)} "
                        f"= {growth:.2f}× (target ≤ {GROWTH_LIMIT:g}×: {met})"
                    )
    for row in sorted(rows, key=_order):
        target = TARGETS[row.mode].get(row.scenario)
        if target is not None:
            met = "met" if row.ratio >= target else "MISSED"
            lines.append(
                f"{row.database}, {row.mode}: {row.scenario} at {thousands(row.size)}: {row.ratio:.3f}× bare "
                f"(target ≥ {target:g}×: {met})"
            )
        for side, load in (("app", row.app), ("bare", row.bare)):
            if load.errors:
                lines.append(
                    f"warning: {row.database} {row.scenario} at {thousands(row.size)} ({row.mode} {side}): "
                    f"{load.errors} errors or non-2xx answers"
                )
    return lines


def machine() -> str:
    """'2 cores (nproc), Python 3.11.7'."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cores} cores (nproc), Python {platform.python_version()}"


def update_readme(rows: list[Row], duration: int, connections: int) -> None:
    """Replace what is between the results markers of bench/README.md (appending them if missing)."""
    block = [
        MARK_START,
        f"Measured {date.today().isoformat()} on {machine()}; gunicorn -w {WORKERS}, "
        f"`wrk -t{WRK_THREADS} -c{connections} -d{duration}s --latency`.",
        "",
        *table(rows),
        "",
        *(f"- {line}" for line in verdicts(rows)),
        MARK_END,
    ]
    text = README.read_text(encoding="utf-8") if README.exists() else ""
    before, found, rest = text.partition(MARK_START)
    _, found_end, after = rest.partition(MARK_END)
    if not (found and found_end):
        before, after = text.rstrip("\n") + "\n\n", "\n"
    README.write_text(before + "\n".join(block) + after, encoding="utf-8")


# --- main ------------------------------------------------------------------------------------------------------


def check_prerequisites() -> None:
    """wrk, gunicorn and the seed data must be there before anything starts."""
    if shutil.which("wrk") is None:
        raise BenchError("wrk is not installed (Debian/Ubuntu: apt-get install wrk).")
    for tool in ("flask", "gunicorn"):
        if not (BIN / tool).exists():
            raise BenchError(f"{BIN / tool} is missing: install requirements into .venv first.")
    missing = [name for name in SEED_FILES if not (SEED_DIR / name).exists()]
    if missing:
        raise BenchError(f"Seed data missing from seed/: {', '.join(missing)}.")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per wrk run (default 10)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument("--skip-scale", action="store_true", help=f"skip the {thousands(SCALE_TARGET)}-product run")
    parser.add_argument("--postgres", help="a PostgreSQL server URL (default: CATALOGUE_TEST_POSTGRES_URL; none: skip)")
    parser.add_argument("--skip-sqlite", action="store_true", help="only PostgreSQL")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="repeat every run this many times, scenarios interleaved, and report the means (a shared machine)",
    )
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help="comma-separated scenarios to run (default all); a subset prints its rows and leaves README alone",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per gunicorn worker, app and bare baseline alike (default 1: sync workers, as the README's "
        "table; `--threads 4` serves them as deploy/systemd/ocop-web.service does); never writes the README",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Build, serve, load, report."""
    args = parse_args(argv)
    # Ctrl-C (even when started in the background) and SIGTERM unwind, so every server is stopped.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        check_prerequisites()
        selected = tuple(name for name in args.scenarios.split(",") if name)
        unknown = sorted(set(selected) - set(SCENARIOS))
        if unknown:
            raise BenchError(f"Unknown scenarios: {', '.join(unknown)} (known: {', '.join(SCENARIOS)}).")
        RESULTS.mkdir(parents=True, exist_ok=True)
        sizes: list[int | None] = [None] if args.skip_scale else [None, SCALE_TARGET]
        server = postgres_server(args.postgres)
        if args.skip_sqlite and not server:
            raise BenchError("--skip-sqlite leaves nothing to run: name a PostgreSQL server with --postgres.")
        rows: list[Row] = []
        for database in DATABASES:
            if (database == "SQLite" and args.skip_sqlite) or (database == "PostgreSQL" and not server):
                continue
            for scale in sizes:
                if database == "SQLite":
                    path = RESULTS / f"catalogue-{scale or 'seed'}.db"
                    size, url = ensure_database(path, scale), sqlite_url(path)
                else:
                    url = fresh_postgres(server, f"bench_run_{scale or 'seed'}", scale)
                    size = scale or seeded_product_count()
                print(f"Loading the {thousands(size)}-product catalogue on {database}…", flush=True)
                rows += bench_size(
                    database, url, size, args.duration, args.connections, selected, args.rounds, args.threads
                )
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench: interrupted; servers stopped.", file=sys.stderr)
        return 130
    print("\n" + "\n".join([*table(rows), "", *verdicts(rows)]))
    if set(selected) != set(SCENARIOS) or args.skip_sqlite or args.skip_scale or not server or args.threads != 1:
        # A partial run (a subset, one database, one size, another worker model) never replaces the full table.
        print(f"\n{README.relative_to(REPO)} left as it was: only a full run (both databases, both sizes) writes it.")
        return 0
    update_readme(rows, args.duration, args.connections)
    print(f"\nResults written to {README.relative_to(REPO)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
