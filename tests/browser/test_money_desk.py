"""The office on a phone: finds the order an unmatched transfer pays by the buyer's name typed without accents,
and matches it; the order turns paid and the desk's history says who did it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.access_helpers import PASSWORD, cast
from tests.browser.conftest import VIEWPORTS, axe_violations, sign_in_page
from tests.live import serving
from tests.order_helpers import body
from tests.payments.rail_helpers import ledger_of, post_sepay, sepay_body, status_of, use_rails


@pytest.fixture
def desk_server(app):
    """Two orders of 200 000 ₫ waiting and a transfer of 200 000 ₫ whose content names neither, served."""
    use_rails(app)
    world = cast()  # the office has its second factor (sign_in_page types the code)
    buyer = app.test_client()
    codes = []
    for name, phone in (("Nguyễn Văn An", "0912 345 678"), ("Trần Thị Bình", "0987 654 321")):
        customer = {"name": name, "email": "buyer@example.com", "phone": phone}
        answer = buyer.post("/api/v1/orders", json=body((world["product"].id, 2), payment_method="vietqr",
                                                        customer=customer))  # fmt: skip
        codes.append(answer.get_json()["code"])
    post_sepay(buyer, sepay_body(901, "chuyen tien mua mien", 200_000))
    with serving(app) as base:
        yield base, codes


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_office_finds_an_order_by_an_unaccented_name_and_matches_it_on_a_phone(
    browser, desk_server, axe_source, screenshot
):
    base, (an, binh) = desk_server
    context = browser.new_context(viewport=VIEWPORTS["phone"], base_url=base, locale="vi-VN", is_mobile=True,
                                  has_touch=True)  # fmt: skip
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.add_init_script(script=axe_source)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in_page(page, "admin@example.com", PASSWORD)  # with its second factor, as every office sign-in
    page.get_by_role("link", name="Thanh toán", exact=True).click()
    page.get_by_test_id("desk-link").click()
    transfer = page.get_by_test_id("desk").locator("li.desk-transfer").first
    # expect() waits for the desk to load: the click only starts the navigation, and count() would read the
    # payments page still shown (0 under load)
    expect(transfer.get_by_test_id("candidates").locator("li[data-order]")).to_have_count(2)  # both due 200 000 ₫

    transfer.get_by_label("Tìm đơn").fill("nguyen van an")
    transfer.get_by_role("button", name="Tìm", exact=True).click()

    page.get_by_text("Đơn tìm được cho “nguyen van an”:").wait_for()
    first = page.get_by_test_id("candidates").locator("li[data-order]").first
    assert first.get_attribute("data-order") == an
    assert "Nguyễn Văn An" in first.inner_text() and "Khớp theo: tên, số tiền" in first.inner_text()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= VIEWPORTS["phone"]["width"]
    assert axe_violations(page) == []
    screenshot(page, "money-desk")

    first.get_by_role("button", name=f"Khớp vào đơn {an}").click()

    page.get_by_text(f"Đã khớp khoản chuyển vào đơn {an} (đơn đã thanh toán).").wait_for()
    history = page.get_by_test_id("matches").inner_text()
    assert "admin@example.com khớp khoản chuyển #" in history and f"vào đơn {an}: đơn đã thanh toán." in history
    assert page.get_by_text("Không có khoản chuyển nào chưa khớp.").is_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= VIEWPORTS["phone"]["width"]
    assert (status_of(an), status_of(binh)) == ("paid", "pending_payment")
    assert ledger_of(None) == []
    context.close()
    assert errors == []
