"""The shopper's side of the domestic rails: choosing how to pay, the VietQR order page, its status poll."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from catalogue.clock import VIETNAM
from catalogue.extensions import db
from catalogue.models_base import as_utc
from catalogue.orders.models import Order
from catalogue.payments import init_payments
from catalogue.payments.models import Payment
from catalogue.payments.registry import Rails
from catalogue.payments.vietqr import from_config as vietqr_from_config
from catalogue.reports import sales
from catalogue.reports.periods import Period
from tests.order_helpers import shelf, stock_of
from tests.payments.payment_fakes import VNPAY_TEST, vnpay_hash
from tests.payments.rail_helpers import ledger_of, post_sepay, sepay_body, status_of, use_rails
from tests.storefront_helpers import csrf_token

VNPAY_URL = "http://127.0.0.1:9/paymentv2/vpcpay.html"
FORM = {
    "name": "Nguyễn Thị Lan",
    "email": "lan@example.com",
    "phone": "0912 345 678",
    "province": "Quảng Ninh",
    "ward": "Phường Bãi Cháy",
    "line1": "12 đường Hạ Long",
}
TOTAL = 200_000  # two packets of miến at 85 000 ₫ and 30 000 ₫ shipping


@pytest.fixture
def shop(app, empty_client):
    """VietQR, the bank feeds, VNPay and Stripe on; two packets of miến in the cart."""
    use_rails(app, vnpay_url=VNPAY_URL)
    products = shelf()
    token = csrf_token(empty_client, f"/products/{products['mien'].slug}")
    empty_client.post("/cart/add", data={"product_id": products["mien"].id, "quantity": 2, "csrf_token": token})
    return products


def _place(client, **changes):
    token = csrf_token(client, "/checkout")
    return client.post("/checkout", data={**FORM, **changes, "csrf_token": token})


def _code(location: str) -> str:
    return re.fullmatch(r"/orders/(QN-\w{4}-\w{4})", location).group(1)


def _orders() -> int:
    return db.session.scalar(select(func.count(Order.id)))


def test_checkout_offers_the_configured_rails_vietqr_first_and_checked(empty_client, shop):
    html = empty_client.get("/checkout").get_data(as_text=True)

    offered = re.findall(r'name="payment_method" required type="radio" value="(\w+)"', html)
    assert offered == ["vietqr", "vnpay", "stripe"]  # MoMo is not configured
    assert re.search(r'checked id="payment_method-0" name="payment_method" required type="radio" value="vietqr"', html)
    assert '<label for="payment_method-0">Chuyển khoản VietQR (mọi ngân hàng)</label>' in html
    assert '<label for="payment_method-2">Thẻ quốc tế (Visa/Mastercard)</label>' in html
    assert "Ví MoMo" not in html
    assert 'data-testid="demo-account"' not in html  # a real account is configured


@pytest.mark.parametrize("choice", ["bitcoin", "momo"])
def test_a_rail_that_is_not_offered_is_an_inline_422_and_nothing_is_reserved(empty_client, shop, choice):
    response = _place(empty_client, payment_method=choice)

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert '<p class="field-error" id="payment_method-error">Vui lòng chọn một mục trong danh sách.</p>' in html
    assert _orders() == 0 and stock_of(shop["mien"]) == 10


def test_vietqr_order_page_shows_the_qr_and_every_transfer_fact(empty_client, shop):
    response = _place(empty_client, payment_method="vietqr")

    assert response.status_code == 303
    code = _code(response.headers["Location"])
    html = empty_client.get(response.headers["Location"]).get_data(as_text=True)
    content = code.replace("-", "")
    assert f'src="/orders/{code}/vietqr.svg"' in html
    assert f'alt="Mã VietQR chuyển 200.000\xa0₫ đến tài khoản 1023456789, nội dung {content}"' in html
    assert "<dd>Vietcombank</dd>" in html
    assert '<span id="copy-account" data-testid="account-no">1023456789</span>' in html
    assert '<dd data-testid="account-name">HTX OCOP QUANG NINH</dd>' in html
    assert '<strong data-testid="amount-due" data-due>200.000\xa0₫</strong>' in html
    assert f'<strong id="copy-content" data-testid="transfer-content">{content}</strong>' in html
    assert re.search(r'<dd data-testid="deadline">\d\d:\d\d \d\d/\d\d/\d{4} \(giờ Việt Nam\)</dd>', html)
    assert html.count('class="small copy"') == 3 and html.count("hidden>Sao chép<") == 3  # shown by order.js
    assert "/static/order.js" in html and "js.stripe.com" not in html and 'id="payment-form"' not in html
    assert empty_client.get(f"/orders/{code}/vietqr.svg").mimetype == "image/svg+xml"
    assert ledger_of(code) == [("attempt", "started", "vietqr", TOTAL)]


def test_a_stripe_order_still_gets_the_card_form(empty_client, shop):
    location = _place(empty_client, payment_method="stripe").headers["Location"]

    html = empty_client.get(location).get_data(as_text=True)

    assert 'id="payment-form"' in html and 'data-testid="vietqr"' not in html


def test_vnpay_choice_sends_the_buyer_to_vnpay_with_a_signed_request(empty_client, shop):
    response = _place(empty_client, payment_method="vnpay")

    assert response.status_code == 303
    target = urlsplit(response.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == VNPAY_URL
    query = {key: values[0] for key, values in parse_qs(target.query).items()}
    assert query["vnp_Amount"] == str(TOTAL * 100)
    assert query["vnp_SecureHash"] == vnpay_hash(query, VNPAY_TEST["hash_secret"])
    code = query["vnp_TxnRef"].rsplit("-", 1)[0]
    assert ledger_of(code) == [("attempt", "started", "vnpay", TOTAL)]


def test_a_partial_transfer_leaves_the_rest_due_on_the_page_and_in_the_poll(empty_client, shop, app):
    code = _code(_place(empty_client, payment_method="vietqr").headers["Location"])

    post_sepay(app.test_client(), sepay_body(501, f"CT {code.replace('-', '')} chuyen tien", 120_000))

    html = empty_client.get(f"/orders/{code}").get_data(as_text=True)
    assert "Đã nhận 120.000\xa0₫. Còn thiếu 80.000\xa0₫." in html
    assert '<strong data-testid="amount-due" data-due>80.000\xa0₫</strong>' in html
    assert re.search(r"<li>Đã nhận 120.000\xa0₫ qua Chuyển khoản VietQR · <time>\d\d:\d\d", html)
    deadline = re.search(r'<dd data-testid="deadline">([^<]+)</dd>', html).group(1)
    assert empty_client.get(f"/orders/{code}/status.json").get_json() == {
        "status": "pending_payment", "label": "Chờ thanh toán", "paid": False, "due_vnd": 80_000,
        "due": "80.000\xa0₫", "paid_vnd": 120_000, "deadline": deadline,
    }  # fmt: skip


def test_a_surplus_pays_the_order_and_says_what_will_be_returned(empty_client, shop, app):
    code = _code(_place(empty_client, payment_method="vietqr").headers["Location"])

    post_sepay(app.test_client(), sepay_body(502, code.replace("-", ""), 250_000))

    html = empty_client.get(f"/orders/{code}").get_data(as_text=True)
    assert '<p class="order-status status-paid" data-testid="order-status" role="status">' in html
    assert "Cửa hàng sẽ hoàn lại cho bạn 50.000\xa0₫ qua chuyển khoản." in html
    assert 'data-testid="pay-area"' not in html and "data-status-url" not in html
    assert re.search(r'data-testid="paid-note">Đã thanh toán', html)
    assert "Sẽ hoàn lại 50.000\xa0₫ (Chuyển khoản VietQR)" in html
    answer = empty_client.get(f"/orders/{code}/status.json").get_json()
    assert (answer["status"], answer["label"], answer["paid"], answer["due_vnd"]) == ("paid", "Đã thanh toán", True, 0)


def test_the_status_poll_needs_the_orders_token(empty_client, shop, app):
    code = _code(_place(empty_client, payment_method="vietqr").headers["Location"])
    with empty_client.session_transaction() as session:
        token = session["orders"][code]
    stranger = app.test_client()

    assert stranger.get(f"/orders/{code}/status.json").status_code == 404
    assert stranger.get(f"/orders/{code}/status.json?token=wrong", follow_redirects=True).status_code == 404
    opened = stranger.get(f"/orders/{code}/status.json?token={token}", follow_redirects=True)
    assert opened.get_json()["status"] == "pending_payment"
    page = empty_client.get(f"/orders/{code}")
    assert f'data-status-url="/orders/{code}/status.json"' in page.get_data(as_text=True)


def test_switching_from_vietqr_to_vnpay_starts_a_second_attempt(empty_client, shop):
    code = _code(_place(empty_client, payment_method="vietqr").headers["Location"])
    page = empty_client.get(f"/orders/{code}").get_data(as_text=True)
    assert f'action="/orders/{code}/pay-by"' in page and '<button type="submit" class="small">VNPay</button>' in page

    response = empty_client.post(f"/orders/{code}/pay-by", data={"method": "vnpay", "csrf_token": csrf_token(
        empty_client, f"/orders/{code}")})  # fmt: skip

    assert response.status_code == 303 and response.headers["Location"].startswith(VNPAY_URL)
    assert ledger_of(code) == [("attempt", "started", "vietqr", TOTAL), ("attempt", "started", "vnpay", TOTAL)]
    html = empty_client.get(f"/orders/{code}").get_data(as_text=True)
    assert "Tiếp tục thanh toán 200.000\xa0₫ qua VNPay" in html and 'data-testid="vietqr"' not in html


def test_an_order_switched_to_vnpay_then_paid_by_transfer_counts_under_vietqr(app, empty_client, shop):
    # given a VietQR order whose buyer switched to VNPay (the latest attempt)
    code = _code(_place(empty_client, payment_method="vietqr").headers["Location"])
    empty_client.post(f"/orders/{code}/pay-by", data={"method": "vnpay", "csrf_token": csrf_token(
        empty_client, f"/orders/{code}")})  # fmt: skip

    # when the money comes by bank transfer after all
    post_sepay(empty_client, sepay_body(77, code.replace("-", ""), TOTAL))

    # then the order is paid, settled by VietQR, and the sales by rail count it there, not under VNPay
    order = db.session.scalar(select(Order).where(Order.code == code))
    assert (order.status, order.payment_method, order.settled_by) == ("paid", "vnpay", "vietqr")
    day = as_utc(order.created_at).astimezone(VIETNAM).date()
    by_rail = {
        row.key: (row.orders, row.revenue_vnd) for row in sales.sales_by("rail", Period("custom", day, day), day)
    }
    assert (by_rail["vietqr"], by_rail["vnpay"]) == ((1, 170_000), (0, 0))


def test_switching_refusals_change_nothing(empty_client, shop, app):
    code = _code(_place(empty_client, payment_method="vietqr").headers["Location"])
    token = csrf_token(empty_client, f"/orders/{code}")

    no_csrf = empty_client.post(f"/orders/{code}/pay-by", data={"method": "vnpay"})
    stranger_client = app.test_client()
    stranger = stranger_client.post(
        f"/orders/{code}/pay-by", data={"method": "vnpay", "csrf_token": csrf_token(stranger_client)}
    )  # a valid form of the stranger's own session: only the order's access refuses it
    not_offered = empty_client.post(f"/orders/{code}/pay-by", data={"method": "momo", "csrf_token": token})

    assert no_csrf.status_code == 400
    assert stranger.status_code == 404
    assert not_offered.status_code == 303
    assert "Phương thức thanh toán này không có ở cửa hàng." in empty_client.get(f"/orders/{code}").get_data(
        as_text=True
    )  # fmt: skip  (payment.method_unavailable, worded by catalogue.refusals)
    assert ledger_of(code) == [("attempt", "started", "vietqr", TOTAL)]


def test_vnpay_return_page_shows_the_result_and_records_nothing(empty_client, shop):
    query = dict(parse_qs(urlsplit(_place(empty_client, payment_method="vnpay").headers["Location"]).query))
    reference = query["vnp_TxnRef"][0]
    code = reference.rsplit("-", 1)[0]
    result = {
        "vnp_Amount": str(TOTAL * 100), "vnp_BankCode": "NCB", "vnp_ResponseCode": "00", "vnp_TmnCode":
        VNPAY_TEST["tmn_code"], "vnp_TransactionNo": "14980726", "vnp_TransactionStatus": "00", "vnp_TxnRef": reference,
    }  # fmt: skip
    result["vnp_SecureHash"] = vnpay_hash(result, VNPAY_TEST["hash_secret"])
    rows = db.session.scalar(select(func.count(Payment.id)))

    back = empty_client.get("/payments/vnpay/return", query_string=result, follow_redirects=True)

    html = back.get_data(as_text=True)
    assert "VNPay báo giao dịch thành công." in html
    assert '<p class="order-status status-pending_payment"' in html
    assert status_of(code) == "pending_payment"
    assert db.session.scalar(select(func.count(Payment.id))) == rows


def test_demo_account_is_announced_on_checkout_and_on_the_order(app, empty_client):
    app.config["PAYMENT_RAILS"] = Rails(vietqr=vietqr_from_config({}, allow_demo=True))
    init_payments(app)
    products = shelf()
    token = csrf_token(empty_client, f"/products/{products['mien'].slug}")
    empty_client.post("/cart/add", data={"product_id": products["mien"].id, "quantity": 2, "csrf_token": token})

    checkout = empty_client.get("/checkout").get_data(as_text=True)
    location = _place(empty_client).headers["Location"]  # the only rail, checked by default
    order = empty_client.get(location).get_data(as_text=True)

    for html in (checkout, order):
        assert "<strong>TÀI KHOẢN DEMO – không chuyển tiền thật</strong>" in html
    assert '<span id="copy-account" data-testid="account-no">0000000000</span>' in order
