"""The live page on a phone in Chromium: a sale placed through the API lands, and the page's stock follows
without a reload (server-sent events); "Mua ngay" leads to the checkout with VietQR chosen."""

import pytest
from playwright.sync_api import expect

from tests.live import serving
from tests.live_selling.live_helpers import producer, session_for
from tests.order_helpers import body, shelf
from tests.payments.rail_helpers import use_rails


@pytest.fixture
def live_shop(app, browser):
    from tests.browser.conftest import VIEWPORTS

    use_rails(app)
    app.config.update(LIVE_POLL_SECONDS=0.3, LIVE_STREAM_SECONDS=60)
    products = shelf()
    found = session_for(producer(products["mien"].producer_id), [(products["mien"].id, 60_000, 3)])
    with serving(app) as base:
        context = browser.new_context(viewport=VIEWPORTS["phone"], base_url=base, locale="vi-VN")
        context.set_default_timeout(15_000)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        yield page, base, products, found
        context.close()
        assert errors == [], f"JavaScript errors on the page: {errors}"


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_sale_lands_and_the_live_page_stock_follows_without_a_reload(live_shop, app, screenshot, backend):
    page, base, products, found = live_shop
    page.goto(f"/live/{found.code}")
    stock = page.get_by_test_id("live-stock")
    expect(stock).to_have_text("10")
    expect(page.get_by_test_id("live-price")).to_have_text("60.000 ₫")
    page.wait_for_function("() => document.readyState === 'complete'")
    page.evaluate("() => { window.__notReloaded = true; }")
    placed = app.test_client().post("/api/v1/orders", json=body((products["mien"].id, 4), payment_method="vietqr"))
    assert placed.status_code == 201, placed.get_json()
    expect(stock).to_have_text("6", timeout=5_000)
    assert page.evaluate("() => window.__notReloaded === true")  # the same page: no reload
    screenshot(page, "after-sale")
    page.get_by_role("button", name="Mua ngay").click()
    expect(page).to_have_url(f"{base}/checkout?live={found.code}")
    expect(page.locator("input[name=payment_method][value=vietqr]")).to_be_checked()
    expect(page.get_by_test_id("checkout-total")).to_contain_text("60.000")
