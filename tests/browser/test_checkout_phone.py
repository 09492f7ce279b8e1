"""Issue 23, the checkout on a phone (390×844): the ward suggestions follow the province, the total
sits above the submit button, and the demo VietQR note shows only while VietQR is chosen."""

import re

import pytest
from playwright.sync_api import expect

from catalogue.extensions import db
from catalogue.payments import init_payments
from catalogue.payments.registry import Rails
from catalogue.payments.vietqr import DEMO_ACCOUNT, VietQRProvider
from tests.live import serving
from tests.order_helpers import shelf
from tests.payments.rail_helpers import use_rails


@pytest.fixture
def phone_checkout(app, browser):
    from tests.browser.conftest import VIEWPORTS

    use_rails(app, vnpay_url="http://127.0.0.1:9/vnpay")  # never reached: the page only offers it
    app.config["PAYMENT_RAILS"] = Rails.from_config(app.config).replaced(vietqr=VietQRProvider(DEMO_ACCOUNT))
    init_payments(app)
    products = shelf()
    db.session.commit()
    with serving(app) as base:
        context = browser.new_context(
            viewport=VIEWPORTS["phone"], base_url=base, locale="vi-VN", is_mobile=True, has_touch=True
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"/products/{products['mien'].slug}")
        page.get_by_label("Số lượng").fill("2")
        page.get_by_role("button", name="Thêm vào giỏ").click()
        page.goto("/checkout")
        yield page
        context.close()
        assert errors == [], f"JavaScript errors on the page: {errors}"


def _suggestions(page) -> list[str]:
    return page.eval_on_selector_all("#wards option", "options => options.map(o => o.value)")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_ward_suggestions_follow_the_province(phone_checkout, backend):
    page = phone_checkout
    assert "Phường Bãi Cháy" in _suggestions(page)

    page.get_by_label("Tỉnh/thành phố").select_option("Thành phố Hà Nội")

    page.wait_for_function(
        "() => [...document.querySelectorAll('#wards option')].some(o => o.value === 'Phường Ba Đình')"
    )
    wards = _suggestions(page)
    assert "Phường Bãi Cháy" not in wards
    assert wards.index("Phường Ba Đình") < wards.index("Phường Bạch Mai")  # the Vietnamese alphabet


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_total_is_above_the_submit_button(phone_checkout, screenshot, backend):
    page = phone_checkout
    page.get_by_label("Phường/xã/đặc khu").fill("Phường Bãi Cháy")
    above = page.get_by_test_id("total-above-submit")
    expect(above).to_have_text(re.compile(r"200\.000\s₫"))  # redrawn with the shipping fee
    submit = page.get_by_role("button", name="Đặt hàng và thanh toán")
    submit.scroll_into_view_if_needed()
    total_box, submit_box = above.bounding_box(), submit.bounding_box()
    assert total_box["y"] + total_box["height"] <= submit_box["y"]
    assert submit_box["y"] - total_box["y"] < 200  # seen together with the button
    screenshot(page, "total-above-submit")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_demo_note_shows_only_for_vietqr(phone_checkout, backend):
    page = phone_checkout
    note = page.get_by_test_id("demo-account")
    page.get_by_label("Chuyển khoản VietQR (mọi ngân hàng)").check()
    expect(note).to_be_visible()

    page.get_by_label(re.compile("VNPay")).first.check()

    expect(note).to_be_hidden()
