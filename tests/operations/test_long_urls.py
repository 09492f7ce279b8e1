"""URLs longer than the app reads are a 414 in the contract's shape, through gunicorn as in production."""

from __future__ import annotations

import shutil

import pytest
import requests

from catalogue import MAX_URL_LENGTH
from tests.conftest import _config
from tests.live import gunicorn_serving
from tests.production_helpers import gunicorn_settings


def test_gunicorn_reads_longer_lines_than_the_app_does():
    assert gunicorn_settings().limit_request_line >= MAX_URL_LENGTH + len("DELETE  HTTP/1.1") + 1


def test_a_long_api_url_is_414_json(client):
    response = client.get("/api/v1/products?q=" + "a" * MAX_URL_LENGTH)

    assert response.status_code == 414
    assert response.get_json()["code"] == 414
    assert str(MAX_URL_LENGTH) in response.get_json()["message"]


def test_a_long_page_url_is_414_html(client):
    response = client.get("/products?q=" + "a" * MAX_URL_LENGTH, headers={"Accept": "text/html"})

    assert response.status_code == 414
    assert response.mimetype == "text/html"


def test_a_url_at_the_limit_is_read(client):
    path = "/api/v1/products?q="
    # read, not refused as too long: the query is then checked like any other (q is at most 200 characters)
    assert client.get(path + "a" * (MAX_URL_LENGTH - len(path))).status_code == 422


@pytest.mark.slow
def test_through_gunicorn_a_url_over_its_default_limit_is_the_apps_json_414(sqlite_template, tmp_path):
    """gunicorn's default limit (4094) answered a 5 000-character line with its own HTML 400."""
    shutil.copy(sqlite_template, tmp_path / "catalogue.db")
    config = _config(f"sqlite:///{tmp_path / 'catalogue.db'}", tmp_path / "media")
    config = {name: value for name, value in config.items() if isinstance(value, str | int | bool)}
    config["RAISE_UNEXPECTED_ERRORS"] = False
    with gunicorn_serving(config, workers=1) as base:
        response = requests.get(f"{base}/api/v1/products?q=" + "a" * 5000, timeout=30)

    assert response.status_code == 414
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["code"] == 414
