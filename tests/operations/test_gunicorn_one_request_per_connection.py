"""gunicorn closes each connection after its answer (gunicorn.conf.py `keepalive = 0`).

A threaded worker keeps a kept-alive connection for as long as its client sends on it, so nginx's pooled
connections could all sit on the worker that accepted them: one core busy, the others idle (bench/README.md,
"Orders"). Each request on a connection of its own goes to whichever worker accepts it first.
"""

from __future__ import annotations

import http.client
import shutil
from urllib.parse import urlsplit

import pytest

from tests.conftest import _config
from tests.live import gunicorn_serving


@pytest.mark.slow
def test_the_threaded_workers_answer_one_request_per_connection(sqlite_template, tmp_path):
    shutil.copy(sqlite_template, tmp_path / "catalogue.db")
    config = _config(f"sqlite:///{tmp_path / 'catalogue.db'}", tmp_path / "media")
    config = {name: value for name, value in config.items() if isinstance(value, str | int | bool)}
    threaded = {"GUNICORN_CMD_ARGS": "--worker-class gthread --threads 4"}  # as deploy/systemd/ocop-web.service

    with gunicorn_serving(config, workers=2, environment=threaded) as base:
        parts = urlsplit(base)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        connection.request("GET", "/healthz", headers={"Connection": "keep-alive"})
        answer = connection.getresponse()
        answer.read()

        assert answer.status == 200
        assert answer.getheader("Connection") == "close"
        assert answer.will_close  # http.client closes its end: the next request opens a new connection
        connection.close()
