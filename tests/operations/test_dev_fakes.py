"""`flask dev fakes` (devtools/fakes.py), started as a developer starts it: its printed settings pay by VNPay."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

from catalogue.payments import init_payments
from devtools.fakes import PORT_OFFSETS, bank_notice
from tests.live import serving
from tests.order_helpers import body, shelf, stock_of
from tests.payments.rail_helpers import VIETQR, ledger_of, status_of, use_rails

ROOT = Path(__file__).resolve().parents[2]
EXPORT = re.compile(r"^export ([A-Z0-9_]+)=(.*)$")


class _Form(HTMLParser):
    """The pay page's form action and its "Thanh toán" button."""

    def __init__(self):
        super().__init__()
        self.action, self.pay = None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.action = attrs.get("action")
        if tag == "button" and attrs.get("value") == "pay":
            self.pay = (attrs["name"], attrs["value"])


def _start_fakes(shop_url: str, tmp_path: Path) -> tuple[subprocess.Popen, dict[str, str]]:
    """`flask --app wsgi dev fakes` in its own process; the settings it printed, once it says it is ready."""
    env = {**os.environ, "CATALOGUE_ENV": "development", "DATABASE_URL": f"sqlite:///{tmp_path / 'dev.db'}",
           "PYTHONUNBUFFERED": "1"}  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "dev", "fakes", "--port-base", "0", "--shop-url", shop_url],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    settings, lines = {}, []
    timer = threading.Timer(60, process.kill)  # a hung start fails the test instead of blocking it
    timer.start()
    try:
        for line in process.stdout:
            lines.append(line)
            if match := EXPORT.match(line.strip()):
                settings[match[1]] = shlex.split(match[2])[0]
            if line.startswith("# Ready"):
                break
    finally:
        timer.cancel()
    assert settings, "".join(lines)
    return process, settings


@pytest.fixture
def fakes(app, tmp_path):
    with serving(app) as shop_url:
        process, settings = _start_fakes(shop_url, tmp_path)
        try:
            yield shop_url, settings
        finally:
            process.terminate()
            process.wait(timeout=30)
    assert process.returncode == 0


@pytest.mark.slow
def test_the_printed_settings_name_every_rail_marketplace_carrier_and_the_invoice_provider(fakes):
    _, settings = fakes

    for name in ("VNPAY_URL", "MOMO_API_BASE", "ZALOPAY_API_BASE", "BANK_WEBHOOK_API_KEY", "CASSO_WEBHOOK_KEY",
                 "SHOPEE_API_BASE", "LAZADA_API_BASE", "GHN_API_BASE", "VIETTELPOST_API_BASE", "INVOICE_VNPT_URL",
                 "CATALOGUE_API_URL"):  # fmt: skip
        assert settings.get(name), name
    assert len(PORT_OFFSETS) == 8  # one port per fake server


@pytest.mark.slow
def test_a_vnpay_payment_round_trip_against_the_started_fakes(app, empty_client, fakes):
    shop_url, settings = fakes
    app.config.update({name: value for name, value in settings.items() if name.startswith(("VNPAY_", "MOMO_"))})
    gateway = app.extensions["payment_gateway"]
    init_payments(app)
    app.extensions["payment_gateway"] = gateway  # nothing may reach a real Stripe
    products = shelf()
    placed = empty_client.post("/api/v1/orders", json=body((products["mien"].id, 2), payment_method="vnpay"))
    assert placed.status_code == 201, placed.get_json()
    order = placed.get_json()

    page = requests.get(order["payment"]["redirect_url"], timeout=30)  # the fake's pay page, as a buyer sees it
    form = _Form()
    form.feed(page.text)
    assert page.status_code == 200 and "200.000 ₫" in page.text and form.pay, page.text
    paid = requests.post(urljoin(page.url, form.action), data=dict([form.pay]), allow_redirects=False, timeout=30)

    assert paid.status_code == 302 and "vnp_ResponseCode=00" in paid.headers["Location"]
    assert status_of(order["code"]) == "paid"
    assert ledger_of(order["code"]) == [("attempt", "succeeded", "vnpay", 200_000),
                                        ("payment", "received", "vnpay", 200_000)]  # fmt: skip
    assert stock_of(products["mien"]) == 8


def test_the_bank_transfer_notices_are_what_the_webhook_accepts(app, empty_client):
    use_rails(app, BANK_WEBHOOK_API_KEY="k-sepay", CASSO_WEBHOOK_KEY="k-casso")
    products = shelf()
    for feed, key in (("sepay", "k-sepay"), ("casso", "k-casso")):
        placed = empty_client.post("/api/v1/orders", json=body((products["mien"].id, 1), payment_method="vietqr"))
        assert placed.status_code == 201, placed.get_json()
        code, amount = placed.get_json()["code"], placed.get_json()["payment"]["amount_vnd"]
        data, headers = bank_notice(feed, code, amount, VIETQR["VIETQR_ACCOUNT_NO"], key)

        answer = empty_client.post("/webhooks/bank-transfer", data=data, headers=headers)

        assert answer.status_code == 200, (feed, answer.get_data(as_text=True))
        assert status_of(code) == "paid", (feed, answer.get_data(as_text=True), ledger_of(code))


def test_the_documented_token_example_works_once_the_user_exists(app):
    """docs/development.md §3: `tokens create` for a user the seed never made fails; created first, it works."""
    runner = app.test_cli_runner()
    token = ["tokens", "create", "--email", "admin@example.com", "--scope", "sync", "--name", "local sync"]

    before = runner.invoke(args=token)
    made = runner.invoke(
        args=["users", "create", "--email", "admin@example.com", "--password", "Ha-Long-bay-2026!", "--role", "admin"]
    )
    after = runner.invoke(args=token)

    assert before.exit_code == 1 and "No user admin@example.com" in before.output
    assert made.exit_code == 0, made.output
    assert after.exit_code == 0 and after.output.startswith("ocop_"), after.output
    documented = (ROOT / "docs" / "development.md").read_text()
    assert "--password 'Ha-Long-bay-2026!' --role admin" in documented and " ".join(token[2:6]) in documented
