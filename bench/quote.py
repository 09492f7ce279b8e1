"""What a shipping quote costs: `POST /api/v1/shipping/quote` with the carrier's fee remembered, asked, or not there.

    .venv/bin/python bench/quote.py [--duration 5] [--rounds 3] [--connections 8] [--postgres URL] [--skip-sqlite]
                                    [--no-readme]

The checkout page asks this endpoint for the parcels and their fees each time the ward changes
(catalogue/static/checkout.js; without JavaScript the page's "calculate" post runs the same
pricing). For each database — SQLite (bench/results/catalogue-seed.db, as bench/run.py builds
it), and a fresh PostgreSQL database `bench_quote` when --postgres or CATALOGUE_TEST_POSTGRES_URL
names a server — it serves the seeded catalogue with gunicorn (2 workers) three ways:

- **warm**: GHN configured against the test suite's fake GHN (tests/delivery/fakes_ghn.py, served
  by this process on 127.0.0.1), fees remembered as by default (`SHIPPING_QUOTE_CACHE_SECONDS`
  600). wrk repeats one cart to one ward, so after each worker's first request every quote is a
  hit of the quote cache: the request reads the products and the zone table, asks no carrier.
- **cold**: the same with `SHIPPING_QUOTE_CACHE_SECONDS=0`: every request asks the fake GHN's fee
  API (one HTTP call per parcel, in the request).
- **zone**: no carrier configured: the shop's zone table prices the parcel.

The body of the answer is recorded once and served by bench/bare.py (a bare Flask GET of the same
bytes, gunicorn 2 workers) in the same run; after a 1 s warm-up of each, wrk loads bare, warm, cold
and zone in turn, round after round (--rounds), and the figures are the means over the rounds: the
machine is shared, so its load moves between runs. The figure to read is the ratio app ÷ bare.
The fake GHN's fee call alone (sequential, from this process) is timed too, for scale: it is what
a cold quote adds per parcel.
The quote's cart is one product of two producers (two parcels, two fee calls when cold).
Results go between the `quote` markers of bench/README.md after a run on both databases.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(REPO))  # the fake GHN lives in tests/ (test code, never shipped)

from run import (  # noqa: E402  (bench scripts share helpers, not a package)
    README,
    RESULTS,
    WARMUP_SECONDS,
    WRK_GRACE,
    WRK_REQUEST_TIMEOUT,
    BenchError,
    Load,
    Server,
    app_env,
    bare_server,
    ensure_database,
    execute_sql,
    fetch,
    fresh_postgres,
    parse_wrk,
    postgres_server,
    sqlite_url,
)

DATABASE = RESULTS / "catalogue-seed.db"
PG_DATABASE = "bench_quote"
DESTINATION = {"line1": "1 Hạ Long", "ward": "Phường Bãi Cháy", "province": "Quảng Ninh"}
MODES = ("warm", "cold", "zone")
MARK_START, MARK_END = "<!-- quote:start -->", "<!-- quote:end -->"
HTTP_TIMEOUT = 30


def quote_lines(database_url: str) -> list[dict]:
    """One unit of the first active product of each of two producers that have a pickup ward (two parcels)."""
    rows = execute_sql(
        database_url,
        "SELECT MIN(p.id) FROM products p JOIN producers r ON r.id = p.producer_id "
        "WHERE p.status = 'active' AND p.net_weight_g > 0 AND p.stock > 0 AND r.pickup_ward_code IS NOT NULL "
        "GROUP BY p.producer_id ORDER BY MIN(p.id) LIMIT 2",
    )
    if len(rows) < 2:
        raise BenchError("Fewer than two producers with a pickup ward and a product in stock: seed the database.")
    return [{"product_id": row[0], "quantity": 1} for row in rows]


def quote_body(lines: list[dict]) -> str:
    return json.dumps({"lines": lines, "shipping_address": DESTINATION}, ensure_ascii=False)


def post_json(url: str, body: str) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url, data=body.encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def write_lua(body: str) -> Path:
    """A wrk script posting the same quote request every time."""
    path = RESULTS / "quote.lua"
    path.write_text(
        f'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [[{body}]]\n',
        encoding="utf-8",
    )
    return path


def run_wrk(url: str, duration: int, connections: int, script: Path | None = None) -> Load:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", WRK_REQUEST_TIMEOUT,
               *(["-s", str(script)] if script else []), url]  # fmt: skip
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=duration + WRK_GRACE, check=True)
    except subprocess.CalledProcessError as error:
        raise BenchError(f"wrk failed on {url}: {error.stderr}") from error
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"wrk did not finish on {url} within {duration + WRK_GRACE} s") from error
    return parse_wrk(result.stdout)


def mode_env(database_url: str, mode: str, ghn_settings: dict[str, str]) -> dict[str, str]:
    env = app_env(database_url)
    for name in (*ghn_settings, "CARRIER_DEFAULT", "SHIPPING_QUOTE_CACHE_SECONDS", "CACHE_REDIS_URL",
                 "VIETTELPOST_USERNAME", "VIETTELPOST_PASSWORD", "VIETTELPOST_WEBHOOK_TOKEN"):  # fmt: skip
        env.pop(name, None)  # only what this mode sets: no carrier or shared cache from the shell
    if mode in ("warm", "cold"):
        env.update(ghn_settings)
    if mode == "cold":
        env["SHIPPING_QUOTE_CACHE_SECONDS"] = "0"
    return env


def fee_call_latency(ghn, count: int = 200) -> tuple[float, float]:
    """p50 and p99 (ms) of the GHN adapter's fee call against the fake, alone and one after another."""
    from catalogue.carriers.ghn import GHN
    from catalogue.carriers.port import ParcelSpec
    from catalogue.geography.addresses import resolve_place
    from tests.delivery.fakes_ghn import GHN_TEST

    adapter = GHN(GHN_TEST["token"], GHN_TEST["shop_id"], ghn.url + "/shiip/public-api")
    sender = resolve_place("Quảng Ninh", "Xã Bình Liêu")
    recipient = resolve_place(DESTINATION["province"], DESTINATION["ward"])
    spec = ParcelSpec(weight_g=500, value_vnd=100_000)
    adapter.quote(sender, recipient, spec)  # master data, once
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        adapter.quote(sender, recipient, spec)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return timings[len(timings) // 2], timings[int(len(timings) * 0.99) - 1]


def bench_database(label: str, database_url: str, ghn, ghn_settings: dict[str, str], options) -> dict:
    """bare, warm, cold, zone on one database: {side: Load}, the answers' fee sources, the fake's fee calls."""
    lines = quote_lines(database_url)
    body = quote_body(lines)
    script = write_lua(body)
    run_label = f"quote-{label.lower()}"
    servers = {mode: Server(f"{run_label}-{mode}", "wsgi:app", mode_env(database_url, mode, ghn_settings), "/healthz")
               for mode in MODES}  # fmt: skip
    sources: dict[str, str] = {}
    fee_calls: dict[str, int] = {}
    with contextlib.ExitStack() as stack:
        apps = {mode: stack.enter_context(server) for mode, server in servers.items()}
        for mode, app in apps.items():
            status, answer = post_json(app.url("/api/v1/shipping/quote"), body)
            if status != 200:
                raise BenchError(f"{mode}: the quote answered {status}: {answer[:500]!r}")
            parcels = json.loads(answer)["parcels"]
            sources[mode] = "+".join(sorted({parcel["carrier"] or "zone table" for parcel in parcels}))
            if mode == "warm":
                (RESULTS / f"{run_label}.body").write_bytes(answer)
            if mode != "zone" and any(parcel["carrier"] != "ghn" for parcel in parcels):
                raise BenchError(f"{mode}: a parcel was not priced by GHN: {parcels}")
        with bare_server(run_label, run_label) as bare:
            bare_url = bare.url(f"/bare/{run_label}")
            if fetch(bare_url) != (RESULTS / f"{run_label}.body").read_bytes():
                raise BenchError("The bare app does not serve the recorded bytes of the quote.")
            targets = {"bare": (bare_url, None)}
            targets.update({mode: (app.url("/api/v1/shipping/quote"), script) for mode, app in apps.items()})
            for url, lua in targets.values():
                run_wrk(url, WARMUP_SECONDS, options.connections, lua)
            # Round by round, every side in turn: the machine is shared and its load moves from minute to minute.
            runs: dict[str, list[Load]] = {side: [] for side in targets}
            for _ in range(options.rounds):
                for side, (url, lua) in targets.items():
                    before = _fee_calls(ghn)
                    runs[side].append(run_wrk(url, options.duration, options.connections, lua))
                    if side != "bare":
                        fee_calls[side] = fee_calls.get(side, 0) + _settled_fee_calls(ghn) - before
            loads = {side: mean_load(measured) for side, measured in runs.items()}
            for side, load in loads.items():
                print(
                    f"  {label} {side}: {load.requests_per_second:.0f} req/s"
                    + (f", {fee_calls[side]} fee calls to the fake GHN" if side in fee_calls else ""),
                    flush=True,
                )
    return {"loads": loads, "sources": sources, "fee_calls": fee_calls, "parcels": len(lines)}


def mean_load(loads: list[Load]) -> Load:
    """The mean of each figure over the rounds (errors: the sum)."""
    count = len(loads)
    return Load(sum(load.requests_per_second for load in loads) / count, sum(load.p50_ms for load in loads) / count,
                sum(load.p99_ms for load in loads) / count, sum(load.errors for load in loads))  # fmt: skip


def _settled_fee_calls(ghn, quiet: float = 0.5, limit: float = 10.0) -> int:
    """The fee calls once none has come for `quiet` seconds: when wrk stops, the requests already queued in
    the workers' listen backlog are still answered, and their fee calls belong to the run that sent them."""
    deadline = time.monotonic() + limit
    count = _fee_calls(ghn)
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = _fee_calls(ghn)
        if now == count:
            break
        count = now
    return count


def _fee_calls(ghn) -> int:
    with ghn.lock:
        return sum(1 for path in ghn.calls if path.endswith("/v2/shipping-order/fee"))


def report(results: dict, fee_p50: float, fee_p99: float, options) -> list[str]:
    what = {
        "bare": "bare Flask, same bytes (GET)",
        "warm": "quote, GHN, fee cache warm",
        "cold": "quote, GHN, no fee cache (`SHIPPING_QUOTE_CACHE_SECONDS=0`)",
        "zone": "quote, no carrier (zone table)",
    }
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')}: {len(os.sched_getaffinity(0))} cores shared with other work, "
        f"Python {platform.python_version()}, gunicorn 2 workers, `wrk -t2 -c{options.connections} "
        f"-d{options.duration}s` × {options.rounds} interleaved rounds; `POST /api/v1/shipping/quote`, a cart "
        f"of 2 producers (2 parcels) to {DESTINATION['ward']}; GHN is the test suite's fake on 127.0.0.1.",
        "",
        "| database | what (mean of the rounds) | req/s | ratio (app/bare) | p50 ms | p99 ms | fee calls to GHN "
        "| errors or not 2xx |",
        "|---|---|--:|--:|--:|--:|--:|--:|",
    ]
    for label, result in results.items():
        loads, bare = result["loads"], result["loads"]["bare"]
        for side in ("bare", *MODES):
            load = loads[side]
            calls = result["fee_calls"].get(side, "–")
            lines.append(
                f"| {label} | {what[side]} | {load.requests_per_second:.0f} "
                f"| {load.requests_per_second / bare.requests_per_second:.3f} | {load.p50_ms:.1f} | {load.p99_ms:.1f} "
                f"| {calls} | {load.errors} |"
            )
    lines.append(
        f"| – | GHN fee call alone (adapter → fake, sequential, p50 / p99) | {1000 / fee_p50:.0f} | – "
        f"| {fee_p50:.1f} | {fee_p99:.1f} | – | – |"
    )
    return lines


def update_readme(lines: list[str]) -> None:
    text = README.read_text(encoding="utf-8")
    block = "\n".join([MARK_START, *lines, MARK_END])
    if MARK_START in text:
        text = re.sub(re.escape(MARK_START) + r".*?" + re.escape(MARK_END), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n## Shipping quote\n\n" + block + "\n"
    README.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds of load per wrk run (default 5)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of every side (default 3)")
    parser.add_argument("--postgres", help="a PostgreSQL server URL (default: CATALOGUE_TEST_POSTGRES_URL)")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--no-readme", action="store_true", help="print only")
    options = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    from tests.delivery.fakes_ghn import GHN_TEST, FakeGHN

    try:
        databases: list[tuple[str, str]] = []
        if not options.skip_sqlite:
            ensure_database(DATABASE, None)
            databases.append(("SQLite", sqlite_url(DATABASE)))
        server = postgres_server(options.postgres)
        if server:
            databases.append(("PostgreSQL", fresh_postgres(server, PG_DATABASE)))
        if not databases:
            raise BenchError("Nothing to run: --skip-sqlite without a PostgreSQL server (--postgres).")
        results = {}
        with FakeGHN() as ghn:
            settings = {"GHN_API_BASE": ghn.url + "/shiip/public-api", "GHN_TOKEN": GHN_TEST["token"],
                        "GHN_SHOP_ID": GHN_TEST["shop_id"], "GHN_WEBHOOK_TOKEN": "bench-ghn-webhook"}  # fmt: skip
            for label, url in databases:
                print(f"Quoting on {label}…", flush=True)
                results[label] = bench_database(label, url, ghn, settings, options)
            fee_p50, fee_p99 = fee_call_latency(ghn)
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    lines = report(results, fee_p50, fee_p99, options)
    if not options.no_readme and len(results) == 2:
        update_readme(lines)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
