"""A shopper pays by VNPay, MoMo or ZaloPay in Chromium: the checkout hands the browser to the gateway's page
(the fake's, on another origin), the shopper presses pay, and the browser comes back to the order,
paid. The shop's own Content-Security-Policy must let the 303 after the checkout's (and the order
page's) form post reach the gateway: Chromium checks form-action on that redirect too."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations
from tests.live import serving
from tests.order_helpers import shelf, stock_of
from tests.payments.fakes_zalopay import ZALOPAY_TEST, FakeZaloPay
from tests.payments.payment_fakes import FakeMoMo, FakeVNPay
from tests.payments.rail_helpers import ledger_of, status_of, use_rails

RAILS = {"vietqr": "Chuyển khoản VietQR (mọi ngân hàng)", "vnpay": "VNPay", "momo": "Ví MoMo", "zalopay": "Ví ZaloPay"}
TOTAL = 200_000  # two packets of miến at 85 000 ₫ and 30 000 ₫ shipping


@pytest.fixture
def rails_shop(app, browser, axe_source):
    """VNPay, MoMo and ZaloPay at their fakes (which show a pay page), served on 127.0.0.1; a phone-sized page."""
    from tests.browser.conftest import VIEWPORTS

    with FakeVNPay(ipn_url="") as vnpay, FakeMoMo() as momo, FakeZaloPay() as zalopay:
        vnpay.pay_page = momo.pay_page = True
        products = shelf()
        with serving(app) as base:
            use_rails(app, vnpay_url=vnpay.pay_url, momo_url=momo.url, PUBLIC_BASE_URL=base,
                      ZALOPAY_APP_ID=ZALOPAY_TEST["app_id"], ZALOPAY_KEY1=ZALOPAY_TEST["key1"],
                      ZALOPAY_KEY2=ZALOPAY_TEST["key2"], ZALOPAY_API_BASE=zalopay.url)  # fmt: skip
            vnpay.ipn_url = f"{base}/webhooks/vnpay"
            context = browser.new_context(viewport=VIEWPORTS["phone"], base_url=base, locale="vi-VN",
                                          is_mobile=True, has_touch=True)  # fmt: skip
            context.set_default_timeout(15_000)
            page = context.new_page()
            page.add_init_script(script=axe_source)
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            yield page, {"vnpay": vnpay, "momo": momo, "zalopay": zalopay}, products
            context.close()
            assert errors == [], f"JavaScript errors on the page: {errors}"


def _fill_checkout(page, product, method: str):
    page.goto(f"/products/{product.slug}")
    page.get_by_label("Số lượng").fill("2")
    page.get_by_role("button", name="Thêm vào giỏ").click()
    page.get_by_test_id("to-checkout").click()
    page.get_by_label("Họ và tên").fill("Nguyễn Thị Lan")
    page.get_by_label("Email", exact=True).fill("lan@example.com")
    page.get_by_label("Số điện thoại").fill("0912 345 678")
    page.get_by_label("Phường/xã/đặc khu").fill("Phường Bãi Cháy")
    page.get_by_label("Số nhà, đường, thôn/xóm").fill("12 đường Hạ Long")
    page.get_by_label(RAILS[method], exact=True).check()


def _at_gateway(page, fake):
    page.wait_for_url(re.compile("^" + re.escape(fake.url) + "/"))
    expect(page.get_by_test_id("gateway-amount")).to_have_text("200.000 ₫")


def _code(page) -> str:
    return re.search(r"/orders/(QN-\w{4}-\w{4})", page.url).group(1)


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("method", ["vnpay", "momo", "zalopay"])
def test_checkout_hands_the_browser_to_the_gateway_and_back_paid(rails_shop, screenshot, backend, method):
    page, fakes, products = rails_shop
    _fill_checkout(page, products["mien"], method)

    page.get_by_role("button", name="Đặt hàng và thanh toán").click()

    _at_gateway(page, fakes[method])
    screenshot(page, "gateway")
    page.get_by_role("button", name="Thanh toán").click()
    page.wait_for_url(re.compile(r"/orders/QN-\w{4}-\w{4}\?"))
    expect(page.get_by_test_id("order-status")).to_have_text("Đã thanh toán")
    expect(page.get_by_test_id("paid-note")).to_be_visible()
    expect(page.get_by_test_id("pay-area")).to_be_hidden()
    code = _code(page)
    assert status_of(code) == "paid"
    assert ledger_of(code) == [("attempt", "succeeded", method, TOTAL), ("payment", "received", method, TOTAL)]
    assert len(fakes[method].ipn_answers) == 1
    screenshot(page, "paid")


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("method", ["vnpay", "momo", "zalopay"])
def test_the_order_page_hands_a_vietqr_order_to_the_gateway_and_back_paid(rails_shop, backend, method):
    page, fakes, products = rails_shop
    _fill_checkout(page, products["mien"], "vietqr")
    page.get_by_role("button", name="Đặt hàng và thanh toán").click()
    expect(page.get_by_test_id("vietqr-image")).to_be_visible()

    page.get_by_test_id("switch-rail").get_by_role("button", name=RAILS[method]).click()

    _at_gateway(page, fakes[method])
    page.get_by_role("button", name="Thanh toán").click()
    expect(page.get_by_test_id("order-status")).to_have_text("Đã thanh toán")
    code = _code(page)
    assert status_of(code) == "paid"
    assert ledger_of(code) == [
        ("attempt", "started", "vietqr", TOTAL),
        ("attempt", "succeeded", method, TOTAL),
        ("payment", "received", method, TOTAL),
    ]


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("method", ["vnpay", "momo"])
def test_a_cancelled_gateway_payment_is_tried_again_from_the_order_page(rails_shop, screenshot, backend, method):
    page, fakes, products = rails_shop
    _fill_checkout(page, products["mien"], method)
    page.get_by_role("button", name="Đặt hàng và thanh toán").click()
    _at_gateway(page, fakes[method])
    page.get_by_role("button", name="Hủy giao dịch").click()
    expect(page.get_by_test_id("order-status")).to_have_text("Thanh toán chưa thành công")
    expect(page.get_by_text("Lần trước chưa thành công. Bạn có thể thử lại.")).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "failed")

    page.get_by_test_id("retry-rail").get_by_role("button").click()

    _at_gateway(page, fakes[method])
    page.get_by_role("button", name="Thanh toán").click()
    expect(page.get_by_test_id("order-status")).to_have_text("Đã thanh toán")
    code = _code(page)
    assert status_of(code) == "paid"
    assert ledger_of(code) == [
        ("attempt", "failed", method, TOTAL),
        ("attempt", "succeeded", method, TOTAL),
        ("payment", "received", method, TOTAL),
    ]
    assert stock_of(products["mien"]) == 8


@pytest.mark.parametrize("backend", ["sqlite"])
def test_momo_down_at_checkout_keeps_the_cart_and_says_so_then_pressing_again_pays(rails_shop, backend):
    page, fakes, products = rails_shop
    fakes["momo"].fail_next_creates = 3  # every try of this checkout: MoMo's create answers 503
    _fill_checkout(page, products["mien"], "momo")

    page.get_by_role("button", name="Đặt hàng và thanh toán").click()

    expect(page.get_by_text("Ví MoMo tạm thời gián đoạn, đơn chưa được tạo. Vui lòng thử lại sau ít phút "
                            "hoặc chọn cách thanh toán khác.")).to_be_visible()  # fmt: skip
    assert page.url.endswith("/checkout")
    expect(page.get_by_test_id("cart-count")).to_have_text("2")
    expect(page.get_by_label("Họ và tên")).to_have_value("Nguyễn Thị Lan")
    assert stock_of(products["mien"]) == 10  # the reservation was given back
    assert fakes["momo"].creates_received == 3 and fakes["momo"].payments == {}

    page.get_by_role("button", name="Đặt hàng và thanh toán").click()  # MoMo is back

    _at_gateway(page, fakes["momo"])
    page.get_by_role("button", name="Thanh toán").click()
    expect(page.get_by_test_id("order-status")).to_have_text("Đã thanh toán")
    assert status_of(_code(page)) == "paid"
    expect(page.get_by_test_id("cart-count")).to_have_text("0")
