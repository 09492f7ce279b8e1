"""The waiting room in Chromium on a phone: a buyer who places an order while the shop places as many as it
takes at once is told so, keeps the filled form, and the page sends it again by itself (or, without
JavaScript, on the button) once there is room."""

import pytest
from playwright.sync_api import expect

from tests.live import serving
from tests.order_helpers import shelf, stopped_pace_clock
from tests.payments.rail_helpers import use_rails

BUSY = "Đang có nhiều người đặt hàng cùng lúc nên đơn của bạn chưa được đặt"


@pytest.fixture
def busy_shop(app, browser):
    """VietQR on, one placement at a time with no wait; `hold` is the gate a test keeps full."""
    from catalogue.orders import placement_limits
    from tests.browser.conftest import VIEWPORTS

    use_rails(app)
    app.config.update(ORDER_PLACEMENTS_IN_FLIGHT=1, ORDER_ADMISSION_WAIT_MS=0, ORDER_RETRY_AFTER_SECONDS=1)
    products = shelf()
    with serving(app) as base:

        def phone(javascript: bool):
            context = browser.new_context(
                viewport=VIEWPORTS["phone"], base_url=base, locale="vi-VN", java_script_enabled=javascript
            )
            context.set_default_timeout(15_000)
            page = context.new_page()
            page.on("pageerror", lambda error: errors.append(str(error)))
            contexts.append(context)
            return page

        errors: list[str] = []
        contexts: list = []
        yield phone, products, placement_limits.gate(1)
        for context in contexts:
            context.close()
        assert errors == [], f"JavaScript errors on the page: {errors}"


def _fill_checkout(page, slug: str) -> None:
    page.goto(f"/products/{slug}")
    page.get_by_label("Số lượng").fill("2")
    page.get_by_role("button", name="Thêm vào giỏ").click()
    page.goto("/checkout")
    page.get_by_label("Họ và tên").fill("Nguyễn Thị Lan")
    page.get_by_label("Email", exact=True).fill("lan@example.com")
    page.get_by_label("Số điện thoại").fill("0912 345 678")
    page.get_by_label("Phường/xã/đặc khu").fill("Phường Bãi Cháy")
    page.get_by_label("Số nhà, đường, thôn/xóm").fill("12 đường Hạ Long")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_page_sends_the_order_again_by_itself_once_there_is_room(busy_shop, backend):
    phone, products, gate = busy_shop
    page = phone(javascript=True)
    _fill_checkout(page, products["mien"].slug)

    sent: list[str] = []
    page.on("request", lambda request: sent.append(f"{request.method} {request.url.split('/', 3)[3]}"))
    gate.__enter__()  # another buyer's order is being placed
    try:
        page.get_by_role("button", name="Đặt hàng và thanh toán").click()
        expect(page.get_by_text(BUSY)).to_be_visible()
        expect(page.get_by_label("Họ và tên")).to_have_value("Nguyễn Thị Lan")
        page.wait_for_timeout(3500)  # checkout.js asks for room after 1–2 s, is told to wait, asks again
        expect(page.get_by_text(BUSY)).to_be_visible()
        assert sent.count("POST checkout") == 1  # the order is not sent again while there is no room
        assert sent.count("GET checkout/room") >= 1
    finally:
        gate.leave()

    expect(page.get_by_test_id("order-status")).to_have_text("Chờ thanh toán", timeout=10_000)
    expect(page.get_by_test_id("vietqr-image")).to_be_visible()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_without_javascript_the_button_sends_it_again(busy_shop, backend):
    phone, products, gate = busy_shop
    page = phone(javascript=False)
    _fill_checkout(page, products["mien"].slug)

    with gate:
        page.get_by_role("button", name="Đặt hàng và thanh toán").click()
        expect(page.get_by_text(BUSY)).to_be_visible()

    page.get_by_role("button", name="Đặt hàng và thanh toán").click()
    expect(page.get_by_test_id("order-status")).to_have_text("Chờ thanh toán")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_past_the_pace_the_page_waits_for_the_next_second_and_sends_the_order_again(
    app, busy_shop, backend, monkeypatch
):
    """The pace (ORDER_PLACEMENTS_PER_SECOND) turns the order away like the gate: the page keeps the form, asks for
    room, is told to wait while the second's placements are spent, and sends the order once the second passed."""
    from catalogue.orders import placement_limits

    phone, products, _ = busy_shop
    app.config.update(ORDER_PLACEMENTS_IN_FLIGHT=0, ORDER_PLACEMENTS_PER_SECOND=1)
    clock = stopped_pace_clock(monkeypatch)
    page = phone(javascript=True)
    _fill_checkout(page, products["mien"].slug)
    sent: list[str] = []
    page.on("request", lambda request: sent.append(f"{request.method} {request.url.split('/', 3)[3]}"))

    assert placement_limits.pace(1).take()  # another buyer's order started this second
    page.get_by_role("button", name="Đặt hàng và thanh toán").click()
    expect(page.get_by_text(BUSY)).to_be_visible()
    expect(page.get_by_label("Họ và tên")).to_have_value("Nguyễn Thị Lan")
    page.wait_for_timeout(3500)  # the clock stands still: the second's placement stays spent
    expect(page.get_by_text(BUSY)).to_be_visible()
    assert sent.count("POST checkout") == 1 and sent.count("GET checkout/room") >= 1

    clock.advance(1.01)
    expect(page.get_by_test_id("order-status")).to_have_text("Chờ thanh toán", timeout=10_000)
    expect(page.get_by_test_id("vietqr-image")).to_be_visible()
