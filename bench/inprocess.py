"""Time requests through the Flask test client: no gunicorn, no wrk, no socket.

A quick before/after check of the catalogue's own work on a database that
bench/run.py built, e.g.

    .venv/bin/python bench/inprocess.py bench/results/catalogue-100000.db [--requests 50] [--cache-size 0]

Prints, per scenario, the first (cold) request and the median and mean of the
next ones, in milliseconds. With the default `--cache-size 0` every request does
the full work; a positive size shows what the response cache saves.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SCENARIOS = {
    "list": "/api/v1/products?per_page=20",
    "search": "/api/v1/products?q=mien+dong+binh+lieu",
    "detail": "/api/v1/products/{product_id}",
    "page": "/products/mien-dong-binh-lieu",
    "origin": "/t/{lot_code}",  # as a phone's browser: the page, a scan buffered off the path
}


def measure(database: Path, requests: int, cache_size: int) -> dict[str, tuple[float, float, float]]:
    """Scenario → (first request ms, median ms, mean ms) over `requests` requests after the first."""
    os.environ.setdefault("SECRET_KEY", "bench")
    os.environ.setdefault("MEDIA_ROOT", str(REPO / "bench" / "results" / "media"))
    from catalogue import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database.resolve()}", "RESPONSE_CACHE_SIZE": cache_size})
    client = app.test_client()
    # A phone's browser asks for HTML (a bare client gets the resolver's 307) and is no bot; JSON routes ignore it.
    client.environ_base.update(
        HTTP_ACCEPT="text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        HTTP_USER_AGENT="Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile",
    )
    first_id = client.get(SCENARIOS["list"]).get_json()["items"][0]["id"]
    lot_code = client.get(f"/api/v1/products/{first_id}/lots").get_json()["items"][0]["code"]
    results = {}
    for name, path in SCENARIOS.items():
        url = path.format(product_id=first_id, lot_code=lot_code)
        timings = []
        for _ in range(requests + 1):
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
        results[name] = (timings[0], statistics.median(timings[1:]), statistics.fmean(timings[1:]))
    return results


def main() -> int:
    """Parse options, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", type=Path)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--cache-size", type=int, default=0)
    args = parser.parse_args()
    for name, (first, median, mean) in measure(args.database, args.requests, args.cache_size).items():
        print(f"{name:7} first {first:8.1f} ms   median {median:8.2f} ms   mean {mean:8.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
