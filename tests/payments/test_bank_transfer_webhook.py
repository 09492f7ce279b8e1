"""POST /webhooks/bank-transfer: SePay and Casso v2, bank-mangled contents, refusals that change nothing, races."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from catalogue import clock
from catalogue.extensions import db
from catalogue.payments import init_payments
from catalogue.payments.bank_feeds import casso_signature
from catalogue.payments.models import Payment
from tests.live import race, serving
from tests.order_helpers import body, shelf, stock_of
from tests.payments.rail_helpers import (
    CASSO_KEY,
    all_rows,
    casso_body,
    ledger_of,
    post_casso,
    post_sepay,
    sepay_body,
    status_of,
    use_rails,
)


@pytest.fixture
def order(app, empty_client):
    use_rails(app)
    products = shelf()
    placed = empty_client.post("/api/v1/orders", json=body((products["mien"].id, 2), payment_method="vietqr"))
    return {**placed.get_json(), "product": products["mien"]}


def _mangled(code: str) -> list[str]:
    """How banks and apps hand back the content `QNABCDEFGH` we asked for."""
    chars = code.replace("-", "")[2:]
    return [
        f"MBVCB.3278907687.QN{chars}.CT tu 0011001234567 NGUYEN VAN A",
        f"qn-{chars[:4].lower()}-{chars[4:].lower()} thanh toan don hang",
        f"IBFT QN {chars[:4]} {chars[4:]}",
        f"Chuyển tiền QN.{chars}. Cảm ơn",
    ]


@pytest.mark.parametrize("variant", range(4))
def test_sepay_finds_the_code_whatever_the_bank_left(empty_client, order, variant):
    content = _mangled(order["code"])[variant]

    response = post_sepay(empty_client, sepay_body(70 + variant, content, 200_000))

    assert (response.status_code, response.get_json()) == (200, {"success": True, "outcomes": ["paid"]})
    assert status_of(order["code"]) == "paid"


def test_casso_v2_signed_pays_the_order(empty_client, order):
    response = post_casso(empty_client, casso_body(9001, _mangled(order["code"])[0], 200_000))

    assert (response.status_code, response.get_json()["success"]) == (200, True)
    assert status_of(order["code"]) == "paid"
    assert ledger_of(order["code"])[-1] == ("payment", "received", "vietqr", 200_000)


def test_the_same_transaction_twice_is_recorded_once(empty_client, order):
    transfer = sepay_body(5, order["payment"]["content"], 150_000)

    first = post_sepay(empty_client, transfer)
    again = post_sepay(empty_client, transfer)

    assert (first.get_json()["outcomes"], again.get_json()["outcomes"]) == (["partly_paid"], ["duplicate"])
    assert again.status_code == 200  # SePay must not retry it
    assert ledger_of(order["code"])[1:] == [("payment", "received", "vietqr", 150_000)]
    assert status_of(order["code"]) == "pending_payment"


def test_money_going_out_is_not_a_payment(empty_client, order):
    sepay = post_sepay(empty_client, sepay_body(6, order["payment"]["content"], 200_000, direction="out"))
    casso = post_casso(empty_client, casso_body(7, order["payment"]["content"], -200_000))

    assert sepay.get_json()["outcomes"] == casso.get_json()["outcomes"] == ["outgoing"]
    assert status_of(order["code"]) == "pending_payment"
    assert ledger_of(order["code"]) == [("attempt", "started", "vietqr", 200_000)]


def test_a_transfer_into_another_account_pays_nothing_and_is_kept_for_the_office(empty_client, order):
    # given a transfer naming the order, for its full amount, into an account that is not the shop's
    content = order["payment"]["content"]
    sepay = {**sepay_body(30, content, 200_000), "accountNumber": "9999888877"}
    casso = casso_body(31, content, 200_000)
    casso["data"]["accountNumber"] = "0011004299999"

    # when both feeds report it, and SePay reports it again
    first = post_sepay(empty_client, sepay)
    second = post_casso(empty_client, casso)
    again = post_sepay(empty_client, sepay)

    # then each is answered as received (no retry), recorded once as rejected, and the order is not paid
    assert [r.status_code for r in (first, second, again)] == [200, 200, 200]
    assert [r.get_json()["outcomes"] for r in (first, second, again)] == [
        ["other_account"],
        ["other_account"],
        ["duplicate"],
    ]
    assert status_of(order["code"]) == "pending_payment"
    assert ledger_of(order["code"]) == [("attempt", "started", "vietqr", 200_000)]
    assert ledger_of(None) == [("payment", "rejected", "vietqr", 200_000), ("payment", "rejected", "vietqr", 200_000)]
    reasons = db.session.scalars(select(Payment.reason).where(Payment.order_id.is_(None)).order_by(Payment.id)).all()
    assert reasons == ["to account 9999888877, not the shop's", "to account 0011004299999, not the shop's"]


@pytest.mark.parametrize("written", ["1023 456 789", "001023456789", " 1023-456-789 "])
def test_the_shops_account_however_the_feed_writes_it_pays(empty_client, order, written):
    transfer = {**sepay_body(40, order["payment"]["content"], 200_000), "accountNumber": written}

    response = post_sepay(empty_client, transfer)

    assert response.get_json()["outcomes"] == ["paid"]
    assert status_of(order["code"]) == "paid"


def test_without_a_shop_account_no_transfer_pays(app, empty_client, order):
    # given bank feeds on but VietQR (the shop's account) off
    app.config.update(VIETQR_BANK_BIN=None, VIETQR_ACCOUNT_NO=None, VIETQR_ACCOUNT_NAME=None, CATALOGUE_ENV="testing")
    init_payments(app)

    response = post_sepay(empty_client, sepay_body(41, order["payment"]["content"], 200_000))

    assert (response.status_code, response.get_json()["outcomes"]) == (200, ["other_account"])
    assert status_of(order["code"]) == "pending_payment"


def _refusals(order):
    good = sepay_body(8, order["payment"]["content"], 200_000)
    raw = json.dumps(good).encode()
    json_headers = {"Content-Type": "application/json"}
    return {
        "wrong-key": (raw, {"Authorization": "Apikey not-the-key", **json_headers}, 401),
        "unsigned": (raw, json_headers, 401),
        "bearer-not-apikey": (raw, {"Authorization": "Bearer sepay-shop-key", **json_headers}, 401),
        "forged-casso": (raw, {"X-Casso-Signature": "t=1727948258788,v1=" + "0" * 128, **json_headers}, 401),
        "not-json": (b"{not json", {"Authorization": "Apikey sepay-shop-key", **json_headers}, 400),
        "no-amount": (
            json.dumps({**good, "transferAmount": "nhieu"}).encode(),
            {"Authorization": "Apikey sepay-shop-key", **json_headers},
            400,
        ),
        "no-direction": (
            json.dumps({**good, "transferType": None}).encode(),
            {"Authorization": "Apikey sepay-shop-key", **json_headers},
            400,
        ),
    }


@pytest.mark.parametrize(
    "case", ["wrong-key", "unsigned", "bearer-not-apikey", "forged-casso", "not-json", "no-amount", "no-direction"]
)
def test_forged_unsigned_or_malformed_notifications_change_nothing(empty_client, order, case):
    data, headers, status = _refusals(order)[case]
    rows = all_rows()

    response = empty_client.post("/webhooks/bank-transfer", data=data, headers=headers)

    assert response.status_code == status
    assert response.get_json()["code"] == status
    assert all_rows() == rows
    assert status_of(order["code"]) == "pending_payment"


def test_a_casso_body_changed_after_signing_is_refused(empty_client, order):
    signed = casso_body(11, order["payment"]["content"], 2_000)
    header = f"t=1,v1={casso_signature(CASSO_KEY, '1', signed)}"
    tampered = json.loads(json.dumps(signed))
    tampered["data"]["amount"] = 200_000
    rows = all_rows()

    response = empty_client.post(
        "/webhooks/bank-transfer",
        data=json.dumps(tampered).encode(),
        headers={"X-Casso-Signature": header, "Content-Type": "application/json"},
    )

    assert response.status_code == 401
    assert all_rows() == rows
    assert status_of(order["code"]) == "pending_payment"


def _signed_casso(body: dict, signed_at_ms: int) -> tuple[bytes, dict]:
    """The bytes and headers of a Casso v2 notification signed at `signed_at_ms`."""
    header = f"t={signed_at_ms},v1={casso_signature(CASSO_KEY, str(signed_at_ms), body)}"
    return json.dumps(body).encode(), {"X-Casso-Signature": header, "Content-Type": "application/json"}


def test_a_genuine_casso_notice_signed_over_five_minutes_ago_is_refused(empty_client, order):
    data, headers = _signed_casso(
        casso_body(13, order["payment"]["content"], 200_000), int(time.time() * 1000) - 301_000
    )
    rows = all_rows()

    response = empty_client.post("/webhooks/bank-transfer", data=data, headers=headers)

    assert (response.status_code, response.get_json()["code"]) == (401, 401)
    assert all_rows() == rows
    assert status_of(order["code"]) == "pending_payment"
    assert stock_of(order["product"]) == 8


def test_a_casso_notice_replayed_is_recorded_once_then_refused_once_stale(empty_client, order, monkeypatch):
    data, headers = _signed_casso(casso_body(14, order["payment"]["content"], 200_000), int(time.time() * 1000))
    first = empty_client.post("/webhooks/bank-transfer", data=data, headers=headers)
    again = empty_client.post("/webhooks/bank-transfer", data=data, headers=headers)  # within the window
    ledger = ledger_of(order["code"])
    later = clock.now() + timedelta(seconds=301)
    monkeypatch.setattr(clock, "now", lambda: later)

    replayed = empty_client.post("/webhooks/bank-transfer", data=data, headers=headers)

    assert (first.get_json()["outcomes"], again.get_json()["outcomes"]) == (["paid"], ["duplicate"])
    assert replayed.status_code == 401
    assert (
        ledger_of(order["code"])
        == ledger
        == [
            ("attempt", "started", "vietqr", 200_000),
            ("payment", "received", "vietqr", 200_000),
        ]
    )
    assert status_of(order["code"]) == "paid"
    assert stock_of(order["product"]) == 8


def test_without_bank_feed_settings_every_webhook_is_refused(app, empty_client, order):
    app.config.update(BANK_WEBHOOK_API_KEY=None, CASSO_WEBHOOK_KEY=None)
    init_payments(app)
    rows = all_rows()

    response = post_sepay(empty_client, sepay_body(12, order["payment"]["content"], 200_000))

    assert response.status_code == 401
    assert all_rows() == rows


class _Live:
    def __init__(self, base: str):
        self.base = base

    def post(self, path, data, headers):
        return requests.post(self.base + path, data=data, headers=headers, timeout=30)


def test_two_transfers_racing_for_one_order_settle_it_once(app, backend, order):
    if backend != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers")
    content = order["payment"]["content"]
    with serving(app) as base:
        live = _Live(base)
        answers = race(2, lambda index: post_sepay(live, sepay_body(100 + index, content, 150_000)).json())

    assert sorted(answer["outcomes"][0] for answer in answers) == ["paid", "partly_paid"]
    assert status_of(order["code"]) == "paid"
    assert ledger_of(order["code"])[-1] == ("refund", "due", "vietqr", 100_000)
    assert stock_of(order["product"]) == 8


def test_the_same_transfer_racing_itself_is_recorded_once(app, backend, order):
    if backend != "postgresql":
        pytest.skip("concurrent writers are PostgreSQL's; SQLite serialises them")
    transfer = sepay_body(200, order["payment"]["content"], 200_000)
    with serving(app) as base:
        live = _Live(base)
        answers = race(4, lambda index: post_sepay(live, transfer))

    assert sorted(answer.status_code for answer in answers) == [200, 200, 200, 200]
    assert sorted(answer.json()["outcomes"][0] for answer in answers) == ["duplicate", "duplicate", "duplicate", "paid"]
    assert ledger_of(order["code"]) == [
        ("attempt", "started", "vietqr", 200_000),
        ("payment", "received", "vietqr", 200_000),
    ]
