"""Baseline for bench/run.py: a bare Flask endpoint returning the same bytes.

`GET /bare/<name>` answers the body recorded from the real app in
bench/results/<name>.body, as application/json (text/html for the product page,
page-* and the origin page, origin-*). Every body is read once, when
the module is imported, so a request costs only Flask routing and the socket:
whatever the catalogue app spends beyond that is its own work.

Serve with `gunicorn -w 2 --chdir bench bare:app` after the bodies are saved.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, abort

RESULTS = Path(__file__).resolve().parent / "results"
BODIES = {path.stem: path.read_bytes() for path in sorted(RESULTS.glob("*.body"))}

app = Flask(__name__)


@app.get("/bare/<name>")
def bare(name: str) -> Response:
    """The pre-recorded body `name`, or 404."""
    body = BODIES.get(name)
    if body is None:
        abort(404)
    # Storefront pages (page-*) are HTML, the API's answers JSON, as the real app sends them.
    content_type = "text/html; charset=utf-8" if name.startswith(("page-", "origin-")) else "application/json"
    return Response(body, content_type=content_type)
