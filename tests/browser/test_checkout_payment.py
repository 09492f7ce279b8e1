"""A shopper pays by card in the browser (localstripe's Stripe.js); the order turns paid
only when localstripe's signed webhook reaches the server."""

import re

import pytest
from playwright.sync_api import expect

from tests.order_helpers import shelf, stock_of

PAID, DECLINED, THREE_D_SECURE = "4242424242424242", "4000000000000341", "4000002500003155"


@pytest.fixture
def shop_page(browser, stripe_app, viewport_name):
    from tests.browser.conftest import VIEWPORTS

    products = shelf()
    context = browser.new_context(
        viewport=VIEWPORTS[viewport_name], base_url=stripe_app.config["LIVE_URL"], locale="vi-VN"
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page, products
    context.close()


def _checkout(page, product, screenshot=None):
    page.goto(f"/products/{product.slug}")
    page.get_by_label("Số lượng").fill("2")
    page.get_by_role("button", name="Thêm vào giỏ").click()
    page.get_by_test_id("to-checkout").click()
    page.get_by_label("Họ và tên").fill("Nguyễn Thị Lan")
    page.get_by_label("Email", exact=True).fill("lan@example.com")
    page.get_by_label("Số điện thoại").fill("0912 345 678")
    page.get_by_label("Phường/xã/đặc khu").fill("Phường Bãi Cháy")
    # The parcel is priced once the ward is known: 170 000 of goods + 30 000 to ship within Quảng Ninh.
    expect(page.get_by_test_id("checkout-total")).to_have_text(re.compile(r"200\.000\s₫"))
    page.get_by_label("Số nhà, đường, thôn/xóm").fill("12 đường Hạ Long")
    if screenshot:
        screenshot(page, "checkout")
    page.get_by_role("button", name="Đặt hàng và thanh toán").click()
    expect(page.get_by_test_id("order-status")).to_have_text("Chờ thanh toán")


def _enter_card(page, number):
    card = page.locator("#card-element")
    card.get_by_placeholder("number").fill(number)
    card.get_by_placeholder("exp_month").fill("12")
    card.get_by_placeholder("exp_year").fill("30")  # the element prefixes "20"
    card.get_by_placeholder("cvc").fill("123")
    card.get_by_placeholder("postal_code").fill("20000")
    page.get_by_role("button", name=re.compile("^Thanh toán")).click()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_pay_by_card_and_see_the_order_paid(shop_page, screenshot, backend):
    page, products = shop_page
    _checkout(page, products["mien"], screenshot)
    assert stock_of(products["mien"]) == 8  # reserved when the order was placed
    screenshot(page, "pay")

    _enter_card(page, PAID)

    expect(page.get_by_test_id("order-status")).to_have_text("Đã thanh toán", timeout=20_000)
    screenshot(page, "paid")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_declined_card_shows_why_and_keeps_the_order(shop_page, backend):
    page, products = shop_page
    _checkout(page, products["mien"])

    _enter_card(page, DECLINED)

    expect(page.locator("#card-errors")).to_have_text(
        "Thẻ bị từ chối. Vui lòng thử thẻ khác hoặc liên hệ ngân hàng phát hành thẻ."
    )
    expect(page.get_by_role("button", name=re.compile("^Thanh toán"))).to_be_enabled()
    # localstripe's payment_failed webhook arrives asynchronously: reload until it has.
    for _ in range(50):
        page.reload()
        if page.get_by_test_id("order-status").inner_text().strip() != "Chờ thanh toán":
            break
        page.wait_for_timeout(200)
    expect(page.get_by_test_id("order-status")).to_have_text("Thanh toán chưa thành công")
    expect(
        page.get_by_text("Lần trước: Thẻ bị từ chối. Vui lòng thử thẻ khác hoặc liên hệ ngân hàng phát hành thẻ.")
    ).to_be_visible()
    assert stock_of(products["mien"]) == 8


@pytest.mark.parametrize("backend", ["sqlite"])
def test_three_d_secure_is_completed_in_the_browser(shop_page, backend):
    page, products = shop_page
    _checkout(page, products["mien"])

    _enter_card(page, THREE_D_SECURE)
    page.get_by_role("button", name="Complete authentication").click()

    expect(page.get_by_test_id("order-status")).to_have_text("Đã thanh toán", timeout=20_000)
