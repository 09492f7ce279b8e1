"""`flask --app wsgi dev …`: the test suite's fake gateways, marketplaces and carriers, served for local work.

`flask dev fakes` starts, on 127.0.0.1, the fakes the tests use (tests/payments/payment_fakes.py and friends:
VNPay, MoMo, ZaloPay, Shopee, Lazada, GHN, Viettel Post and an e-invoice provider), prints the
settings to export so `make run` (and the sync worker) talk to them, and serves until Ctrl-C.
`flask dev bank-transfer` posts a signed SePay or Casso notice to the shop, as the bank feed would.

The fakes stay test code (tests/): this module imports them lazily, so a checkout without tests/
(a production image) has no `flask dev` at all, and the app never imports this package (wsgi.py
adds the group only outside production; lint-imports forbids catalogue → devtools and tests).
"""

from __future__ import annotations

import contextlib
import json
import shlex
import signal
import threading
import time
from collections.abc import Iterator

import click
import requests
from flask import current_app
from flask.cli import with_appcontext

# The keys the local shop and the fakes share: made up, good for nothing but 127.0.0.1.
SEPAY_DEV_KEY = "dev-sepay-api-key"
CASSO_DEV_KEY = "dev-casso-webhook-key"
GHN_DEV_WEBHOOK_TOKEN = "dev-ghn-webhook-token"
VIETTELPOST_DEV_WEBHOOK_TOKEN = "dev-viettelpost-webhook-token"
# Each fake's port is --port-base plus its offset (0 gives every fake a free port instead).
PORT_OFFSETS = {"vnpay": 1, "momo": 2, "zalopay": 3, "shopee": 4, "lazada": 5, "ghn": 6, "viettelpost": 7, "invoice": 8}


@click.group("dev")
def dev_cli() -> None:
    """Local development helpers (not available in production)."""


def _on_port(cls: type, port: int) -> type:
    """`cls` bound to `port` (0: a free one): the fakes read the port from a class attribute."""
    return type(cls.__name__, (cls,), {"port": port})


@contextlib.contextmanager
def serve_fakes(shop_url: str, port_base: int) -> Iterator[dict[str, str]]:
    """Every fake started (and stopped after); yields the settings that point the shop and the worker at them."""
    try:
        from tests.delivery.fakes_ghn import GHN_TEST, FakeGHN
        from tests.delivery.fakes_viettelpost import VIETTELPOST_TEST, FakeViettelPost
        from tests.invoices.invoice_fakes import SECRET, USERNAME, fake_provider
        from tests.payments.fakes_zalopay import ZALOPAY_TEST, FakeZaloPay
        from tests.payments.payment_fakes import MOMO_TEST, VNPAY_TEST, FakeMoMo, FakeVNPay
        from tests.sync.marketplace_fakes import LAZADA, SHOPEE, FakeLazada, FakeShopee
    except ImportError as error:  # pragma: no cover - a checkout without tests/ or its dev requirements
        raise click.ClickException(
            f"The fakes live in tests/ and need requirements-dev.txt ({error}): run it from a full checkout."
        ) from error

    def port(name: str) -> int:
        return port_base + PORT_OFFSETS[name] if port_base else 0

    shop = shop_url.rstrip("/")
    with contextlib.ExitStack() as stack:
        vnpay = stack.enter_context(_on_port(FakeVNPay, port("vnpay"))(ipn_url=f"{shop}/webhooks/vnpay"))
        momo = stack.enter_context(_on_port(FakeMoMo, port("momo"))())
        zalopay = stack.enter_context(_on_port(FakeZaloPay, port("zalopay"))())
        shopee = stack.enter_context(_on_port(FakeShopee, port("shopee"))())
        lazada = stack.enter_context(_on_port(FakeLazada, port("lazada"))())
        ghn = stack.enter_context(_on_port(FakeGHN, port("ghn"))())
        viettelpost = stack.enter_context(_on_port(FakeViettelPost, port("viettelpost"))())
        _, invoice_url = stack.enter_context(fake_provider(port("invoice")))
        vnpay.pay_page = momo.pay_page = True  # a person clicks "Thanh toán" or "Hủy giao dịch" (ZaloPay always asks)
        yield {
            # Rails (contract §7): VietQR stays on its demo account; the bank feeds' keys for `flask dev bank-transfer`.
            "BANK_WEBHOOK_API_KEY": SEPAY_DEV_KEY,
            "CASSO_WEBHOOK_KEY": CASSO_DEV_KEY,
            "VNPAY_TMN_CODE": VNPAY_TEST["tmn_code"],
            "VNPAY_HASH_SECRET": VNPAY_TEST["hash_secret"],
            "VNPAY_URL": vnpay.pay_url,
            "VNPAY_API": vnpay.url,
            "MOMO_PARTNER_CODE": MOMO_TEST["partner_code"],
            "MOMO_ACCESS_KEY": MOMO_TEST["access_key"],
            "MOMO_SECRET_KEY": MOMO_TEST["secret_key"],
            "MOMO_API_BASE": momo.url,
            "ZALOPAY_APP_ID": ZALOPAY_TEST["app_id"],
            "ZALOPAY_KEY1": ZALOPAY_TEST["key1"],
            "ZALOPAY_KEY2": ZALOPAY_TEST["key2"],
            "ZALOPAY_API_BASE": zalopay.url,
            # Carriers (contract §8).
            "GHN_API_BASE": ghn.url,
            "GHN_TOKEN": GHN_TEST["token"],
            "GHN_SHOP_ID": GHN_TEST["shop_id"],
            "GHN_WEBHOOK_TOKEN": GHN_DEV_WEBHOOK_TOKEN,
            "VIETTELPOST_API_BASE": viettelpost.url,
            "VIETTELPOST_USERNAME": VIETTELPOST_TEST["username"],
            "VIETTELPOST_PASSWORD": VIETTELPOST_TEST["password"],
            "VIETTELPOST_WEBHOOK_TOKEN": VIETTELPOST_DEV_WEBHOOK_TOKEN,
            # E-invoices: the fake stands in for VNPT's service.
            "INVOICE_VNPT_URL": invoice_url,
            "INVOICE_VNPT_USERNAME": USERNAME,
            "INVOICE_VNPT_SECRET": SECRET,
            # The marketplace sync worker (python -m marketplace_sync; CATALOGUE_API_TOKEN from `flask tokens create`).
            "CATALOGUE_API_URL": shop,
            "SHOPEE_API_BASE": shopee.url,
            "SHOPEE_PARTNER_ID": str(SHOPEE["partner_id"]),
            "SHOPEE_PARTNER_KEY": SHOPEE["partner_key"],
            "SHOPEE_SHOP_ID": str(SHOPEE["shop_id"]),
            "SHOPEE_ACCESS_TOKEN": SHOPEE["access_token"],
            "LAZADA_API_BASE": lazada.url,
            "LAZADA_APP_KEY": LAZADA["app_key"],
            "LAZADA_APP_SECRET": LAZADA["app_secret"],
            "LAZADA_ACCESS_TOKEN": LAZADA["access_token"],
        }


@dev_cli.command("fakes")
@click.option("--shop-url", default="http://127.0.0.1:5000", show_default=True,
              help="Where `make run` serves the shop: the fakes send IPNs and callbacks there.")  # fmt: skip
@click.option("--port-base", default=8900, show_default=True, type=click.IntRange(0, 65000),
              help="Each fake listens on this plus 1…8 (VNPay 8901 … invoices 8908); 0 picks free ports.")  # fmt: skip
def fakes_command(shop_url: str, port_base: int) -> None:
    """Serve the fake gateways, marketplaces, carriers and e-invoice provider on 127.0.0.1 until Ctrl-C.

    Prints `export NAME=value` lines: paste them (or `eval`) in the shell that runs `make run`,
    and in the one that runs `python -m marketplace_sync`.
    """
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        with serve_fakes(shop_url, port_base) as settings:
            click.echo("# Fakes on 127.0.0.1. Export these where `make run` and the sync worker run:")
            for name, value in settings.items():
                click.echo(f"export {name}={shlex.quote(value)}")
            click.echo("# Ready. Ctrl-C stops the fakes.", nl=True)
            while not stop.wait(0.5):
                pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


def sepay_notice(order_code: str, amount: int, account_no: str, transaction_id: int) -> dict:
    """What SePay posts for money in: its transaction, the order code in the transfer's content."""
    return {
        "id": transaction_id, "gateway": "Vietcombank", "transactionDate": time.strftime("%Y-%m-%d %H:%M:%S"),
        "accountNumber": account_no, "code": None, "content": f"{order_code} chuyen tien", "transferType": "in",
        "transferAmount": amount, "accumulated": amount, "subAccount": None, "referenceCode": f"FT{transaction_id}",
        "description": f"BankAPINotify {order_code} chuyen tien",
    }  # fmt: skip


def casso_notice(order_code: str, amount: int, account_no: str, transaction_id: int) -> dict:
    """What Casso (webhook v2) posts for money in."""
    return {
        "error": 0,
        "data": {
            "id": transaction_id, "reference": f"MB{transaction_id}", "description": f"{order_code} chuyen tien",
            "amount": amount, "runningBalance": amount, "transactionDateTime": time.strftime("%Y-%m-%d %H:%M:%S"),
            "accountNumber": account_no, "bankName": "Vietcombank", "bankAbbreviation": "VCB",
            "counterAccountName": "NGUYEN VAN A",
        },
    }  # fmt: skip


def bank_notice(feed: str, order_code: str, amount: int, account_no: str, key: str) -> tuple[bytes, dict[str, str]]:
    """The body and headers SePay or Casso would send to /webhooks/bank-transfer."""
    from catalogue.payments.bank_feeds import casso_signature

    transaction_id = int(time.time() * 1000) % 1_000_000_000
    if feed == "sepay":
        body = sepay_notice(order_code, amount, account_no, transaction_id)
        headers = {"Authorization": f"Apikey {key}"}
    else:
        body = casso_notice(order_code, amount, account_no, transaction_id)
        timestamp = str(int(time.time() * 1000))
        headers = {"X-Casso-Signature": f"t={timestamp},v1={casso_signature(key, timestamp, body)}"}
    return json.dumps(body, ensure_ascii=False).encode(), {**headers, "Content-Type": "application/json"}


@dev_cli.command("bank-transfer")
@click.argument("order_code")
@click.argument("amount", type=click.IntRange(1))
@click.option("--feed", type=click.Choice(("sepay", "casso")), default="sepay", show_default=True)
@click.option("--shop-url", default="http://127.0.0.1:5000", show_default=True)
@with_appcontext
def bank_transfer_command(order_code: str, amount: int, feed: str, shop_url: str) -> None:
    """Tell the running shop that AMOUNT VND arrived for ORDER_CODE, as SePay or Casso would (signed)."""
    from catalogue.payments.vietqr import DEMO_ACCOUNT

    setting = "BANK_WEBHOOK_API_KEY" if feed == "sepay" else "CASSO_WEBHOOK_KEY"
    key = current_app.config.get(setting)
    if not key:
        raise click.ClickException(f"{setting} is not set: export the settings `flask dev fakes` prints first.")
    account_no = current_app.config.get("VIETQR_ACCOUNT_NO") or DEMO_ACCOUNT.account_no
    body, headers = bank_notice(feed, order_code, amount, account_no, key)
    try:
        answer = requests.post(f"{shop_url.rstrip('/')}/webhooks/bank-transfer", data=body, headers=headers, timeout=15)
    except requests.RequestException as error:
        message = f"The shop at {shop_url} does not answer ({error}): is `make run` running?"
        raise click.ClickException(message) from error
    click.echo(f"{answer.status_code} {answer.text.strip()}")
    if answer.status_code >= 400:
        raise SystemExit(1)
