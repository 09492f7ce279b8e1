"""Production builds absolute URLs and redirects from PUBLIC_BASE_URL, never the Host header (contract §8, issue 22)."""

from __future__ import annotations

import shutil

import pytest

from catalogue import create_app
from catalogue.config import ConfigError, load_config
from tests.production_helpers import production_env

BASE = "https://ocop.example.vn"


def test_production_refuses_to_start_without_public_base_url(monkeypatch, tmp_path):
    production_env(monkeypatch, PUBLIC_BASE_URL=None)

    with pytest.raises(ConfigError, match="^PUBLIC_BASE_URL must be set in production"):
        load_config(str(tmp_path))


@pytest.mark.parametrize("value", ["ocop.example.vn", "http://ocop.example.vn", "https://", "https://x.vn/?a=1"])
def test_production_refuses_a_public_base_url_that_is_not_an_https_origin(monkeypatch, tmp_path, value):
    production_env(monkeypatch, PUBLIC_BASE_URL=value)

    with pytest.raises(ConfigError, match="^PUBLIC_BASE_URL must be"):
        load_config(str(tmp_path))


def test_production_starts_with_it(monkeypatch, tmp_path):
    production_env(monkeypatch, PUBLIC_BASE_URL=BASE + "/")

    assert load_config(str(tmp_path))["PUBLIC_BASE_URL"] == BASE


@pytest.fixture
def https_app(request, tmp_path):
    from tests.conftest import _config

    path = tmp_path / "catalogue.db"
    shutil.copy(request.getfixturevalue("sqlite_template"), path)
    config = {**_config(f"sqlite:///{path}", tmp_path / "media"), "FORCE_HTTPS": True, "PUBLIC_BASE_URL": BASE}
    application = create_app(config)
    with application.app_context():
        yield application


def test_the_https_redirect_goes_to_the_public_address_not_the_host_header(https_app):
    answer = https_app.test_client().get("/products?q=mi", base_url="http://evil.example")

    assert answer.status_code in (301, 302, 308)
    assert answer.headers["Location"] == f"{BASE}/products?q=mi"


def test_absolute_urls_ignore_the_host_header(https_app):
    answer = https_app.test_client().get("/robots.txt", base_url="https://evil.example")

    assert "evil.example" not in answer.get_data(as_text=True)
    assert f"{BASE}/sitemap.xml" in answer.get_data(as_text=True)
