"""The same read mix through nginx, to one web node and to two: what a second node buys.

    .venv/bin/python bench/cluster.py [--duration 20] [--rounds 2] [--connections 16]

Root only (network namespaces): it brings up the cluster of tests/cluster/harness.py (two gunicorn
nodes with 2 workers each, a celery worker, nginx, on PostgreSQL `ocop_cluster`, Redis and moto's
S3) — never while `make test-cluster` runs (fixed namespace names and database: it refuses when
`ip netns list` shows ocop-a). wrk (`-s` a Lua script cycling through the mix) loads nginx's site
whose upstream is node A only, then the site balancing A and B, alternately, `--rounds` times each;
the best round of each is kept. The figures are written between the `cluster` markers of
bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from run import Load, parse_wrk  # noqa: E402  (bench scripts share helpers, not a package)

from tests.cluster.harness import Cluster  # noqa: E402

README = REPO / "bench" / "README.md"
MARK_START, MARK_END = "<!-- cluster:start -->", "<!-- cluster:end -->"


def read_mix(cluster: Cluster) -> list[str]:
    """What shoppers read: lists, a search, details, categories, a product page (HTML)."""
    import requests

    items = requests.get(f"{cluster.base}/api/v1/products?per_page=20", verify=False, timeout=10).json()["items"]
    paths = ["/api/v1/products?per_page=20", "/api/v1/products?per_page=20&page=2", "/api/v1/categories",
             "/api/v1/products?q=mien+dong+binh+lieu"]  # fmt: skip
    paths += [f"/api/v1/products/{item['id']}" for item in items[:8]]
    paths += [f"/products/{item['slug']}" for item in items[:2] if item.get("slug")]
    return paths


def write_lua(folder: Path, paths: list[str]) -> Path:
    script = folder / "mix.lua"
    listed = ", ".join(f'"{path}"' for path in paths)
    script.write_text(
        f"local paths = {{{listed}}}\nlocal i = 0\n"
        'request = function()\n  i = i % #paths + 1\n  return wrk.format("GET", paths[i])\nend\n'
    )
    return script


def run_wrk(url: str, script: Path, duration: int, connections: int) -> Load:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s", "-s", str(script),
               url]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=True)
    return parse_wrk(done.stdout)


def update_readme(lines: list[str]) -> None:
    text = README.read_text()
    block = "\n".join([MARK_START, *lines, MARK_END])
    if MARK_START in text:
        before, rest = text.split(MARK_START, 1)
        text = before + block + rest.split(MARK_END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    README.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--no-readme", action="store_true")
    options = parser.parse_args()
    if os.geteuid() != 0:
        print("bench/cluster.py needs root (ip netns)", file=sys.stderr)
        return 2
    if "ocop-a" in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout:
        print("a cluster is already running on this machine (ocop-a exists): wait for it", file=sys.stderr)
        return 2
    import urllib3

    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    folder = Path(tempfile.mkdtemp(prefix="ocop-bench-cluster-"))
    cluster = Cluster(folder)
    paths: list[str] = []
    try:
        cluster.up()
        paths = read_mix(cluster)
        script = write_lua(folder, paths)
        targets = {"one node (A)": cluster.via_nginx("a"), "two nodes (A+B)": cluster.base}
        for url in targets.values():  # warm both nodes' caches and connections
            run_wrk(url, script, 3, options.connections)
        results: dict[str, list[Load]] = {name: [] for name in targets}
        for round_number in range(options.rounds):
            for name, url in targets.items():
                load = run_wrk(url, script, options.duration, options.connections)
                results[name].append(load)
                print(f"round {round_number + 1} {name}: {load.requests_per_second:.0f} req/s, p50 {load.p50_ms:.1f}"
                      f" ms, p99 {load.p99_ms:.1f} ms, errors {load.errors}", flush=True)  # fmt: skip
                time.sleep(2)
    finally:
        cluster.down()
    best = {name: max(loads, key=lambda load: load.requests_per_second) for name, loads in results.items()}
    one, two = best["one node (A)"], best["two nodes (A+B)"]
    lines = [
        f"{platform.machine()}, {os.cpu_count()} cores (shared), Python {platform.python_version()}; "
        f"each node gunicorn 2 sync workers;"
        f" wrk -t2 -c{options.connections} -d{options.duration}s through nginx (TLS), "
        f"best of {options.rounds} rounds; the mix cycles through {len(paths)} URLs (bench/cluster.py `read_mix`).",
        "",
        "| upstream | req/s | p50 (ms) | p99 (ms) | errors |",
        "|---|---|---|---|---|",
        *(
            f"| {name} | {load.requests_per_second:.0f} | {load.p50_ms:.1f} | {load.p99_ms:.1f} | {load.errors} |"
            for name, load in best.items()
        ),  # fmt: skip
        "",
        f"Two nodes ÷ one node: **{two.requests_per_second / one.requests_per_second:.2f}×** the throughput; "
        f"p99 {two.p99_ms:.0f} ms vs {one.p99_ms:.0f} ms.",
    ]
    print("\n".join(lines))
    if not options.no_readme:
        update_readme(lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
