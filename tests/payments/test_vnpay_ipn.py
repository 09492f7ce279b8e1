"""VNPay end to end: the fake VNPay pays and calls our real IPN on a live server; RspCode exactly as VNPay wants."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from sqlalchemy.exc import OperationalError

from catalogue.orders import settlement
from tests.live import race, serving
from tests.order_helpers import body, shelf, stock_of
from tests.payments.payment_fakes import VNPAY_TEST, FakeVNPay, vnpay_hash
from tests.payments.rail_helpers import all_rows, ledger_of, post_sepay, sepay_body, status_of, use_rails

CONFIRMED = {"RspCode": "00", "Message": "Confirm Success"}


@pytest.fixture
def vnpay(app, empty_client):
    with serving(app) as base, FakeVNPay(ipn_url=f"{base}/webhooks/vnpay") as fake:
        use_rails(app, vnpay_url=fake.pay_url)
        products = shelf()
        placed = empty_client.post("/api/v1/orders", json=body((products["mien"].id, 2), payment_method="vnpay"))
        assert placed.status_code == 201, placed.get_json()
        yield {"fake": fake, "base": base, "order": placed.get_json(), "product": products["mien"],
               "client": empty_client}  # fmt: skip


def _pay(vnpay) -> requests.Response:
    return requests.get(vnpay["order"]["payment"]["redirect_url"], allow_redirects=False, timeout=30)


def _answers(fake) -> list:
    return [(status, json.loads(text)) for status, text in fake.ipn_answers]


def test_the_answer_carries_the_signed_redirect_to_vnpay(vnpay):
    payment = vnpay["order"]["payment"]
    query = dict(parse_qsl(urlsplit(payment["redirect_url"]).query))

    assert payment["provider"] == "vnpay"
    assert payment["reference"] == f"{vnpay['order']['code']}-1"
    assert (query["vnp_TxnRef"], query["vnp_Amount"]) == (payment["reference"], "20000000")
    assert query["vnp_ReturnUrl"] == "http://shop.test/payments/vnpay/return"


def test_a_payment_through_vnpay_pays_the_order_once(vnpay):
    _pay(vnpay)

    assert _answers(vnpay["fake"]) == [(200, CONFIRMED)]
    code = vnpay["order"]["code"]
    assert status_of(code) == "paid"
    assert ledger_of(code) == [("attempt", "succeeded", "vnpay", 200_000), ("payment", "received", "vnpay", 200_000)]
    assert stock_of(vnpay["product"]) == 8


def test_the_same_ipn_again_is_already_confirmed_and_changes_nothing(vnpay):
    answer = _pay(vnpay)
    result = dict(parse_qsl(urlsplit(answer.headers["Location"]).query))
    rows = all_rows()

    again = requests.get(f"{vnpay['base']}/webhooks/vnpay", params=result, timeout=30)

    assert (again.status_code, again.json()) == (200, {"RspCode": "02", "Message": "Order already confirmed"})
    assert all_rows() == rows


def test_a_forged_ipn_gets_97_and_changes_nothing(vnpay):
    vnpay["fake"].forge = True
    rows = all_rows()

    _pay(vnpay)

    assert _answers(vnpay["fake"]) == [(200, {"RspCode": "97", "Message": "Invalid signature"})]
    assert status_of(vnpay["order"]["code"]) == "pending_payment"
    assert all_rows() == rows


def test_an_unsigned_or_garbled_ipn_is_answered_never_500(vnpay):
    base = vnpay["base"]

    unsigned = requests.get(f"{base}/webhooks/vnpay", params={"vnp_TxnRef": "x"}, timeout=30)
    empty = requests.get(f"{base}/webhooks/vnpay", timeout=30)

    assert unsigned.json() == empty.json() == {"RspCode": "97", "Message": "Invalid signature"}
    assert status_of(vnpay["order"]["code"]) == "pending_payment"


def test_another_amount_gets_04_is_recorded_and_not_applied(vnpay):
    vnpay["fake"].amount_offset = -1_000

    _pay(vnpay)

    assert _answers(vnpay["fake"]) == [(200, {"RspCode": "04", "Message": "invalid amount"})]
    code = vnpay["order"]["code"]
    assert status_of(code) == "pending_payment"
    assert ledger_of(code) == [("attempt", "started", "vnpay", 200_000), ("payment", "rejected", "vnpay", 199_000)]


def test_an_ipn_for_another_terminal_is_answered_and_pays_nothing(vnpay):
    # given a correctly signed IPN for the order's attempt, but for another merchant's terminal (wrong account)
    result = {
        **_signed_result(vnpay["fake"], vnpay["order"]["payment"]["reference"], 200_000),
        "vnp_TmnCode": "OTHER001",
    }
    result["vnp_SecureHash"] = vnpay_hash(result, VNPAY_TEST["hash_secret"])
    rows = all_rows()

    # when it reaches our IPN
    answer = requests.get(f"{vnpay['base']}/webhooks/vnpay", params=result, timeout=30)

    # then VNPay gets an answer (never a 500), nothing is recorded and the order still waits
    assert (answer.status_code, answer.json()) == (
        200,
        {"RspCode": "99", "Message": "Unknow error"},
    )  # VNPay's spelling
    assert all_rows() == rows
    assert status_of(vnpay["order"]["code"]) == "pending_payment"


def _signed_result(fake, txn_ref: str, amount: int) -> dict:
    request = {"vnp_Amount": str(amount * 100), "vnp_OrderInfo": "Thanh toan", "vnp_TxnRef": txn_ref}
    return fake.result(request)


def test_an_unknown_attempt_gets_01(vnpay):
    result = _signed_result(vnpay["fake"], "QN-ZZZZ-ZZZZ-1", 200_000)
    rows = all_rows()

    answer = requests.get(f"{vnpay['base']}/webhooks/vnpay", params=result, timeout=30)

    assert answer.json() == {"RspCode": "01", "Message": "Order not found"}
    assert all_rows() == rows


def test_a_declined_payment_fails_the_attempt_and_another_rail_still_pays(vnpay):
    vnpay["fake"].outcome = "declined"
    code = vnpay["order"]["code"]

    _pay(vnpay)

    assert _answers(vnpay["fake"]) == [(200, CONFIRMED)]  # VNPay only wants to know we have its result
    assert status_of(code) == "payment_failed"
    assert ledger_of(code) == [("attempt", "failed", "vnpay", 200_000)]

    switched = vnpay["client"].post(f"/api/v1/orders/{code}/payments", json={"payment_method": "vietqr"},
                                    headers={"Authorization": f"Bearer {vnpay['order']['access_token']}"})  # fmt: skip
    assert switched.status_code == 201, switched.get_json()
    post_sepay(vnpay["client"], sepay_body(1, switched.get_json()["content"], 200_000))

    assert status_of(code) == "paid"


def test_the_return_page_shows_the_result_and_changes_nothing(vnpay):
    payment = vnpay["order"]["payment"]
    result = _signed_result(vnpay["fake"], payment["reference"], 200_000)
    rows = all_rows()

    shown = vnpay["client"].get("/payments/vnpay/return", query_string=result)
    forged = vnpay["client"].get("/payments/vnpay/return", query_string={**result, "vnp_Amount": "100"})

    code = vnpay["order"]["code"]
    assert shown.status_code == 303
    assert shown.headers["Location"] == f"/orders/{code}?payment=vnpay&result=succeeded"
    assert forged.status_code == 400
    assert status_of(code) == "pending_payment"
    assert all_rows() == rows


def test_a_database_fault_is_answered_99_not_500(vnpay, monkeypatch):
    def broken(notice):
        raise OperationalError("SELECT", {}, Exception("database is gone"))

    monkeypatch.setattr(settlement, "record_notice", broken)

    _pay(vnpay)

    assert _answers(vnpay["fake"]) == [(200, {"RspCode": "99", "Message": "Unknow error"})]
    assert status_of(vnpay["order"]["code"]) == "pending_payment"


def test_two_copies_of_one_ipn_racing_pay_once(vnpay, backend):
    if backend != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers")
    result = _signed_result(vnpay["fake"], vnpay["order"]["payment"]["reference"], 200_000)

    answers = race(4, lambda index: requests.get(f"{vnpay['base']}/webhooks/vnpay", params=result, timeout=30).json())

    assert sorted(answer["RspCode"] for answer in answers) == ["00", "02", "02", "02"]
    code = vnpay["order"]["code"]
    assert ledger_of(code) == [("attempt", "succeeded", "vnpay", 200_000), ("payment", "received", "vnpay", 200_000)]
    assert stock_of(vnpay["product"]) == 8


def test_the_fakes_hash_and_ours_agree_on_the_redirect(vnpay):
    query = dict(parse_qsl(urlsplit(vnpay["order"]["payment"]["redirect_url"]).query))

    assert query["vnp_SecureHash"] == vnpay_hash(query, vnpay["fake"].secret)
