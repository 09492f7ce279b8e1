"""ZaloPay v2: its macs against a published vector and openssl, the callback and redirect checks, and a fake ZaloPay.

The fake (tests/payments/fakes_zalopay.py) signs and checks with its own code, so a mistake in the
adapter's signing shows as a refusal there.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime

import pytest
import requests
from flask import Flask, request

from catalogue.payments import zalopay
from catalogue.payments.port import (
    BadSignature,
    MalformedNotification,
    NotificationRefused,
    OrderFacts,
    PaymentNotice,
    ProviderRefused,
    ProviderUnavailable,
)
from catalogue.payments.zalopay import signing
from tests.live import serving
from tests.payments.fakes_zalopay import ZALOPAY_TEST, FakeZaloPay, zalopay_hmac

NOON_IN_HANOI = datetime(2026, 12, 6, 5, 0, tzinfo=UTC)  # 12:00 on 6 December in Vietnam
AFTER_MIDNIGHT_IN_HANOI = datetime(2026, 12, 6, 17, 30, tzinfo=UTC)  # 00:30 on 7 December in Vietnam


def _openssl_sha256(secret: str, message: str) -> str:
    result = subprocess.run(
        ["openssl", "dgst", "-sha256", "-hmac", secret], input=message.encode(), capture_output=True, check=True
    )
    return result.stdout.split()[-1].decode()


def _facts(**changes) -> OrderFacts:
    values = dict(
        order_code="QN-5ED9-BAZ9", amount_vnd=85_000, attempt_reference="QN-5ED9-BAZ9-1",
        description="Thanh toan don hang QN-5ED9-BAZ9", return_url="http://shop.test/orders/QN-5ED9-BAZ9",
        notify_url="http://shop.test/webhooks/zalopay",
    )  # fmt: skip
    return OrderFacts(**{**values, **changes})


def _client(api_base: str = zalopay.client.SANDBOX_API_BASE, **options) -> zalopay.ZaloPay:
    options.setdefault("poll_seconds", 0)
    return zalopay.ZaloPay(ZALOPAY_TEST["app_id"], ZALOPAY_TEST["key1"], ZALOPAY_TEST["key2"], api_base, **options)


# --- signing -----------------------------------------------------------------------------------

# docs.zalopay.vn/docs/specs/callback-api: the sample callback of sandbox app 2553, whose key2
# ZaloPay publishes in its samples.
PUBLISHED_KEY2 = "kLtgPl8HHhfvMuDHPwKfgfsY4Ydm9eIz"
PUBLISHED_DATA = (
    '{"app_id":2553,"app_trans_id":"200904_2553_1598435687208","app_time":1599189392817,"app_user":"demo",'
    '"amount":10000,"embed_data":"{\\"merchantinfo\\":\\"embeddata123\\",\\"promotioninfo\\":\\"\\"}",'
    '"item":"[{\\"itemid\\":\\"knb\\",\\"itemname\\":\\"kim nguyen bao\\",\\"itemprice\\":198400,'
    '\\"itemquantity\\":1}]","zp_trans_id":200904000000389,"server_time":1599189413498,"channel":38,'
    '"merchant_user_id":"7ZMSl3nEg5sOUJzOLSoUFT8xKNQVaLOLXHB--8Eytqc","user_fee_amount":0,"discount_amount":0}'
)
PUBLISHED_MAC = "d8d33baf449b31d7f9b94fa50d7c942c08cd4d83f28fa185557da21acb104f67"


def test_the_callback_mac_matches_zalopays_published_sample():
    assert signing.callback_mac(PUBLISHED_KEY2, PUBLISHED_DATA) == PUBLISHED_MAC


def test_zalopays_published_callback_is_read_into_a_notice():
    client = zalopay.ZaloPay("2553", "unused-key1", PUBLISHED_KEY2)
    body = json.dumps({"data": PUBLISHED_DATA, "mac": PUBLISHED_MAC, "type": 1}).encode()

    notice = client.verify(body)

    assert notice == PaymentNotice(
        provider="zalopay", reference="2553-1598435687208", order_code="2553", amount_vnd=10_000, succeeded=True,
        raw_id="200904000000389", message="",
        details={"app_trans_id": "200904_2553_1598435687208", "zp_trans_id": "200904000000389",
                 "server_time": "1599189413498", "channel": "38", "discount_amount": "0", "user_fee_amount": "0"},
    )  # fmt: skip


def test_the_create_request_is_signed_with_key1_over_the_documented_fields():
    body = _client(clock=lambda: NOON_IN_HANOI).create_request(_facts())
    embed = '{"redirecturl":"http://shop.test/orders/QN-5ED9-BAZ9"}'
    raw = f"2554|261206_QN_5ED9_BAZ9_1|ocop-quangninh|85000|1796533200000|{embed}|[]"

    assert body == {
        "app_id": "2554", "app_user": "ocop-quangninh", "app_trans_id": "261206_QN_5ED9_BAZ9_1",
        "app_time": 1796533200000, "amount": 85000, "item": "[]", "embed_data": embed,
        "description": "Thanh toan don hang QN-5ED9-BAZ9", "bank_code": "", "callback_url": "http://shop.test/webhooks/zalopay",
        "mac": _openssl_sha256(ZALOPAY_TEST["key1"], raw),
    }  # fmt: skip


def test_the_query_refund_and_refund_query_macs_match_openssl():
    key1 = ZALOPAY_TEST["key1"]

    assert signing.query_mac(key1, 2554, "261206_QN_5ED9_BAZ9_1") == _openssl_sha256(
        key1, f"2554|261206_QN_5ED9_BAZ9_1|{key1}"
    )
    assert signing.refund_mac(key1, 2554, "251206000000389", 50_000, "Khách huỷ đơn", 1765000800000) == (
        _openssl_sha256(key1, "2554|251206000000389|50000|Khách huỷ đơn|1765000800000")
    )
    assert signing.refund_query_mac(key1, 2554, "261206_2554_251206000000389000005000000", 1765000800000) == (
        _openssl_sha256(key1, "2554|261206_2554_251206000000389000005000000|1765000800000")
    )


def test_the_redirect_checksum_matches_openssl():
    args = {"appid": "2554", "apptransid": "261206_QN_5ED9_BAZ9_1", "pmcid": "38", "bankcode": "",
            "amount": "85000", "discountamount": "0", "status": "1"}  # fmt: skip

    assert signing.redirect_checksum(ZALOPAY_TEST["key2"], args) == _openssl_sha256(
        ZALOPAY_TEST["key2"], "2554|261206_QN_5ED9_BAZ9_1|38||85000|0|1"
    )


def test_app_trans_id_takes_vietnams_date_and_maps_back_to_the_attempt():
    made = signing.app_trans_id("QN-5ED9-BAZ9-12", AFTER_MIDNIGHT_IN_HANOI)

    assert made == "261207_QN_5ED9_BAZ9_12"
    assert signing.attempt_reference_of(made) == "QN-5ED9-BAZ9-12"


@pytest.mark.parametrize("reference", ["QN_5ED9-1", "QN 5ED9-1", "-QN-1", "QN-" + "A" * 31 + "-1"])
def test_an_attempt_reference_zalopay_could_not_carry_back_is_refused(reference):
    with pytest.raises(ValueError):
        signing.app_trans_id(reference, NOON_IN_HANOI)


@pytest.mark.parametrize("value", ["QN_5ED9_1", "2612_QN_1", "261206-QN-1", "261206_", "261206_QN__1", 7])
def test_an_app_trans_id_we_did_not_make_is_malformed(value):
    with pytest.raises(MalformedNotification):
        signing.attempt_reference_of(value)


def test_the_refund_id_is_the_same_for_the_same_payment_amount_and_day():
    day = NOON_IN_HANOI.date()

    first = signing.refund_id("2554", "251206000000389", 50_000, day)

    assert first == "261206_2554_251206000000389000005000000"
    assert signing.refund_id("2554", "251206000000389", 50_000, day) == first
    assert signing.refund_id("2554", "251206000000389", 50_000, day, refused_before=1) == first[:-2] + "01"
    assert signing.refund_id("2554", "251206000000389", 50_001, day) != first


# --- the callback and the redirect ---------------------------------------------------------


def _callback(key2: str = ZALOPAY_TEST["key2"], envelope: dict | None = None, **changes) -> bytes:
    data = {
        "app_id": 2554, "app_trans_id": "261206_QN_5ED9_BAZ9_1", "app_time": 1796533200000,
        "app_user": "ocop-quangninh", "amount": 85000,
        "embed_data": '{"redirecturl":"http://shop.test/orders/QN-5ED9-BAZ9"}', "item": "[]",
        "zp_trans_id": 251206000000389, "server_time": 1796533260000, "channel": 38, "merchant_user_id": "u",
        "user_fee_amount": 0, "discount_amount": 0, **changes,
    }  # fmt: skip
    text = json.dumps(data, separators=(",", ":"))
    return json.dumps({"data": text, "mac": zalopay_hmac(key2, text), "type": 1, **(envelope or {})}).encode()


def test_a_genuine_callback_is_a_succeeded_notice_with_zalopays_ids_and_time():
    notice = _client().verify(_callback())

    assert notice == PaymentNotice(
        provider="zalopay", reference="QN-5ED9-BAZ9-1", order_code="QN-5ED9-BAZ9", amount_vnd=85_000, succeeded=True,
        raw_id="251206000000389", message="",
        details={"app_trans_id": "261206_QN_5ED9_BAZ9_1", "zp_trans_id": "251206000000389",
                 "server_time": "1796533260000", "channel": "38", "discount_amount": "0", "user_fee_amount": "0"},
    )  # fmt: skip


def _tampered() -> bytes:
    genuine = json.loads(_callback())
    return json.dumps({**genuine, "data": genuine["data"].replace("85000", "8500000")}).encode()


@pytest.mark.parametrize(
    ("body", "error"),
    [(_callback(key2="forged-key2"), BadSignature), (_tampered(), BadSignature),
     (_callback(envelope={"mac": "0" * 64}), BadSignature), (_callback(envelope={"mac": None}), BadSignature),
     (_callback(envelope={"data": {"amount": 85000}}), BadSignature), (b"[]", BadSignature),
     (b"{not json", MalformedNotification), (_callback(envelope={"type": 2}), MalformedNotification),
     (_callback(app_id=2553), MalformedNotification), (_callback(amount="85000"), MalformedNotification),
     (_callback(amount=0), MalformedNotification), (_callback(zp_trans_id=None), MalformedNotification),
     (_callback(server_time="now"), MalformedNotification),
     (_callback(app_trans_id="261206_123456"), MalformedNotification)],
)  # fmt: skip
def test_forged_tampered_foreign_or_malformed_callbacks_are_refused(body, error):
    with pytest.raises(error):
        _client().verify(body)


def test_a_signed_callback_whose_data_is_not_json_is_malformed():
    body = json.dumps({"data": "not json", "mac": zalopay_hmac(ZALOPAY_TEST["key2"], "not json"), "type": 1})

    with pytest.raises(MalformedNotification):
        _client().verify(body.encode())


def test_the_answers_zalopay_reads_back():
    assert zalopay.answer_for(None) == {"return_code": 1, "return_message": "success"}
    assert zalopay.answer_for(BadSignature("x"))["return_code"] == -1
    assert zalopay.answer_for(MalformedNotification("x"))["return_code"] == -1
    assert zalopay.answer_for(RuntimeError("database down")) == {"return_code": 0, "return_message": "try again"}


def _redirect(**changes) -> dict:
    args = {"appid": "2554", "apptransid": "261206_QN_5ED9_BAZ9_1", "pmcid": "38", "bankcode": "",
            "amount": "85000", "discountamount": "0", "status": "1", **changes}  # fmt: skip
    args["checksum"] = zalopay_hmac(ZALOPAY_TEST["key2"], *args.values())
    return args


def test_a_genuine_redirect_is_read_as_a_hint():
    assert _client().verify_redirect(_redirect()) == zalopay.RedirectResult(
        "261206_QN_5ED9_BAZ9_1", "QN-5ED9-BAZ9-1", "QN-5ED9-BAZ9", 85_000, 1, True
    )
    assert _client().verify_redirect(_redirect(status="-49")).paid is False


@pytest.mark.parametrize(
    ("args", "error"),
    [({**_redirect(), "amount": "1000"}, BadSignature), ({**_redirect(), "checksum": ""}, BadSignature),
     ({key: value for key, value in _redirect().items() if key != "checksum"}, BadSignature),
     (_redirect(appid="2553"), MalformedNotification), (_redirect(amount="x"), MalformedNotification)],
)  # fmt: skip
def test_a_forged_or_foreign_redirect_is_refused(args, error):
    with pytest.raises(error):
        _client().verify_redirect(args)


def test_from_config_and_the_gateway_origin():
    assert zalopay.from_config({"ZALOPAY_APP_ID": "2554", "ZALOPAY_KEY1": "k1"}) is None
    configured = zalopay.from_config({"ZALOPAY_APP_ID": "2554", "ZALOPAY_KEY1": "k1", "ZALOPAY_KEY2": "k2"})
    assert (configured.app_id, configured.api_base) == ("2554", "https://sb-openapi.zalopay.vn")
    assert configured.redirect_origin == "https://qcgateway.zalopay.vn"
    assert _client("https://openapi.zalopay.vn").redirect_origin == "https://gateway.zalopay.vn"
    assert _client("http://127.0.0.1:5123/").redirect_origin == "http://127.0.0.1:5123"


# --- against the fake ZaloPay ------------------------------------------------------------------


class Shop:
    """A tiny shop: the callback endpoint answers as ZaloPay expects; the return page checks the redirect."""

    def __init__(self, client: zalopay.ZaloPay):
        self.client, self.recorded, self.returns = client, [], []
        self.app = Flask(__name__)
        self.app.add_url_rule("/webhooks/zalopay", view_func=self.callback, methods=["POST"])
        self.app.add_url_rule("/done", view_func=self.done)

    def callback(self):
        try:
            self.recorded.append(self.client.verify(request.get_data()))
        except NotificationRefused as error:
            return zalopay.answer_for(error)
        return zalopay.answer_for(None)

    def done(self):
        try:
            self.returns.append(self.client.verify_redirect(request.args))
        except NotificationRefused:
            return "Đường dẫn không hợp lệ", 400
        return "Cảm ơn"


@pytest.fixture
def fake_zalopay():
    with FakeZaloPay() as fake:
        yield fake


@pytest.fixture
def shop(fake_zalopay):
    shop = Shop(_client(fake_zalopay.url, timeout=(1, 0.5)))
    with serving(shop.app) as url:
        shop.url = url
        yield shop


def _start(shop, **changes):
    facts = _facts(notify_url=f"{shop.url}/webhooks/zalopay", return_url=f"{shop.url}/done", **changes)
    return shop.client.start(facts)


def _today() -> str:
    return signing.vietnam_day(datetime.now(UTC))


def test_a_payment_through_the_fake_zalopay_is_called_back_answered_and_brought_back(shop, fake_zalopay):
    start = _start(shop)
    page = requests.get(start.redirect_url, timeout=10)
    token = start.redirect_url.rpartition("=")[2]

    paid = requests.post(f"{fake_zalopay.url}/pay", data={"order": token}, allow_redirects=False, timeout=10)
    back = requests.get(paid.headers["Location"], timeout=10)

    assert (start.provider, start.reference) == ("zalopay", f"{_today()}_QN_5ED9_BAZ9_1")
    assert start.redirect_url.startswith(f"{fake_zalopay.url}/pay?order=")
    assert "Thanh toán" in page.text
    assert json.loads(fake_zalopay.orders[start.reference]["embed_data"]) == {"redirecturl": f"{shop.url}/done"}
    assert [(status, json.loads(text)) for status, text in fake_zalopay.ipn_answers] == [
        (200, {"return_code": 1, "return_message": "success"})
    ]
    [notice] = shop.recorded
    assert (notice.reference, notice.order_code, notice.amount_vnd, notice.succeeded) == (
        "QN-5ED9-BAZ9-1",
        "QN-5ED9-BAZ9",
        85_000,
        True,
    )
    assert notice.raw_id == str(fake_zalopay.orders[start.reference]["zp_trans_id"])
    assert (paid.status_code, back.status_code, back.text) == (302, 200, "Cảm ơn")
    [returned] = shop.returns
    assert (returned.reference, returned.amount_vnd, returned.paid) == ("QN-5ED9-BAZ9-1", 85_000, True)
    assert shop.client.status(start.reference) == zalopay.PaymentStatus(
        "paid", 85_000, notice.raw_id, 1, "Giao dịch thành công"
    )


def test_a_forged_callback_from_the_fake_zalopay_is_answered_minus_one_and_records_nothing(shop, fake_zalopay):
    fake_zalopay.forge = True
    start = _start(shop)

    requests.post(f"{fake_zalopay.url}/pay", data={"order": start.redirect_url.rpartition("=")[2]}, timeout=10)

    assert [json.loads(text)["return_code"] for _, text in fake_zalopay.ipn_answers] == [-1]
    assert shop.recorded == []


def test_a_create_with_a_wrong_key1_is_refused_and_nothing_is_created(fake_zalopay):
    client = zalopay.ZaloPay(ZALOPAY_TEST["app_id"], "wrong-key1", ZALOPAY_TEST["key2"], fake_zalopay.url)

    with pytest.raises(ProviderRefused) as refused:
        client.start(_facts())

    assert (refused.value.provider, refused.value.code) == ("zalopay", -402)
    assert fake_zalopay.orders == {}


def test_the_same_attempt_created_twice_is_refused_the_second_time(shop, fake_zalopay):
    first = _start(shop)

    with pytest.raises(ProviderRefused) as refused:
        _start(shop)

    assert refused.value.code == -68
    assert list(fake_zalopay.orders) == [first.reference]


def test_a_zalopay_that_is_down_is_unavailable():
    with FakeZaloPay() as gone:
        url = gone.url

    with pytest.raises(ProviderUnavailable):
        _client(url, timeout=(0.5, 0.5)).start(_facts())


@pytest.mark.parametrize("fault", ["hang_next_creates", "fail_next_creates"])
def test_a_create_answered_late_or_with_a_5xx_is_unavailable_and_not_sent_again(shop, fake_zalopay, fault):
    setattr(fake_zalopay, fault, 1)

    with pytest.raises(ProviderUnavailable):
        _start(shop)

    assert fake_zalopay.creates_received == 1


def test_the_status_of_an_unpaid_and_an_unknown_order(shop, fake_zalopay):
    start = _start(shop)

    assert shop.client.status(start.reference).state == "processing"
    assert shop.client.status(f"{_today()}_QN_NONE_1") == zalopay.PaymentStatus(
        "failed", 0, "", 2, "Giao dịch không tồn tại"
    )


def test_a_status_query_with_a_wrong_key1_is_refused_not_read_as_a_failed_payment(shop, fake_zalopay):
    start = _start(shop)
    fake_zalopay.callback(fake_zalopay.orders[start.reference])
    client = zalopay.ZaloPay(ZALOPAY_TEST["app_id"], "wrong-key1", ZALOPAY_TEST["key2"], fake_zalopay.url)

    with pytest.raises(ProviderRefused) as refused:
        client.status(start.reference)

    assert refused.value.code == -402
    assert shop.client.status(start.reference).state == "paid"


# --- refunds -------------------------------------------------------------------------------------


def _paid_at(shop, fake_zalopay, amount=85_000) -> PaymentNotice:
    """A payment the fake ZaloPay made, read from its callback as the shop's ledger keeps it."""
    start = _start(shop, amount_vnd=amount)
    return shop.client.verify(json.dumps(fake_zalopay.callback(fake_zalopay.orders[start.reference])).encode())


def test_the_refund_request_is_signed_with_key1_over_the_documented_fields():
    payment = _client().verify(_callback())

    body = _client(clock=lambda: NOON_IN_HANOI).refund_request(payment, 50_000, "Khách huỷ đơn")

    assert body == {
        "app_id": "2554", "m_refund_id": "261206_2554_251206000000389000005000000", "zp_trans_id": "251206000000389",
        "amount": 50000, "timestamp": 1796533200000, "description": "Khách huỷ đơn",
        "mac": _openssl_sha256(ZALOPAY_TEST["key1"], "2554|251206000000389|50000|Khách huỷ đơn|1796533200000"),
    }  # fmt: skip


@pytest.mark.parametrize("amount", [0, 85_001, 50_000.0, True])
def test_a_refund_zalopay_would_refuse_is_not_sent(amount):
    with pytest.raises(ValueError):
        _client().refund_request(_client().verify(_callback()), amount, "x")


def test_a_refund_at_the_fake_zalopay_is_made_and_confirmed_by_query_refund(shop, fake_zalopay):
    payment = _paid_at(shop, fake_zalopay)

    outcome = shop.client.refund(payment, 50_000, "Khách trả một phần")

    assert (outcome.provider, outcome.by_hand, outcome.reference) == (
        "zalopay",
        False,
        str(fake_zalopay.refunds_made[0]),
    )
    assert fake_zalopay.paid[int(payment.raw_id)]["refunded"] == 50_000
    assert "/v2/query_refund" in fake_zalopay.calls


def test_the_same_refund_asked_twice_is_made_once(shop, fake_zalopay):
    payment = _paid_at(shop, fake_zalopay)

    first = shop.client.refund(payment, 85_000, "x")
    second = shop.client.refund(payment, 85_000, "x")

    assert first == second
    assert len(fake_zalopay.refunds_made) == 1
    assert fake_zalopay.paid[int(payment.raw_id)]["refunded"] == 85_000


def test_a_refund_answered_late_or_with_a_5xx_is_asked_again_and_made_once(shop, fake_zalopay):
    payment = _paid_at(shop, fake_zalopay)
    fake_zalopay.hang_next_refunds, fake_zalopay.fail_next_refunds = 1, 1

    shop.client.refund(payment, 85_000, "x")

    assert fake_zalopay.refund_requests == 3
    assert len(fake_zalopay.refunds_made) == 1


def test_zalopay_refusing_a_refund_is_provider_refused_with_its_code(shop, fake_zalopay):
    payment = _paid_at(shop, fake_zalopay)
    shop.client.refund(payment, 85_000, "x")

    with pytest.raises(ProviderRefused) as refused:  # nothing left to refund
        shop.client.refund(payment, 1_000, "x")

    assert (refused.value.provider, refused.value.code) == ("zalopay", -24)
    assert fake_zalopay.paid[int(payment.raw_id)]["refunded"] == 85_000


def test_a_refund_still_processing_after_the_polls_is_unconfirmed(shop, fake_zalopay):
    payment = _paid_at(shop, fake_zalopay)
    fake_zalopay.keep_refunds_processing = True

    with pytest.raises(ProviderRefused) as refused:
        shop.client.refund(payment, 85_000, "x")

    assert refused.value.code in zalopay.UNCONFIRMED_REFUND_CODES
    assert fake_zalopay.calls.count("/v2/query_refund") == 3
    assert len(fake_zalopay.refunds_made) == 1


def test_a_refund_with_a_wrong_key1_is_refused_and_nothing_is_returned(shop, fake_zalopay):
    payment = _paid_at(shop, fake_zalopay)
    client = zalopay.ZaloPay(ZALOPAY_TEST["app_id"], "wrong-key1", ZALOPAY_TEST["key2"], fake_zalopay.url)

    with pytest.raises(ProviderRefused) as refused:
        client.refund(payment, 85_000, "x")

    assert refused.value.code == -402
    assert fake_zalopay.refunds_made == []
