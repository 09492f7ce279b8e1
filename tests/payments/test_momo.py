"""MoMo: the create and IPN signatures against openssl, amount limits, retries, and a fake MoMo end to end."""

from __future__ import annotations

import json
import subprocess

import pytest
import requests
from flask import Flask, request

from catalogue.payments import momo
from catalogue.payments.port import (
    BadSignature,
    MalformedNotification,
    NotificationRefused,
    OrderFacts,
    PaymentNotice,
    ProviderUnavailable,
)
from tests.live import serving
from tests.payments.payment_fakes import MOMO_TEST, FakeMoMo


def _facts(**changes) -> OrderFacts:
    values = dict(
        order_code="QN-5ED9-BAZ9", amount_vnd=85_000, attempt_reference="QN-5ED9-BAZ9-1",
        description="Thanh toán đơn hàng QN-5ED9-BAZ9", return_url="http://shop.test/orders/QN-5ED9-BAZ9",
        notify_url="http://shop.test/webhooks/momo",
    )  # fmt: skip
    return OrderFacts(**{**values, **changes})


def _client(api_base: str = momo.TEST_API_BASE, **options) -> momo.MoMo:
    return momo.MoMo(MOMO_TEST["partner_code"], MOMO_TEST["access_key"], MOMO_TEST["secret_key"], api_base, **options)


def _openssl_sha256(secret: str, message: str) -> str:
    result = subprocess.run(
        ["openssl", "dgst", "-sha256", "-hmac", secret], input=message.encode(), capture_output=True, check=True
    )
    return result.stdout.split()[-1].decode()


def test_the_create_request_is_signed_over_the_documented_raw_string():
    body = _client().create_request(_facts())
    raw = (
        "accessKey=momo-test-access&amount=85000&extraData=&ipnUrl=http://shop.test/webhooks/momo"
        "&orderId=QN-5ED9-BAZ9-1&orderInfo=Thanh toán đơn hàng QN-5ED9-BAZ9&partnerCode=MOMOQNTEST"
        "&redirectUrl=http://shop.test/orders/QN-5ED9-BAZ9&requestId=QN-5ED9-BAZ9-1&requestType=captureWallet"
    )

    assert body["signature"] == _openssl_sha256(MOMO_TEST["secret_key"], raw)
    assert body == {
        "partnerCode": "MOMOQNTEST", "requestId": "QN-5ED9-BAZ9-1", "amount": 85000, "orderId": "QN-5ED9-BAZ9-1",
        "orderInfo": "Thanh toán đơn hàng QN-5ED9-BAZ9", "redirectUrl": "http://shop.test/orders/QN-5ED9-BAZ9",
        "ipnUrl": "http://shop.test/webhooks/momo", "extraData": "", "requestType": "captureWallet", "lang": "vi",
        "signature": body["signature"],
    }  # fmt: skip


@pytest.mark.parametrize("amount", [1_000, 50_000_000])
def test_amounts_at_the_limits_are_accepted(amount):
    assert _client().create_request(_facts(amount_vnd=amount))["amount"] == amount


@pytest.mark.parametrize(
    "changes",
    [{"amount_vnd": 999}, {"amount_vnd": 50_000_001}, {"amount_vnd": 85_000.0}, {"attempt_reference": "QN 5ED9"},
     {"attempt_reference": "-QN"}, {"notify_url": ""}],
)  # fmt: skip
def test_a_payment_momo_would_refuse_is_not_sent(changes):
    with pytest.raises(ValueError):
        _client().create_request(_facts(**changes))


def _ipn(**changes) -> dict:
    body = {
        "partnerCode": "MOMOQNTEST", "orderId": "QN-5ED9-BAZ9-1", "requestId": "QN-5ED9-BAZ9-1", "amount": 85000,
        "orderInfo": "Thanh toán đơn hàng QN-5ED9-BAZ9", "orderType": "momo_wallet", "transId": 4088878653,
        "resultCode": 0, "message": "Thành công.", "payType": "qr", "responseTime": 1721720663942,
        "extraData": "", **changes,
    }  # fmt: skip
    raw = (
        f"accessKey=momo-test-access&amount={body['amount']}&extraData={body['extraData']}&message={body['message']}"
        f"&orderId={body['orderId']}&orderInfo={body['orderInfo']}&orderType={body['orderType']}"
        f"&partnerCode={body['partnerCode']}&payType={body['payType']}&requestId={body['requestId']}"
        f"&responseTime={body['responseTime']}&resultCode={body['resultCode']}&transId={body['transId']}"
    )
    return {**body, "signature": _openssl_sha256(MOMO_TEST["secret_key"], raw)}


def test_a_signed_ipn_is_read_into_a_notice():
    notice = _client().verify(json.dumps(_ipn()).encode())

    assert notice == PaymentNotice(
        provider="momo", reference="QN-5ED9-BAZ9-1", order_code="QN-5ED9-BAZ9", amount_vnd=85000, succeeded=True,
        raw_id="QN-5ED9-BAZ9-1:4088878653:0", message="Thành công.",
        details={"transId": "4088878653", "payType": "qr", "resultCode": "0"},
    )  # fmt: skip


def test_a_refused_payment_is_a_failed_notice():
    notice = _client().verify(json.dumps(_ipn(resultCode=1006, message="Giao dịch bị từ chối")).encode())

    assert (notice.succeeded, notice.details["resultCode"]) == (False, "1006")


def test_forged_tampered_foreign_or_malformed_ipns_are_refused():
    tampered = {**_ipn(), "amount": 8_500_000}
    unsigned = {key: value for key, value in _ipn().items() if key != "signature"}
    cases = [
        (json.dumps(tampered).encode(), BadSignature),
        (json.dumps(unsigned).encode(), BadSignature),
        (json.dumps({**_ipn(), "signature": "0" * 64}).encode(), BadSignature),
        (json.dumps(_ipn(partnerCode="MOMOOTHER")).encode(), MalformedNotification),
        (json.dumps(_ipn(amount="85000")).encode(), MalformedNotification),
        (json.dumps(_ipn(orderId="not-an-attempt")).encode(), MalformedNotification),
        (b"{not json", MalformedNotification),
        (b"[]", BadSignature),
    ]

    for body, error in cases:
        with pytest.raises(error):
            _client().verify(body)


def test_from_config():
    assert momo.from_config({"MOMO_PARTNER_CODE": "P", "MOMO_ACCESS_KEY": "A"}) is None
    configured = momo.from_config({"MOMO_PARTNER_CODE": "P", "MOMO_ACCESS_KEY": "A", "MOMO_SECRET_KEY": "S"})
    assert (configured.partner_code, configured.api_base) == ("P", momo.TEST_API_BASE)


# --- end to end against the fake MoMo ------------------------------------------------------


class Shop:
    """A tiny IPN receiver: 204 for a verified notice (recorded), 400 for anything refused."""

    def __init__(self, client: momo.MoMo):
        self.client, self.recorded = client, []
        self.app = Flask(__name__)
        self.app.add_url_rule("/webhooks/momo", view_func=self.ipn, methods=["POST"])

    def ipn(self):
        try:
            self.recorded.append(self.client.verify(request.get_data()))
        except NotificationRefused:
            return "", 400
        return "", 204


@pytest.fixture
def fake_momo():
    with FakeMoMo() as fake:
        yield fake


@pytest.fixture
def shop(fake_momo):
    shop = Shop(_client(fake_momo.url, timeout=(1, 0.5)))
    with serving(shop.app) as url:
        shop.url = url
        yield shop


def _start(shop, **changes):
    return shop.client.start(_facts(notify_url=f"{shop.url}/webhooks/momo", return_url=f"{shop.url}/done", **changes))


def test_a_payment_through_the_fake_momo_is_notified_and_answered_204(shop, fake_momo):
    start = _start(shop)

    paid = requests.get(start.redirect_url, allow_redirects=False, timeout=10)

    assert (start.provider, start.reference) == ("momo", "QN-5ED9-BAZ9-1")
    assert start.redirect_url == f"{fake_momo.url}/pay/QN-5ED9-BAZ9-1"
    assert fake_momo.ipn_answers == [(204, "")]
    [notice] = shop.recorded
    assert (notice.order_code, notice.amount_vnd, notice.succeeded) == ("QN-5ED9-BAZ9", 85_000, True)
    assert (paid.status_code, paid.headers["Location"]) == (302, f"{shop.url}/done")


def test_a_forged_ipn_from_the_fake_momo_is_refused_and_records_nothing(shop, fake_momo):
    fake_momo.forge = True
    start = _start(shop)

    requests.get(start.redirect_url, allow_redirects=False, timeout=10)

    assert fake_momo.ipn_answers == [(400, "")]
    assert shop.recorded == []


def test_a_create_answered_too_late_is_retried_with_the_same_ids_and_makes_one_payment(shop, fake_momo):
    fake_momo.hang_next_creates = 1

    start = _start(shop)

    assert fake_momo.creates_received == 2
    assert list(fake_momo.payments) == ["QN-5ED9-BAZ9-1"]
    assert start.redirect_url == f"{fake_momo.url}/pay/QN-5ED9-BAZ9-1"


def test_a_busy_momo_is_retried_then_given_up_on(shop, fake_momo):
    fake_momo.fail_next_creates = 1
    assert _start(shop).reference == "QN-5ED9-BAZ9-1"
    assert fake_momo.creates_received == 2

    fake_momo.fail_next_creates = 5
    with pytest.raises(ProviderUnavailable):
        _start(shop, attempt_reference="QN-5ED9-BAZ9-2")
    assert fake_momo.creates_received == 5
    assert "QN-5ED9-BAZ9-2" not in fake_momo.payments


def test_a_create_momo_refuses_is_not_retried(fake_momo):
    client = momo.MoMo(MOMO_TEST["partner_code"], MOMO_TEST["access_key"], "wrong-secret", fake_momo.url)

    with pytest.raises(ProviderUnavailable, match="11"):
        client.start(_facts())
    assert fake_momo.creates_received == 1
    assert fake_momo.payments == {}


# --- refunds ---------------------------------------------------------------------------------


def _paid(**changes) -> PaymentNotice:
    values = dict(
        provider="momo", reference="QN-5ED9-BAZ9-1", order_code="QN-5ED9-BAZ9", amount_vnd=85_000, succeeded=True,
        raw_id="QN-5ED9-BAZ9-1:4088878653:0", details={"transId": "4088878653", "payType": "qr", "resultCode": "0"},
    )  # fmt: skip
    return PaymentNotice(**{**values, **changes})


def test_the_refund_request_is_signed_over_the_documented_raw_string():
    body = _client().refund_request(_paid(), 85_000, "Khách huỷ đơn")
    raw = (
        "accessKey=momo-test-access&amount=85000&description=Khách huỷ đơn&orderId=QN-5ED9-BAZ9-1-R85000"
        "&partnerCode=MOMOQNTEST&requestId=QN-5ED9-BAZ9-1-R85000&transId=4088878653"
    )

    assert body == {
        "partnerCode": "MOMOQNTEST", "orderId": "QN-5ED9-BAZ9-1-R85000", "requestId": "QN-5ED9-BAZ9-1-R85000",
        "amount": 85000, "transId": 4088878653, "lang": "vi", "description": "Khách huỷ đơn",
        "signature": _openssl_sha256(MOMO_TEST["secret_key"], raw),
    }  # fmt: skip
    assert momo.refund_reference("QN-5ED9-BAZ9-1", 85_000, refused_before=2) == "QN-5ED9-BAZ9-1-R85000-2"


@pytest.mark.parametrize(
    ("notice", "amount"),
    [(_paid(), 999), (_paid(), 85_001), (_paid(), 85_000.0), (_paid(), True), (_paid(details={}), 85_000),
     (_paid(details={"transId": "abc"}), 85_000)],
)  # fmt: skip
def test_a_refund_momo_would_refuse_is_not_sent(notice, amount):
    with pytest.raises(ValueError):
        _client().refund_request(notice, amount, "x")


def _paid_at(fake_momo, amount=85_000) -> PaymentNotice:
    """A payment the fake MoMo made (its IPN generated), as our ledger keeps it."""
    payment = {"orderId": "QN-5ED9-BAZ9-1", "requestId": "QN-5ED9-BAZ9-1", "amount": amount, "orderInfo": "x",
               "extraData": ""}  # fmt: skip
    ipn = fake_momo.ipn(payment)
    return _paid(amount_vnd=amount, details={"transId": str(ipn["transId"])})


def test_a_refund_at_the_fake_momo_is_confirmed_by_its_answer(fake_momo):
    notice = _paid_at(fake_momo)

    outcome = _client(fake_momo.url).refund(notice, 50_000, "Khách trả một phần")

    assert (outcome.provider, outcome.by_hand) == ("momo", False)
    assert outcome.reference == str(fake_momo.refunded_trans_ids[0])
    assert fake_momo.paid[int(notice.details["transId"])]["refunded"] == 50_000


def test_momo_refusing_a_refund_is_provider_refused_with_its_code(fake_momo):
    notice = _paid_at(fake_momo)
    client = _client(fake_momo.url)
    client.refund(notice, 85_000, "x")

    with pytest.raises(momo.ProviderRefused) as refused:  # nothing left to refund
        client.refund(notice, 1_000, "x")

    assert (refused.value.code, refused.value.provider) == (1081, "momo")
    assert isinstance(refused.value, ProviderUnavailable)


def test_the_same_refund_asked_twice_is_made_once(fake_momo):
    notice = _paid_at(fake_momo)
    client = _client(fake_momo.url)

    first = client.refund(notice, 85_000, "x")
    second = client.refund(notice, 85_000, "x")

    assert first.reference == second.reference
    assert len(fake_momo.refunded_trans_ids) == 1


def test_a_refund_answered_too_late_is_retried_with_the_same_ids_and_made_once(fake_momo):
    notice = _paid_at(fake_momo)
    fake_momo.hang_next_refunds = 1

    _client(fake_momo.url, timeout=(1, 0.5)).refund(notice, 85_000, "x")

    assert fake_momo.refund_requests == 2
    assert list(fake_momo.refunds) == ["QN-5ED9-BAZ9-1-R85000"]
    assert len(fake_momo.refunded_trans_ids) == 1


@pytest.mark.parametrize(
    "answer",
    [{"resultCode": 0, "partnerCode": "MOMOOTHER", "requestId": "QN-5ED9-BAZ9-1-R85000", "amount": 85000},
     {"resultCode": 0, "partnerCode": "MOMOQNTEST", "requestId": "QN-OTHER-1-R85000", "amount": 85000},
     {"resultCode": 0, "partnerCode": "MOMOQNTEST", "requestId": "QN-5ED9-BAZ9-1-R85000", "amount": 8500},
     {"resultCode": True, "partnerCode": "MOMOQNTEST", "requestId": "QN-5ED9-BAZ9-1-R85000", "amount": 85000},
     {"resultCode": "0", "partnerCode": "MOMOQNTEST", "requestId": "QN-5ED9-BAZ9-1-R85000", "amount": 85000}],
)  # fmt: skip
def test_a_refund_answer_that_does_not_name_this_refund_confirms_nothing(answer):
    app = Flask(__name__)
    app.add_url_rule("/v2/gateway/api/refund", view_func=lambda: answer, methods=["POST"])

    with serving(app) as url, pytest.raises(ProviderUnavailable) as error:
        _client(url, attempts=1).refund(_paid(), 85_000, "x")

    assert "refund" in str(error.value)
