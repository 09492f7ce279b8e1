"""A shopper pays by VietQR in Chromium: picks it, sees the QR and the amount, the bank's webhook
arrives at the live server, and the page turns "Đã thanh toán" without a reload."""

import re

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations
from tests.live import serving
from tests.order_helpers import shelf
from tests.payments.rail_helpers import SEPAY_KEY, sepay_body, status_of, use_rails


@pytest.fixture
def vietqr_shop(app, browser, axe_source):
    """The app with VietQR and the bank feeds on, served on 127.0.0.1; a phone-sized page."""
    from tests.browser.conftest import VIEWPORTS

    use_rails(app)
    products = shelf()
    with serving(app) as base:
        context = browser.new_context(viewport=VIEWPORTS["phone"], base_url=base, locale="vi-VN")
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.add_init_script(script=axe_source)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        yield page, base, products
        context.close()
        assert errors == [], f"JavaScript errors on the page: {errors}"


@pytest.mark.parametrize("backend", ["sqlite"])
def test_vietqr_transfer_turns_the_order_paid_without_a_reload(vietqr_shop, screenshot, backend):
    page, base, products = vietqr_shop
    page.goto(f"/products/{products['mien'].slug}")
    page.get_by_label("Số lượng").fill("2")
    page.get_by_role("button", name="Thêm vào giỏ").click()
    page.get_by_test_id("to-checkout").click()
    page.get_by_label("Họ và tên").fill("Nguyễn Thị Lan")
    page.get_by_label("Email", exact=True).fill("lan@example.com")
    page.get_by_label("Số điện thoại").fill("0912 345 678")
    page.get_by_label("Phường/xã/đặc khu").fill("Phường Bãi Cháy")
    page.get_by_label("Số nhà, đường, thôn/xóm").fill("12 đường Hạ Long")
    vietqr = page.get_by_label("Chuyển khoản VietQR (mọi ngân hàng)")
    expect(vietqr).to_be_checked()  # offered first, chosen by default
    vietqr.check()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Đặt hàng và thanh toán").click()

    expect(page.get_by_test_id("order-status")).to_have_text("Chờ thanh toán")
    image = page.get_by_test_id("vietqr-image")
    expect(image).to_be_visible()
    page.wait_for_function(
        "() => { const qr = document.querySelector('[data-testid=vietqr-image]');"
        " return qr.complete && qr.naturalWidth > 0; }"
    )  # the SVG was served and drawn
    expect(page.get_by_test_id("amount-due")).to_have_text(re.compile(r"^200\.000\s₫$"))
    expect(page.get_by_role("button", name="Sao chép").first).to_be_visible()  # order.js showed the copy buttons
    content = page.get_by_test_id("transfer-content").inner_text()
    code = re.search(r"/orders/(QN-\w{4}-\w{4})", page.url).group(1)
    assert content == code.replace("-", "")
    screenshot(page, "vietqr")
    assert axe_violations(page) == []
    page.evaluate("() => { window.notReloaded = true; }")

    answer = requests.post(
        f"{base}/webhooks/bank-transfer",
        json=sepay_body(9001, f"MBVCB.8812.{content}.CT tu 0011001", 200_000),
        headers={"Authorization": f"Apikey {SEPAY_KEY}"},
        timeout=10,
    )

    assert answer.status_code == 200 and answer.json()["outcomes"] == ["paid"]
    expect(page.get_by_test_id("order-status")).to_have_text("Đã thanh toán", timeout=15_000)
    expect(page.get_by_test_id("paid-note")).to_be_visible()
    expect(page.get_by_test_id("pay-area")).to_be_hidden()
    assert page.evaluate("() => window.notReloaded") is True  # the same document: no reload
    assert status_of(code) == "paid"
    screenshot(page, "paid")
