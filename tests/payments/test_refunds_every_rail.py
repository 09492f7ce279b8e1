"""Every rail that refunds by API goes through the one planner: MoMo, ZaloPay, VNPay (VNPAY_API on) and Stripe.

For each: the office cancels a paid order and the fake provider refunds it; cancelling again
(or asking twice) is still one refund at the provider, under one request id; a provider that
is down leaves the order as it was, with nothing lost, and the next cancel refunds it once. A
bank transfer, and VNPay without its refund API, leave a `due` row for the office. The fakes
check signatures with their own code. Every test runs on SQLite and PostgreSQL.

VNPay publishes no signed refund request to test against (its sample code and the `vnpay` npm
package's tests mock the answer without a fixed hash), so its refund hash is checked against
`openssl` over the `|`-joined fields in VNPay's documented order, and against the fake.
"""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime

import pytest
import requests
from sqlalchemy import select

from catalogue.extensions import db
from catalogue.orders.models import Order
from catalogue.payments import ledger, vnpay
from catalogue.payments.models import Payment
from catalogue.payments.port import PaymentNotice, ProviderUnavailable
from tests.access_helpers import auth, cast, portal_client
from tests.fakes import intent_event, refund_event, signed
from tests.live import serving
from tests.order_helpers import body, stock_of
from tests.payments.fakes_zalopay import ZALOPAY_TEST, FakeZaloPay
from tests.payments.payment_fakes import VNPAY_TEST, FakeMoMo, FakeVNPay
from tests.payments.rail_helpers import ledger_of, post_sepay, sepay_body, status_of, use_rails

API_RAILS = ("momo", "zalopay", "vnpay", "stripe")
TOTAL = 200_000  # 2 × 85 000 ₫ + 30 000 ₫ shipping


@pytest.fixture
def shop(app, empty_client):
    """Every rail on, each at its fake (VNPay with VNPAY_API), a product of 10 and the office's token."""
    with (
        serving(app) as base,
        FakeMoMo() as momo,
        FakeZaloPay() as zalopay,
        FakeVNPay(ipn_url=f"{base}/webhooks/vnpay") as fake_vnpay,
    ):
        use_rails(app, vnpay_url=fake_vnpay.pay_url, momo_url=momo.url, PUBLIC_BASE_URL=base,
                  VNPAY_API=fake_vnpay.url, ZALOPAY_APP_ID=ZALOPAY_TEST["app_id"], ZALOPAY_KEY1=ZALOPAY_TEST["key1"],
                  ZALOPAY_KEY2=ZALOPAY_TEST["key2"], ZALOPAY_API_BASE=zalopay.url)  # fmt: skip
        world = cast()
        yield {"app": app, "client": empty_client, "product": world["product"],
               "office": auth(world["tokens"]["admin"]), "world": world, "momo": momo, "zalopay": zalopay,
               "vnpay": fake_vnpay, "stripe": app.extensions["payment_gateway"]}  # fmt: skip


def _place(shop, method: str) -> dict:
    placed = shop["client"].post("/api/v1/orders", json=body((shop["product"].id, 2), payment_method=method))
    assert placed.status_code == 201, placed.get_json()
    return placed.get_json()


def _pay(shop, order: dict, method: str) -> None:
    payment = order["payment"]
    if method == "stripe":
        event = intent_event("evt_paid", "succeeded", payment["payment_intent_id"], order["code"], amount=TOTAL)
        payload, signature = signed(event)
        shop["client"].post("/webhooks/stripe", data=payload, headers={"Stripe-Signature": signature})
    elif method == "zalopay":
        token = payment["redirect_url"].rpartition("=")[2]
        requests.post(f"{shop['zalopay'].url}/pay", data={"order": token}, allow_redirects=False, timeout=30)
    elif method == "vietqr":
        post_sepay(shop["client"], sepay_body(1, payment["content"], TOTAL))
    else:  # MoMo and VNPay pay on the GET of their redirect
        requests.get(payment["redirect_url"], allow_redirects=False, timeout=30)


@pytest.fixture(params=API_RAILS)
def paid(request, shop):
    method = request.param
    order = _place(shop, method)
    _pay(shop, order, method)
    assert status_of(order["code"]) == "paid"
    assert stock_of(shop["product"]) == 8
    return {"method": method, "order": order, "code": order["code"]}


def _cancel(shop, code: str):
    return shop["client"].post(f"/api/v1/orders/{code}/cancel", headers=shop["office"])


def _asked(shop, method: str) -> list[str]:
    """Every refund request id the provider saw, once each (its own record)."""
    if method == "stripe":
        return [call[2] for call in shop["stripe"].calls if call[0] == "refund"]
    return list(shop[method].refunds)


def _made(shop, method: str) -> int:
    """How many refunds the provider actually made (Stripe makes one per idempotency key)."""
    if method == "stripe":
        return len(set(_asked(shop, method)))
    if method == "momo":
        return len(shop["momo"].refunded_trans_ids)
    return len(shop[method].refunds_made)


def _break(shop, method: str) -> None:
    """The provider is down for every try of the next cancel."""
    if method == "stripe":
        shop["stripe"].unavailable = True
    else:
        shop[method].fail_next_refunds = 3


def _mend(shop, method: str) -> None:
    if method == "stripe":
        shop["stripe"].unavailable = False
    else:
        shop[method].fail_next_refunds = 0


def _finish_stripe(shop, paid) -> None:
    """Stripe's signed charge.refunded: its webhook, not its answer, finishes a card's refund."""
    if paid["method"] == "stripe":
        assert status_of(paid["code"]) == "refund_pending"
        payload, signature = signed(refund_event("evt_refunded", paid["order"]["payment"]["payment_intent_id"]))
        shop["client"].post("/webhooks/stripe", data=payload, headers={"Stripe-Signature": signature})


def _refund_rows(code: str) -> list[tuple]:
    db.session.expire_all()
    order = db.session.scalar(select(Order).where(Order.code == code))
    return [(row.state, row.method, row.amount_vnd, row.reference)
            for row in ledger.rows_of(order.id) if row.kind == "refund"]  # fmt: skip


def test_the_office_cancelling_a_paid_order_refunds_it_at_its_provider(shop, paid):
    answer = _cancel(shop, paid["code"])
    _finish_stripe(shop, paid)

    assert answer.status_code == 200, answer.get_json()
    assert status_of(paid["code"]) == "refunded"
    assert stock_of(shop["product"]) == 10
    [request_id] = _asked(shop, paid["method"])
    assert _made(shop, paid["method"]) == 1
    assert _refund_rows(paid["code"]) == [("done", paid["method"], TOTAL, request_id)]


def test_cancelling_twice_is_one_refund_at_the_provider_under_one_id(shop, paid):
    first = _cancel(shop, paid["code"])
    asked = _asked(shop, paid["method"])

    second = _cancel(shop, paid["code"])
    _finish_stripe(shop, paid)
    third = _cancel(shop, paid["code"])

    assert (first.status_code, second.status_code, third.status_code) == (200, 200, 200)
    assert len(asked) == 1
    assert _asked(shop, paid["method"]) == asked
    assert _made(shop, paid["method"]) == 1
    assert [state for state, *_ in _refund_rows(paid["code"])] == ["done"]
    assert status_of(paid["code"]) == "refunded"
    assert stock_of(shop["product"]) == 10


def test_a_provider_that_is_down_leaves_the_order_as_it_was_and_the_next_cancel_refunds_once(shop, paid):
    _break(shop, paid["method"])

    answer = _cancel(shop, paid["code"])

    assert answer.status_code == 503
    assert status_of(paid["code"]) == "paid"
    assert _refund_rows(paid["code"]) == []
    assert stock_of(shop["product"]) == 8
    assert _made(shop, paid["method"]) == 0

    _mend(shop, paid["method"])
    again = _cancel(shop, paid["code"])
    _finish_stripe(shop, paid)

    assert again.status_code == 200
    assert status_of(paid["code"]) == "refunded"
    assert _made(shop, paid["method"]) == 1
    assert [state for state, *_ in _refund_rows(paid["code"])] == ["done"]


def _requests_seen(shop, method: str) -> int:
    """How many refund calls reached the provider (a request asked again counts again)."""
    return len(_asked(shop, method)) if method == "stripe" else shop[method].refund_requests


def test_asking_twice_after_the_answer_was_lost_is_one_refund_at_the_provider(shop, paid, monkeypatch):
    method = paid["method"]
    target = shop["stripe"] if method == "stripe" else shop["app"].extensions["payment_rails"].get(method)
    real = target.refund

    def answered_then_stopped(*args, **kwargs):
        real(*args, **kwargs)
        raise SystemExit("the process stopped once the provider had answered")

    monkeypatch.setattr(target, "refund", answered_then_stopped)
    with pytest.raises(SystemExit):
        _cancel(shop, paid["code"])
    monkeypatch.undo()
    assert status_of(paid["code"]) == "refund_pending"
    assert [state for state, *_ in _refund_rows(paid["code"])] == ["requested"]

    again = _cancel(shop, paid["code"])
    _finish_stripe(shop, paid)

    assert again.status_code == 200
    assert status_of(paid["code"]) == "refunded"
    assert _requests_seen(shop, method) == 2
    assert len(set(_asked(shop, method))) == 1  # the same request id both times
    assert _made(shop, method) == 1
    assert [state for state, *_ in _refund_rows(paid["code"])] == ["done"]
    assert stock_of(shop["product"]) == 10


def test_the_request_id_is_derived_from_the_payment_and_the_amount(shop, paid):
    _cancel(shop, paid["code"])

    [request_id] = _asked(shop, paid["method"])
    code = paid["code"]
    today = datetime.now(UTC).astimezone(vnpay.VIETNAM_TIME).strftime("%y%m%d")
    db.session.expire_all()
    [payment] = db.session.scalars(select(Payment).where(Payment.kind == "payment", Payment.method == paid["method"]))
    expected = {
        "momo": f"{code}-1-R{TOTAL}",
        "zalopay": f"{today}_{ZALOPAY_TEST['app_id']}_{payment.provider_transaction_id}{TOTAL:010d}00",
        "vnpay": f"{code.replace('-', '')}1R{TOTAL}",
        "stripe": f"refund-{code}",
    }[paid["method"]]
    assert request_id == expected


def test_a_bank_transfer_order_leaves_a_due_row_for_the_office(shop):
    order = _place(shop, "vietqr")
    _pay(shop, order, "vietqr")
    assert status_of(order["code"]) == "paid"

    answer = _cancel(shop, order["code"])

    assert answer.status_code == 200 and answer.get_json()["status"] == "refund_pending"
    assert ledger_of(order["code"])[-1] == ("refund", "due", "vietqr", TOTAL)
    assert [row.amount_vnd for row in ledger.refunds_due()] == [TOTAL]
    assert [_made(shop, method) for method in API_RAILS] == [0, 0, 0, 0]
    assert stock_of(shop["product"]) == 8


def test_vnpay_without_its_refund_api_leaves_a_due_row_for_the_office(shop):
    order = _place(shop, "vnpay")
    _pay(shop, order, "vnpay")
    rails = shop["app"].extensions["payment_rails"]
    no_api = vnpay.VNPay(VNPAY_TEST["tmn_code"], VNPAY_TEST["hash_secret"], shop["vnpay"].pay_url)
    shop["app"].extensions["payment_rails"] = rails.replaced(vnpay=no_api)

    answer = _cancel(shop, order["code"])

    assert answer.status_code == 200 and answer.get_json()["status"] == "refund_pending"
    assert ledger_of(order["code"])[-1] == ("refund", "due", "vnpay", TOTAL)
    assert shop["vnpay"].refund_requests == 0


def test_vnpay_refusing_leaves_the_order_paid_and_the_next_try_is_a_new_id(shop):
    order = _place(shop, "vnpay")
    _pay(shop, order, "vnpay")
    shop["vnpay"].refuse_next_refunds = [("95", "VNPAY từ chối xử lý yêu cầu")]

    answer = _cancel(shop, order["code"])

    assert answer.status_code == 409
    assert answer.get_json()["message"] == (
        "VNPay refused the refund (95 VNPAY từ chối xử lý yêu cầu); nothing was returned and the order is still paid."
    )
    assert status_of(order["code"]) == "paid"
    assert _refund_rows(order["code"]) == []

    again = _cancel(shop, order["code"])

    plain = order["code"].replace("-", "")
    assert again.get_json()["status"] == "refunded"
    assert list(shop["vnpay"].refunds) == [f"{plain}1R{TOTAL}", f"{plain}1R{TOTAL}N1"]
    assert shop["vnpay"].refunds_made == [f"{plain}1R{TOTAL}N1"]


def test_a_zalopay_refund_still_processing_is_left_to_the_office_and_never_asked_anew(shop):
    order = _place(shop, "zalopay")
    _pay(shop, order, "zalopay")
    rails = shop["app"].extensions["payment_rails"]
    shop["app"].extensions["payment_rails"] = rails.replaced(zalopay=_zalopay(shop, poll_seconds=0))
    shop["zalopay"].keep_refunds_processing = True

    answer = _cancel(shop, order["code"])

    assert answer.status_code == 409
    assert answer.get_json()["message"].startswith("ZaloPay did not confirm the refund (3 ")
    assert status_of(order["code"]) == "refund_pending"
    [(state, method, amount, _)] = _refund_rows(order["code"])
    assert (state, method, amount) == ("due", "zalopay", TOTAL)
    assert [row.reason for row in ledger.refunds_due()] == ["ZaloPay refund to check"]
    asked = shop["zalopay"].refund_requests

    again = _cancel(shop, order["code"])

    assert again.status_code == 200 and again.get_json()["status"] == "refund_pending"
    assert shop["zalopay"].refund_requests == asked
    assert len(shop["zalopay"].refunds_made) == 1
    page = portal_client(shop["app"], shop["world"], "admin").get("/portal/admin/payments/").get_data(as_text=True)
    assert "ZaloPay đã nhận yêu cầu hoàn trước đó: kiểm tra trên trang quản lý của ZaloPay" in page


def _zalopay(shop, **options):
    from catalogue.payments import zalopay

    return zalopay.ZaloPay(ZALOPAY_TEST["app_id"], ZALOPAY_TEST["key1"], ZALOPAY_TEST["key2"], shop["zalopay"].url,
                           **options)  # fmt: skip


# --- VNPay's refund API: its signature ------------------------------------------------------------------

PAID_NOTICE = PaymentNotice(
    provider="vnpay", reference="QN-5ED9-BAZ9-1", order_code="QN-5ED9-BAZ9", amount_vnd=85_000, succeeded=True,
    raw_id="QN-5ED9-BAZ9-1",
    details={"vnp_TransactionNo": "14980726", "vnp_PayDate": "20261206120512",
             "attempt_redirect_url": "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html?vnp_CreateDate=20261206120000"},
)  # fmt: skip
NOON_IN_HANOI = datetime(2026, 12, 6, 5, 0, tzinfo=UTC)


def _openssl_sha512(secret: str, message: str) -> str:
    result = subprocess.run(
        ["openssl", "dgst", "-sha512", "-hmac", secret], input=message.encode(), capture_output=True, check=True
    )
    return result.stdout.split()[-1].decode()


def test_the_vnpay_refund_request_is_signed_over_the_documented_fields_in_order():
    gateway = vnpay.VNPay("QNTEST01", "SECRET", api_url="https://sandbox.vnpayment.vn", clock=lambda: NOON_IN_HANOI)

    request = gateway.refund_request(PAID_NOTICE, 50_000, "Khách huỷ đơn", "QN5ED9BAZ91R50000")

    raw = ("QN5ED9BAZ91R50000|2.1.0|refund|QNTEST01|03|QN-5ED9-BAZ9-1|5000000|14980726|20261206120000|"
           "ocop-quangninh|20261206120000|127.0.0.1|Khach huy don")  # fmt: skip
    assert request == {
        "vnp_RequestId": "QN5ED9BAZ91R50000", "vnp_Version": "2.1.0", "vnp_Command": "refund",
        "vnp_TmnCode": "QNTEST01", "vnp_TransactionType": "03", "vnp_TxnRef": "QN-5ED9-BAZ9-1",
        "vnp_Amount": "5000000", "vnp_TransactionNo": "14980726", "vnp_TransactionDate": "20261206120000",
        "vnp_CreateBy": "ocop-quangninh", "vnp_CreateDate": "20261206120000", "vnp_IpAddr": "127.0.0.1",
        "vnp_OrderInfo": "Khach huy don", "vnp_SecureHash": _openssl_sha512("SECRET", raw),
    }  # fmt: skip
    assert gateway.refund_request(PAID_NOTICE, 85_000, "x", "R1")["vnp_TransactionType"] == "02"


def test_vnpay_refunds_by_api_only_with_vnpay_api_set_and_its_three_settings_work_as_before():
    settings = {"VNPAY_TMN_CODE": "X", "VNPAY_HASH_SECRET": "S", "VNPAY_URL": None}

    without = vnpay.from_config(settings)
    with_api = vnpay.from_config({**settings, "VNPAY_API": "https://sandbox.vnpayment.vn/"})

    assert (without.tmn_code, without.pay_url, without.refunds_by_api) == ("X", vnpay.SANDBOX_URL, False)
    assert without.refundable(PAID_NOTICE, 85_000) is False
    assert without.refund(PAID_NOTICE, 85_000, "x").by_hand is True
    assert (with_api.api_url, with_api.refunds_by_api) == ("https://sandbox.vnpayment.vn", True)
    assert with_api.refundable(PAID_NOTICE, 85_000) is True
    assert with_api.refundable(PAID_NOTICE, 85_001) is False


def test_the_fake_vnpay_refuses_a_refund_signed_with_another_secret(shop):
    order = _place(shop, "vnpay")
    _pay(shop, order, "vnpay")
    [number] = shop["vnpay"].paid
    wrong = vnpay.VNPay(VNPAY_TEST["tmn_code"], "wrong-secret", shop["vnpay"].pay_url, api_url=shop["vnpay"].url)
    notice = PaymentNotice(provider="vnpay", reference=f"{order['code']}-1", order_code=order["code"], amount_vnd=TOTAL,
                           succeeded=True, raw_id="x", details={"vnp_TransactionNo": number})  # fmt: skip

    with pytest.raises(ProviderUnavailable) as refused:
        wrong.refund(notice, TOTAL, "test", "R1")

    assert refused.type is ProviderUnavailable  # its 97 is signed with VNPay's secret, not ours: no answer
    assert str(refused.value) == "VNPay's refund answer (97) is not signed by VNPay"
    assert shop["vnpay"].refund_requests == 1
    assert shop["vnpay"].refunds_made == []
    assert shop["vnpay"].paid[number]["refunded"] == 0


def test_the_buyer_is_told_where_the_money_went_back(shop, smtp_server):
    shop["app"].config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    order = _place(shop, "zalopay")
    _pay(shop, order, "zalopay")
    smtp_server.wait_for_message()  # the paid email

    _cancel(shop, order["code"])

    message = smtp_server.wait_for_message()
    assert smtp_server.messages.empty()
    plain = message.get_body(("plain",)).get_content()
    assert "Số tiền 200.000\xa0₫ đã được hoàn về ví ZaloPay của bạn." in plain
    assert "MoMo" not in plain and "thẻ của bạn" not in plain


def test_vnpay_answering_it_is_already_processing_the_refund_leaves_it_to_the_office(shop):
    order = _place(shop, "vnpay")
    _pay(shop, order, "vnpay")
    shop["vnpay"].refuse_next_refunds = [("94", "Giao dịch đã được gửi yêu cầu hoàn tiền trước đó")]

    answer = _cancel(shop, order["code"])
    again = _cancel(shop, order["code"])

    assert answer.status_code == 409
    assert answer.get_json()["message"].startswith("VNPay did not confirm the refund (94 ")
    assert (again.status_code, again.get_json()["status"]) == (200, "refund_pending")
    assert [(row.state, row.method, row.amount_vnd, row.reason) for row in ledger.refunds_due()] == [
        ("due", "vnpay", TOTAL, "VNPay refund to check")
    ]
    assert shop["vnpay"].refund_requests == 1
