"""VNPay 2.1.0: the one signing function against a published IPN and openssl, the IPN table, and a fake VNPay."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from flask import Flask, jsonify, request

from catalogue.payments import vnpay
from catalogue.payments.port import (
    BadSignature,
    MalformedNotification,
    NotificationRefused,
    OrderFacts,
    PaymentNotice,
    notice_refusal,
)
from catalogue.payments.vnpay import IpnAnswer
from tests.live import serving
from tests.payments.payment_fakes import VNPAY_TEST, FakeVNPay, vnpay_hash

# An IPN VNPay's sandbox sent, published with its terminal's hash secret (a developer's debugging script).
PUBLISHED_IPN = {
    "vnp_Amount": "14108000", "vnp_BankCode": "NCB", "vnp_BankTranNo": "VNP14980726", "vnp_CardType": "ATM",
    "vnp_OrderInfo": "Thanh toán đơn hàng #6834803ff5166e338d7103a8", "vnp_PayDate": "20250526215346",
    "vnp_ResponseCode": "00", "vnp_TmnCode": "L8M3EKX2", "vnp_TransactionNo": "14980726",
    "vnp_TransactionStatus": "00", "vnp_TxnRef": "6834803ff5166e338d7103a8",
}  # fmt: skip
PUBLISHED_SECRET = "6HEKW2H6YES2FSOKLKKRQ0JS3QF1M4H6"
PUBLISHED_HASH = (
    "3264dbf4850cb57d0cd597716260bf0722810f49b7abb144254f7f77adf08a1a"
    "6f496ab19e18c16266153c8caee87497fea7fa3507e61bcf9786dcff0d71b532"
)
CREATED = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)  # 10:04:05 in Hạ Long


def _facts(**changes) -> OrderFacts:
    values = dict(
        order_code="QN-5ED9-BAZ9", amount_vnd=85_000, attempt_reference="QN-5ED9-BAZ9-1",
        description="Thanh toán đơn hàng QN-5ED9-BAZ9", return_url="http://shop.test/orders/QN-5ED9-BAZ9/vnpay",
        buyer_ip="203.0.113.9", created_at=CREATED, expires_at=CREATED + timedelta(minutes=15),
    )  # fmt: skip
    return OrderFacts(**{**values, **changes})


def _gateway(**changes) -> vnpay.VNPay:
    return vnpay.VNPay(VNPAY_TEST["tmn_code"], VNPAY_TEST["hash_secret"], **changes)


def test_the_signing_function_reproduces_an_ipn_vnpay_signed():
    assert vnpay.sign({**PUBLISHED_IPN, "vnp_SecureHash": PUBLISHED_HASH}, PUBLISHED_SECRET) == PUBLISHED_HASH


def test_the_pay_url_carries_every_field_signed_as_openssl_computes_it():
    params = _gateway().payment_params(_facts())
    signed = (
        "vnp_Amount=8500000&vnp_Command=pay&vnp_CreateDate=20250102100405&vnp_CurrCode=VND&vnp_ExpireDate=20250102101905"
        "&vnp_IpAddr=203.0.113.9&vnp_Locale=vn&vnp_OrderInfo=Thanh+toan+don+hang+QN+5ED9+BAZ9&vnp_OrderType=other"
        "&vnp_ReturnUrl=http%3A%2F%2Fshop.test%2Forders%2FQN-5ED9-BAZ9%2Fvnpay&vnp_TmnCode=QNTEST01"
        "&vnp_TxnRef=QN-5ED9-BAZ9-1&vnp_Version=2.1.0"
    )

    openssl = subprocess.run(
        ["openssl", "dgst", "-sha512", "-hmac", VNPAY_TEST["hash_secret"]], input=signed.encode(), capture_output=True,
        check=True,
    )  # fmt: skip

    assert vnpay.signing_string(params) == signed
    assert params["vnp_SecureHash"] == openssl.stdout.split()[-1].decode()
    assert "vnp_SecureHashType" not in params
    assert params["vnp_Amount"] == "8500000"  # VND × 100
    assert (params["vnp_CreateDate"], params["vnp_ExpireDate"]) == ("20250102100405", "20250102101905")  # GMT+7


def test_the_redirect_url_is_the_pay_url_with_the_signed_query():
    start = _gateway(pay_url="https://pay.example/vpcpay.html").start(_facts(locale="en", attempt_reference="QN-X-2"))

    url = urlsplit(start.redirect_url)
    query = dict(parse_qsl(url.query))
    assert (start.provider, start.reference) == ("vnpay", "QN-X-2")
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://pay.example/vpcpay.html"
    assert (query["vnp_Locale"], query["vnp_TxnRef"]) == ("en", "QN-X-2")
    assert query["vnp_SecureHash"] == vnpay.sign(query, VNPAY_TEST["hash_secret"])


@pytest.mark.parametrize(
    "changes",
    [{"attempt_reference": "QN 5ED9"}, {"amount_vnd": 0}, {"created_at": None}, {"return_url": ""},
     {"created_at": datetime(2025, 1, 2, 3, 4, 5)}],
)  # fmt: skip
def test_an_attempt_vnpay_would_refuse_is_not_signed(changes):
    with pytest.raises(ValueError):
        _gateway().payment_params(_facts(**changes))


def _ipn(**changes) -> dict[str, str]:
    query = {
        "vnp_Amount": "8500000", "vnp_BankCode": "NCB", "vnp_BankTranNo": "VNP14980726", "vnp_CardType": "ATM",
        "vnp_OrderInfo": "Thanh toan don hang QN 5ED9 BAZ9", "vnp_PayDate": "20250102100512",
        "vnp_ResponseCode": "00", "vnp_TmnCode": VNPAY_TEST["tmn_code"], "vnp_TransactionNo": "14980726",
        "vnp_TransactionStatus": "00", "vnp_TxnRef": "QN-5ED9-BAZ9-1", **changes,
    }  # fmt: skip
    query["vnp_SecureHash"] = vnpay_hash(query, VNPAY_TEST["hash_secret"])
    return query


def test_a_signed_ipn_is_read_into_a_notice():
    notice = _gateway().verify(_ipn())

    assert (notice.provider, notice.reference, notice.order_code) == ("vnpay", "QN-5ED9-BAZ9-1", "QN-5ED9-BAZ9")
    assert (notice.amount_vnd, notice.succeeded, notice.raw_id) == (85_000, True, "QN-5ED9-BAZ9-1")
    assert notice.details["vnp_TransactionNo"] == "14980726"


@pytest.mark.parametrize(("response", "status"), [("24", "02"), ("00", "02"), ("24", "00")])
def test_paid_only_when_both_codes_say_so(response, status):
    notice = _gateway().verify(_ipn(vnp_ResponseCode=response, vnp_TransactionStatus=status))

    assert notice.succeeded is False


def test_a_tampered_unsigned_or_foreign_ipn_is_refused():
    tampered = {**_ipn(), "vnp_Amount": "850000000"}
    unsigned = {key: value for key, value in _ipn().items() if key != "vnp_SecureHash"}
    foreign = _ipn(vnp_TmnCode="OTHER001")

    for query, error in ((tampered, BadSignature), (unsigned, BadSignature), (foreign, MalformedNotification)):
        with pytest.raises(error):
            _gateway().verify(query)
    with pytest.raises(MalformedNotification):
        _gateway().verify(_ipn(vnp_TxnRef="no-attempt"))
    with pytest.raises(MalformedNotification):
        _gateway().verify(_ipn(vnp_Amount="8500050"))


NOTICE = PaymentNotice("vnpay", "QN-5ED9-BAZ9-1", "QN-5ED9-BAZ9", 85_000, True, raw_id="QN-5ED9-BAZ9-1")
FAILED = PaymentNotice("vnpay", "QN-5ED9-BAZ9-1", "QN-5ED9-BAZ9", 85_000, False, raw_id="QN-5ED9-BAZ9-1")


@pytest.mark.parametrize(
    ("notice", "attempt", "body", "record"),
    [
        (None, (85_000, "started"), {"RspCode": "97", "Message": "Invalid signature"}, False),
        (None, None, {"RspCode": "97", "Message": "Invalid signature"}, False),
        (NOTICE, None, {"RspCode": "01", "Message": "Order not found"}, False),
        (NOTICE, (90_000, "started"), {"RspCode": "04", "Message": "invalid amount"}, False),
        (NOTICE, (90_000, "succeeded"), {"RspCode": "04", "Message": "invalid amount"}, False),
        (NOTICE, (85_000, "succeeded"), {"RspCode": "02", "Message": "Order already confirmed"}, False),
        (NOTICE, (85_000, "started"), {"RspCode": "00", "Message": "Confirm Success"}, True),
        (FAILED, (85_000, "started"), {"RspCode": "00", "Message": "Confirm Success"}, True),
    ],
    ids=["forged", "forged-unknown", "unknown-order", "other-amount", "other-amount-confirmed", "already", "paid",
         "failed"],
)  # fmt: skip
def test_the_ipn_decision_table(notice, attempt, body, record):
    answer, refusal = _decide(_gateway(), notice, attempt)

    assert (answer.body, notice is not None and refusal is None) == (body, record)


def _decide(gateway: vnpay.VNPay, notice: PaymentNotice | None, attempt: tuple[int, str] | None):
    """What the shop answers a notice (None: forged) given its attempt (amount, state): the app's one rule."""
    if notice is None:
        return gateway.answer(None, BadSignature("forged")), None
    refusal = notice_refusal(notice, *(attempt or (None, None)), already_recorded=False)
    return gateway.answer(refusal or "paid"), refusal


def test_the_unknown_error_answer_is_vnpays_own_words():
    assert IpnAnswer.UNKNOWN_ERROR.body() == {"RspCode": "99", "Message": "Unknow error"}


def test_from_config():
    assert vnpay.from_config({"VNPAY_TMN_CODE": "X", "VNPAY_HASH_SECRET": ""}) is None
    configured = vnpay.from_config({"VNPAY_TMN_CODE": "X", "VNPAY_HASH_SECRET": "S", "VNPAY_URL": None})
    assert (configured.tmn_code, configured.pay_url) == ("X", vnpay.SANDBOX_URL)


# --- end to end against the fake VNPay -----------------------------------------------------


class Shop:
    """A tiny IPN receiver: verify, decide from the attempts it knows (amount, state), record what is applied."""

    def __init__(self, gateway: vnpay.VNPay, attempts: dict[str, tuple[int, str]]):
        self.gateway, self.attempts, self.recorded = gateway, attempts, []
        self.app = Flask(__name__)
        self.app.add_url_rule("/webhooks/vnpay", view_func=self.ipn)
        self.app.add_url_rule("/return", view_func=lambda: "shown, nothing changed")

    def ipn(self):
        try:
            notice = self.gateway.verify(request.args.to_dict())
        except NotificationRefused as error:
            return jsonify(self.gateway.answer(None, error).body)
        attempt = self.attempts.get(notice.reference)
        answer, refusal = _decide(self.gateway, notice, attempt)
        if refusal is None:
            self.recorded.append(notice)
            self.attempts[notice.reference] = (attempt[0], "succeeded" if notice.succeeded else "failed")
        return jsonify(answer.body)


@pytest.fixture
def shop_and_vnpay():
    shop = Shop(None, {"QN-5ED9-BAZ9-1": (85_000, "started")})
    with serving(shop.app) as shop_url, FakeVNPay(ipn_url=f"{shop_url}/webhooks/vnpay") as fake:
        shop.gateway = vnpay.VNPay(VNPAY_TEST["tmn_code"], VNPAY_TEST["hash_secret"], fake.pay_url)
        yield shop, fake, shop_url


def _pay(shop, shop_url, **changes) -> requests.Response:
    start = shop.gateway.start(_facts(return_url=f"{shop_url}/return", **changes))
    return requests.get(start.redirect_url, allow_redirects=False, timeout=10)


def test_a_payment_through_the_fake_vnpay_is_confirmed_once_and_the_return_url_verifies(shop_and_vnpay):
    shop, fake, shop_url = shop_and_vnpay

    answer = _pay(shop, shop_url)

    assert fake.ipn_answers == [(200, '{"Message":"Confirm Success","RspCode":"00"}\n')]
    [notice] = shop.recorded
    assert (notice.order_code, notice.amount_vnd, notice.succeeded) == ("QN-5ED9-BAZ9", 85_000, True)
    location = urlsplit(answer.headers["Location"])
    assert (answer.status_code, location.path) == (302, "/return")
    assert shop.gateway.verify(dict(parse_qsl(location.query))).reference == "QN-5ED9-BAZ9-1"


def test_the_same_ipn_again_is_already_confirmed_and_records_nothing_more(shop_and_vnpay):
    shop, fake, shop_url = shop_and_vnpay
    answer = _pay(shop, shop_url)
    replay = dict(parse_qsl(urlsplit(answer.headers["Location"]).query))

    again = requests.get(f"{shop_url}/webhooks/vnpay", params=replay, timeout=10)

    assert again.json() == {"RspCode": "02", "Message": "Order already confirmed"}
    assert len(shop.recorded) == 1


def test_a_forged_ipn_gets_97_and_records_nothing(shop_and_vnpay):
    shop, fake, shop_url = shop_and_vnpay
    fake.forge = True

    _pay(shop, shop_url)

    assert fake.ipn_answers == [(200, '{"Message":"Invalid signature","RspCode":"97"}\n')]
    assert shop.recorded == []


def test_an_ipn_for_another_amount_gets_04_and_records_nothing(shop_and_vnpay):
    shop, fake, shop_url = shop_and_vnpay
    fake.amount_offset = -1_000

    _pay(shop, shop_url)

    assert fake.ipn_answers == [(200, '{"Message":"invalid amount","RspCode":"04"}\n')]
    assert shop.recorded == []


def test_a_declined_payment_is_recorded_as_failed(shop_and_vnpay):
    shop, fake, shop_url = shop_and_vnpay
    fake.outcome = "declined"

    _pay(shop, shop_url)

    [notice] = shop.recorded
    assert (notice.succeeded, notice.message) == (False, "24")


def test_the_fake_vnpay_refuses_a_pay_url_whose_signature_does_not_match(shop_and_vnpay):
    shop, fake, shop_url = shop_and_vnpay
    start = shop.gateway.start(_facts(return_url=f"{shop_url}/return"))

    answer = requests.get(start.redirect_url.replace("vnp_Amount=8500000", "vnp_Amount=100"), timeout=10)

    assert (answer.status_code, answer.text) == (200, "Code 70: Sai chữ ký")
    assert fake.ipn_answers == []
    assert shop.recorded == []
