"""`python -m marketplace_sync`: a bad token or a lost API is one line and a non-zero exit; every error counted."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from marketplace_sync import cli as sync_cli
from marketplace_sync.worker import Summary
from tests.live import serving
from tests.sync.marketplace_fakes import SHOPEE

SHOPEE_ENV = {
    "SHOPEE_PARTNER_ID": str(SHOPEE["partner_id"]), "SHOPEE_PARTNER_KEY": SHOPEE["partner_key"],
    "SHOPEE_SHOP_ID": str(SHOPEE["shop_id"]), "SHOPEE_ACCESS_TOKEN": SHOPEE["access_token"],
    "SHOPEE_API_BASE": "http://127.0.0.1:9", "SYNC_ATTEMPTS": "1",
}  # fmt: skip


def _run(env: dict, *args: str):
    return CliRunner().invoke(sync_cli.cli, ["run", "--marketplace", "shopee", "--once", *args], env=env)


def _one_line(result) -> str:
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]


def test_a_bad_token_is_one_line_naming_the_setting_and_the_fix(app):
    with serving(app) as base:
        result = _run({**SHOPEE_ENV, "CATALOGUE_API_URL": base, "CATALOGUE_API_TOKEN": "not-a-token"})

    line = _one_line(result)
    assert result.exit_code == 1
    assert "refused CATALOGUE_API_TOKEN (HTTP 401)" in line and "flask tokens create" in line


def test_an_unreachable_api_is_one_line_naming_the_address_to_check():
    result = _run({**SHOPEE_ENV, "CATALOGUE_API_URL": "http://127.0.0.1:9", "CATALOGUE_API_TOKEN": "t"})

    line = _one_line(result)
    assert result.exit_code == 1
    assert "http://127.0.0.1:9/api/v1 cannot be reached" in line and "check CATALOGUE_API_URL" in line


def test_a_wrong_api_address_says_where_the_api_is(app):
    with serving(app) as base:
        result = _run({**SHOPEE_ENV, "CATALOGUE_API_URL": f"{base}/api/v1", "CATALOGUE_API_TOKEN": "t"})

    assert result.exit_code == 1
    assert "HTTP 404" in _one_line(result) and "without /api/v1" in result.output


class _FiftyErrors:
    """A worker whose run ends with 50 errors."""

    def __init__(self, *args, **kwargs):
        self.client = type("Client", (), {"api": "http://shop.test/api/v1"})()

    def poll(self, interval, *, on_summary, **options):
        on_summary(Summary("shopee", errors=50, messages=[f"QN-{n:03d}: No image" for n in range(1, 51)]))


@pytest.mark.parametrize(("args", "listed"), [((), 20), (("--all-errors",), 50)])
def test_the_summary_counts_every_error_and_lists_the_first_twenty_or_all(monkeypatch, args, listed):
    monkeypatch.setattr(sync_cli, "worker_from_env", _FiftyErrors)

    result = _run({}, *args)

    assert result.exit_code == 0, result.output
    assert "50 problem(s):" in result.output
    assert result.output.count(": No image") == listed
    assert ("… and 30 more" in result.output) == (listed == 20)
