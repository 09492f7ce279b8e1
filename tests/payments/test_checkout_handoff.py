"""Handing the buyer to a redirect rail's gateway (issue 20): which origins a page may post to, and where
the checkout sends the browser. Chromium applies form-action to the 303 that follows a form post, so the
two pages whose forms end at a gateway (the checkout, the order page) allow exactly the configured
gateways' origins, and every other page keeps `form-action 'self'`. The browser side is in
tests/browser/test_redirect_rails.py."""

from __future__ import annotations

import re

import pytest

from catalogue.payments.momo import MoMo
from catalogue.payments.port import origin_of
from catalogue.payments.registry import Rails
from catalogue.payments.vnpay import VNPay
from catalogue.payments.zalopay import ZaloPay
from tests.order_helpers import shelf, stock_of
from tests.payments.payment_fakes import VNPAY_TEST, FakeMoMo, vnpay_hash
from tests.payments.rail_helpers import ledger_of, status_of, use_rails
from tests.storefront_helpers import cart_of, csrf_token

VNPAY_URL = "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"
VNPAY_ORIGIN = "https://sandbox.vnpayment.vn"
FORM = {
    "name": "Nguyễn Thị Lan", "email": "lan@example.com", "phone": "0912 345 678", "province": "Quảng Ninh",
    "ward": "Phường Bãi Cháy", "line1": "12 đường Hạ Long",
}  # fmt: skip
TOTAL = 200_000


def directives(policy: str) -> dict[str, list[str]]:
    """A Content-Security-Policy header as {directive: its sources}."""
    parsed = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


@pytest.fixture
def fake_momo():
    with FakeMoMo() as fake:
        yield fake


@pytest.fixture
def shop(app, empty_client, fake_momo):
    """VietQR, VNPay (its sandbox URL: starting needs no network) and MoMo at the fake; miến in the cart."""
    use_rails(app, vnpay_url=VNPAY_URL, momo_url=fake_momo.url, PUBLIC_BASE_URL="http://shop.test")
    products = shelf()
    token = csrf_token(empty_client, f"/products/{products['mien'].slug}")
    empty_client.post("/cart/add", data={"product_id": products["mien"].id, "quantity": 2, "csrf_token": token})
    return products


def _place(client, method: str):
    return client.post(
        "/checkout", data={**FORM, "payment_method": method, "csrf_token": csrf_token(client, "/checkout")}
    )


def _code(location: str) -> str:
    return re.search(r"(QN-\w{4}-\w{4})", location).group(1)


# --- the policy ---------------------------------------------------------------------------------


def test_the_checkout_and_order_pages_may_post_to_exactly_the_configured_gateways(empty_client, shop, fake_momo):
    product = directives(empty_client.get(f"/products/{shop['mien'].slug}").headers["Content-Security-Policy"])
    checkout_page = empty_client.get("/checkout")
    code = _code(_place(empty_client, "vietqr").headers["Location"])
    order_page = empty_client.get(f"/orders/{code}")

    checkout_csp = directives(checkout_page.headers["Content-Security-Policy"])
    order_csp = directives(order_page.headers["Content-Security-Policy"])
    assert checkout_csp["form-action"] == ["'self'", VNPAY_ORIGIN, fake_momo.url]
    assert order_csp["form-action"] == ["'self'", VNPAY_ORIGIN, fake_momo.url]
    assert {**checkout_csp, "form-action": ["'self'"]} == product  # nothing else loosened
    assert order_csp["script-src"] == ["'self'", "https://js.stripe.com"]  # the card form, as before


@pytest.mark.parametrize(
    "path", ["/", "/cart", "/orders/lookup", "/products/{slug}", "/no-such-page", "/orders/{code}/status.json"]
)
def test_every_other_page_keeps_form_action_self_only(empty_client, shop, path):
    code = _code(_place(empty_client, "vietqr").headers["Location"])

    response = empty_client.get(path.format(slug=shop["mien"].slug, code=code))

    assert directives(response.headers["Content-Security-Policy"])["form-action"] == ["'self'"]


def test_without_a_redirect_rail_the_checkout_posts_to_itself_only(app, empty_client):
    use_rails(app)  # VietQR and the bank feeds
    products = shelf()
    token = csrf_token(empty_client, f"/products/{products['mien'].slug}")
    empty_client.post("/cart/add", data={"product_id": products["mien"].id, "quantity": 1, "csrf_token": token})

    policy = empty_client.get("/checkout").headers["Content-Security-Policy"]

    assert directives(policy)["form-action"] == ["'self'"]


# --- where the browser is sent -------------------------------------------------------------------


def test_momo_is_handed_its_own_pay_url(empty_client, shop, fake_momo):
    response = _place(empty_client, "momo")

    code = _code(response.headers["Location"])
    assert (response.status_code, response.headers["Location"]) == (303, f"{fake_momo.url}/pay/{code}-1")
    assert cart_of(empty_client) == {}
    assert ledger_of(code) == [("attempt", "started", "momo", TOTAL)]


def test_a_pay_url_off_the_gateways_origins_gets_the_order_page_which_links_to_it(empty_client, shop, fake_momo):
    fake_momo.pay_base = fake_momo.url.replace("127.0.0.1", "localhost")  # a host the page may not post to

    response = _place(empty_client, "momo")

    code = _code(response.headers["Location"])
    assert (response.status_code, response.headers["Location"]) == (303, f"/orders/{code}")
    html = empty_client.get(f"/orders/{code}").get_data(as_text=True)
    pay_url = f"{fake_momo.pay_base}/pay/{code}-1"
    assert f'<a class="button" href="{pay_url}" data-testid="provider-link">' in html  # a link: no form-action
    assert ledger_of(code) == [("attempt", "started", "momo", TOTAL)]


def test_momo_down_at_checkout_keeps_the_cart_and_places_nothing_that_holds_stock(empty_client, shop, fake_momo):
    fake_momo.fail_next_creates = 3

    response = _place(empty_client, "momo")

    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert ("Ví MoMo tạm thời gián đoạn, đơn chưa được tạo. Vui lòng thử lại sau ít phút hoặc chọn cách thanh toán "
            "khác.") in html  # fmt: skip
    assert cart_of(empty_client) == {str(shop["mien"].id): 2}
    assert fake_momo.payments == {}
    assert stock_of(shop["mien"]) == 10


# --- trying the same gateway again ---------------------------------------------------------------


def _vnpay_declined_ipn(client, reference: str) -> None:
    result = {
        "vnp_Amount": str(TOTAL * 100), "vnp_BankCode": "NCB", "vnp_ResponseCode": "24",
        "vnp_TmnCode": VNPAY_TEST["tmn_code"], "vnp_TransactionNo": "0", "vnp_TransactionStatus": "02",
        "vnp_TxnRef": reference,
    }  # fmt: skip
    result["vnp_SecureHash"] = vnpay_hash(result, VNPAY_TEST["hash_secret"])
    assert client.get("/webhooks/vnpay", query_string=result).get_json()["RspCode"] == "00"


def test_after_a_failed_vnpay_attempt_the_order_page_offers_vnpay_again(app, empty_client, shop):
    code = _code(_place(empty_client, "vnpay").headers["Location"])
    open_page = empty_client.get(f"/orders/{code}").get_data(as_text=True)
    _vnpay_declined_ipn(app.test_client(), f"{code}-1")
    assert status_of(code) == "payment_failed"

    html = empty_client.get(f"/orders/{code}").get_data(as_text=True)
    again = empty_client.post(
        f"/orders/{code}/pay-by", data={"method": "vnpay", "csrf_token": csrf_token(empty_client, f"/orders/{code}")}
    )

    assert 'data-testid="retry-rail"' not in open_page  # an open attempt gets its link instead
    assert 'data-testid="provider-link"' in open_page
    assert '<input type="hidden" name="method" value="vnpay"><button type="submit" class="button">' in html
    assert "Tiếp tục thanh toán 200.000\xa0₫ qua VNPay" in html
    assert again.status_code == 303 and again.headers["Location"].startswith(VNPAY_URL + "?")
    assert f"vnp_TxnRef={code}-2" in again.headers["Location"]
    assert ledger_of(code) == [("attempt", "failed", "vnpay", TOTAL), ("attempt", "started", "vnpay", TOTAL)]


def test_a_vietqr_order_has_no_gateway_retry(empty_client, shop):
    code = _code(_place(empty_client, "vietqr").headers["Location"])

    html = empty_client.get(f"/orders/{code}").get_data(as_text=True)

    assert 'data-testid="retry-rail"' not in html


# --- the rails' origins -----------------------------------------------------------------------------


def test_origin_of_names_scheme_host_and_port_only():
    assert origin_of("https://Sandbox.VNPayment.vn/paymentv2/vpcpay.html?a=1") == "https://sandbox.vnpayment.vn"
    assert origin_of("http://user:pw@127.0.0.1:8443/pay/x") == "http://127.0.0.1:8443"
    # as a browser's Origin header names it: a default port is not written
    assert (
        origin_of("https://ocop.example.vn:443/") == origin_of("HTTPS://OCOP.example.vn") == "https://ocop.example.vn"
    )
    assert (
        origin_of("http://[::1]:80/x") == "http://[::1]" and origin_of("http://shop.vn:8080") == "http://shop.vn:8080"
    )
    for bad in ("/pay/x", "javascript:alert(1)", "ftp://example.vn/x", "https://"):
        with pytest.raises(ValueError):
            origin_of(bad)


def test_the_rails_collect_every_gateway_origin_and_send_a_browser_only_there():
    rails = Rails(
        vnpay=VNPay("T", "S", VNPAY_URL),
        momo=MoMo("P", "A", "S", "https://payment.momo.vn/"),
        stripe=True,
    )

    assert rails.handoff_origins == (VNPAY_ORIGIN, "https://payment.momo.vn")
    assert rails.hands_off_to("https://payment.momo.vn/v2/gateway/pay?t=abc") is True
    assert rails.hands_off_to("https://payment.momo.vn.evil.example/v2/gateway/pay") is False
    assert rails.hands_off_to("http://payment.momo.vn/v2/gateway/pay") is False  # another scheme
    assert rails.hands_off_to("/orders/QN-AAAA-BBBB") is False
    assert [rails.is_redirect_rail(name) for name in ("vnpay", "momo", "stripe", "vietqr", None)] == [
        True, True, False, False, False,
    ]  # fmt: skip
    assert Rails().handoff_origins == ()


def test_zalopay_as_a_third_redirect_rail_brings_its_own_origin():
    zalopay = ZaloPay("2554", "key1", "key2", "https://sb-openapi.zalopay.vn")
    rails = Rails(vnpay=VNPay("T", "S", VNPAY_URL), zalopay=zalopay)

    assert rails.handoff_origins == (VNPAY_ORIGIN, zalopay.redirect_origin)
    assert rails.is_redirect_rail("zalopay") is True
