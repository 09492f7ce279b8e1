"""Live page stock stream: N open /live/<code>/events streams, then one sale; how long until all N show it.

    .venv/bin/python bench/live_stream.py [--streams 200] [--poll 1.0] [--sales 3]

Serves a fresh SQLite catalogue (migrated; one product pinned to one live session) the way
production serves the streams (README, "Live selling"): gunicorn, one process, `-k gthread`
with a thread per stream, apart from the shop's sync workers. N clients hold a stream each;
the bench then sells (a stock move committed from this process, as any checkout commits it)
and times, for each stream, the arrival of the event with the new stock. Prints the p50 and the
max over all streams and sales; bounded: N ≤ 1000, each read times out after 10 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--poll", type=float, default=1.0)
    parser.add_argument("--sales", type=int, default=3)
    args = parser.parse_args()
    streams = max(1, min(args.streams, 1000))

    import requests
    from flask_migrate import upgrade

    from catalogue import clock, create_app
    from catalogue.extensions import db
    from catalogue.live import services as live
    from catalogue.products.stock import take_stock
    from tests import factories
    from tests.live_selling.live_helpers import producer

    folder = Path(tempfile.mkdtemp(prefix="live_stream_"))
    config = {
        "CATALOGUE_ENV": "testing",
        "SECRET_KEY": "bench-secret",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}",
        "MEDIA_ROOT": str(folder / "media"),
        "PUBLIC_BASE_URL": "http://shop.test",
        "LIVE_POLL_SECONDS": args.poll,
        "LIVE_STREAM_SECONDS": 600,
        "LIVE_MAX_STREAMS": streams + 10,
    }
    app = create_app(config)
    with app.app_context():
        upgrade(directory=str(REPO / "migrations"))
        ref = factories.reference_data()
        maker = factories.producer("HTX Miến dong Bình Liêu", ref["binh_lieu"])
        product = factories.product("Miến dong Bình Liêu", maker, ref["processed"], price_vnd=85000, stock=10_000)
        db.session.commit()
        now = clock.now()
        session = live.save_session(producer(maker.id), None, "Bench live", now - timedelta(hours=1),
                                    now + timedelta(hours=1), [live.PinInput(product.id, 60_000, None)])  # fmt: skip
        code, product_id = session.code, str(product.id)

    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {**os.environ, "CATALOGUE_TEST_APP_CONFIG": json.dumps(config)}
    command = [sys.executable, "-m", "gunicorn", "-k", "gthread", "--workers", "1", "--threads", str(streams + 16),
               "--graceful-timeout", "3", "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
               "tests.served_app:app"]  # fmt: skip
    server = subprocess.Popen(command, cwd=REPO, env=environment)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        latencies: list[float] = []
        lock = threading.Lock()
        ready = threading.Barrier(streams + 1)
        sold: list[tuple[int, float]] = []  # (stock after the sale, when it was committed)

        def watch() -> None:
            with requests.get(f"{base}/live/{code}/events", stream=True, timeout=10) as response:
                lines = response.iter_lines(decode_unicode=True)
                first = True
                for line in lines:
                    if not line.startswith("data:"):
                        continue
                    stock = json.loads(line[5:])["products"].get(product_id, {}).get("stock")
                    if first:
                        first = False
                        ready.wait(timeout=60)
                        continue
                    seen = time.monotonic()
                    with lock:
                        for after, at in sold:
                            if after == stock:
                                latencies.append(seen - at)
                    if stock is not None and stock <= 10_000 - args.sales:
                        return

        threads = [threading.Thread(target=watch, daemon=True) for _ in range(streams)]
        for thread in threads:
            thread.start()
        ready.wait(timeout=120)
        for number in range(1, args.sales + 1):
            time.sleep(args.poll * 1.5)
            with app.app_context():
                take_stock(int(product_id), 1)
                db.session.commit()
                with lock:
                    sold.append((10_000 - number, time.monotonic()))
        for thread in threads:
            thread.join(timeout=30)
        expected = streams * args.sales
        print(f"streams: {streams}, sales: {args.sales}, poll: {args.poll}s, events timed: {len(latencies)}/{expected}")
        if latencies:
            ordered = sorted(latencies)
            print(f"sale → shown on every stream: p50 {statistics.median(ordered):.3f}s, max {ordered[-1]:.3f}s")
    finally:
        server.terminate()  # open streams end at their next heartbeat; the bench does not wait for them
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
