"""Delivery end to end in Chromium at phone size, over real HTTP (issue 21's proof).

A buyer checks out products of two producers: one parcel per producer, whose fees (from the GHN
fake's fee API) change as the ward changes, without a reload. The buyer pays by VietQR (the bank's
signed SePay webhook, posted by the test). The cooperative signs in to the portal, books its parcel
with GHN (the fake, served on 127.0.0.1) and downloads its A6 label PDF. GHN calls back (its own
callback format, with the shop's webhook token): the parcel is in transit, and the buyer's order
page shows that status and the GHN tracking link.
"""

import re

import pytest
import requests
from playwright.sync_api import expect

from tests.delivery.carrier_harness import CASES, WEBHOOK_TOKEN
from tests.delivery.parcel_helpers import PASSWORD, parcel_of, shipping_shelf, use_real_carrier
from tests.live import serving
from tests.payments.rail_helpers import SEPAY_KEY, sepay_body, status_of

GHN = next(case for case in CASES if case.name == "ghn")


@pytest.fixture
def delivery_shop(app, browser):
    """GHN's fake and the shop served on 127.0.0.1, two producers with pickup wards; a phone context."""
    from tests.browser.conftest import VIEWPORTS

    with GHN.make_fake() as ghn:
        use_real_carrier(app, GHN, ghn)
        shelf = shipping_shelf(app)
        with serving(app) as base:
            app.config["PUBLIC_BASE_URL"] = base
            errors: list[str] = []
            contexts = []

            def phone():
                context = browser.new_context(
                    viewport=VIEWPORTS["phone"], base_url=base, locale="vi-VN", is_mobile=True, has_touch=True
                )
                context.set_default_timeout(15_000)
                contexts.append(context)
                page = context.new_page()
                page.on("pageerror", lambda error: errors.append(str(error)))
                return page

            yield {"phone": phone, "base": base, "ghn": ghn, "shelf": shelf}
            for context in contexts:
                context.close()
            assert errors == [], f"JavaScript errors on the page: {errors}"


def _add(page, product, quantity: int) -> None:
    page.goto(f"/products/{product.slug}")
    page.get_by_label("Số lượng").fill(str(quantity))
    page.get_by_role("button", name="Thêm vào giỏ").click()


def _fees(page) -> list[str]:
    return [re.sub(r"\s", " ", text) for text in page.get_by_test_id("parcel-fee").all_inner_texts()]


def _vnd(text: str) -> int:
    return int(re.sub(r"\D", "", text))


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_phone_order_of_two_producers_is_paid_booked_labelled_and_tracked(delivery_shop, screenshot, backend):
    shop, shelf, base = delivery_shop, delivery_shop["shelf"], delivery_shop["base"]
    buyer = shop["phone"]()
    _add(buyer, shelf["mien"], 2)  # the cooperative in Bình Liêu
    _add(buyer, shelf["men_la"], 1)  # the household on Vân Đồn
    buyer.goto("/checkout")
    buyer.evaluate("() => { window.notReloaded = true; }")

    buyer.get_by_label("Phường/xã/đặc khu").fill("Phường Bãi Cháy")
    buyer.get_by_label("Phường/xã/đặc khu").blur()
    parcels = buyer.get_by_test_id("parcel")
    expect(parcels).to_have_count(2)
    expect(parcels.nth(0)).to_contain_text("HTX Miến dong Bình Liêu")
    expect(parcels.nth(1)).to_contain_text("Hộ kinh doanh Rượu Vân Đồn")
    expect(buyer.get_by_test_id("parcel-fee").nth(1)).to_have_text(re.compile(r"\d[\d.]*\s₫"))
    near = _fees(buyer)
    screenshot(buyer, "delivery-quang-ninh")

    buyer.get_by_label("Tỉnh/thành phố").select_option("Thành phố Hồ Chí Minh")
    buyer.get_by_label("Phường/xã/đặc khu").fill("Phường Sài Gòn")
    buyer.get_by_label("Phường/xã/đặc khu").blur()
    expect(buyer.get_by_test_id("parcel-fee").nth(0)).not_to_have_text(near[0])  # GHN priced the far ward
    far = _fees(buyer)
    assert len(far) == 2 and all(_vnd(f) > _vnd(n) for f, n in zip(far, near, strict=True)), (near, far)
    shipping = _vnd(buyer.get_by_test_id("shipping-fee").inner_text())
    assert shipping == sum(_vnd(fee) for fee in far)
    assert buyer.evaluate("() => window.notReloaded") is True  # the parcels were redrawn in place

    buyer.get_by_label("Họ và tên").fill("Nguyễn Thị Lan")
    buyer.get_by_label("Email", exact=True).fill("lan@example.com")
    buyer.get_by_label("Số điện thoại").fill("0912 345 678")
    buyer.get_by_label("Số nhà, đường, thôn/xóm").fill("12 Lê Lợi")
    buyer.get_by_label("Chuyển khoản VietQR (mọi ngân hàng)").check()
    buyer.get_by_role("button", name="Đặt hàng và thanh toán").click()

    expect(buyer.get_by_test_id("order-status")).to_have_text("Chờ thanh toán")
    code = re.search(r"/orders/(QN-\w{4}-\w{4})", buyer.url).group(1)
    content = buyer.get_by_test_id("transfer-content").inner_text()
    amount = _vnd(buyer.get_by_test_id("amount-due").inner_text())
    assert amount == 2 * 85_000 + 120_000 + shipping  # the fee the buyer saw is the fee they pay
    paid = requests.post(
        f"{base}/webhooks/bank-transfer",
        json=sepay_body(7001, f"MBVCB.8812.{content}.CT tu 0011001", amount),
        headers={"Authorization": f"Apikey {SEPAY_KEY}"},
        timeout=10,
    )
    assert paid.status_code == 200 and paid.json()["outcomes"] == ["paid"], paid.text
    expect(buyer.get_by_test_id("order-status")).to_have_text("Đã thanh toán", timeout=15_000)
    assert status_of(code) == "paid"

    producer = shop["phone"]()
    producer.goto("/portal/")
    producer.get_by_label("Email").fill("htx@example.com")
    producer.get_by_label("Mật khẩu").fill(PASSWORD)
    producer.get_by_role("button", name="Đăng nhập").click()
    producer.get_by_role("navigation", name="Trang quản lý").wait_for()
    producer.get_by_role("link", name="Kiện hàng").first.click()
    card = producer.get_by_test_id("parcel").filter(has_text=code)
    expect(card).to_have_count(1)  # its own parcel only, not the household's
    expect(card).to_contain_text("Miến dong Bình Liêu × 2")
    card.get_by_role("button", name="Đặt vận đơn GHN").click()

    parcel = parcel_of(code, shelf["htx"])
    assert parcel.status == "booked" and parcel.tracking_code
    expect(producer.get_by_text(f"Đã đặt vận đơn {parcel.tracking_code}.", exact=False)).to_be_visible()
    producer.get_by_role("link", name="Xem tất cả kiện hàng").click()  # booked: no longer waiting to be sent
    card = producer.get_by_test_id("parcel").filter(has_text=code)
    expect(card.get_by_test_id("tracking")).to_contain_text(parcel.tracking_code)
    screenshot(producer, "delivery-portal-booked")
    label = card.get_by_test_id("label-a6")
    href = label.get_attribute("href")
    download = producer.context.request.get(href)  # the producer's own session downloads it
    assert download.status == 200 and download.headers["content-type"] == "application/pdf"
    assert download.body().startswith(b"%PDF")
    assert parcel_of(code, shelf["home"]).tracking_code is None  # the household's parcel waits for it

    shop["ghn"].set_status(parcel.tracking_code, GHN.native["in_transit"])
    call = GHN.callback(shop["ghn"], parcel.tracking_code, WEBHOOK_TOKEN)
    moved = requests.post(f"{base}/webhooks/ghn", params=call.args, data=call.body, headers=call.headers, timeout=10)
    assert moved.status_code == 200 and moved.json()["outcome"] == "applied", moved.text
    assert parcel_of(code, shelf["htx"]).status == "in_transit"

    buyer.reload()
    mine = buyer.get_by_test_id("order-parcel").filter(has_text="HTX Miến dong Bình Liêu")
    expect(mine.locator(".parcel-status")).to_contain_text("Đang vận chuyển")
    expect(mine.locator(".parcel-status")).to_contain_text("GHN")
    link = mine.get_by_role("link", name=parcel.tracking_code)
    expect(link).to_have_attribute("href", re.compile(re.escape(parcel.tracking_code)))
    other = buyer.get_by_test_id("order-parcel").filter(has_text="Hộ kinh doanh Rượu Vân Đồn")
    expect(other.locator(".parcel-status")).to_contain_text("Chờ gửi hàng")
    screenshot(buyer, "delivery-buyer-tracking")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_order_whose_parcels_all_came_back_is_refunded_as_its_buyer_and_the_office_see_it(
    app, delivery_shop, screenshot, backend
):
    """Both parcels of a VietQR order come back: the buyer, opening the email's link on a phone, reads that the
    order is being refunded and why; the office returns the money on the money desk on its phone (each refund
    worded in Vietnamese) and the buyer's page then says refunded."""
    from tests.access_helpers import enrol_two_factor
    from tests.browser.conftest import sign_in_page
    from tests.delivery.parcel_helpers import book_both, bring_back, paid_two_producer_order

    shop, shelf = delivery_shop, delivery_shop["shelf"]
    client = app.test_client()
    placed = paid_two_producer_order(client, shelf)
    code = placed["code"]
    book_both(client, shelf, code)
    for producer in (shelf["htx"], shelf["home"]):
        bring_back(client, GHN, shop["ghn"], parcel_of(code, producer))
    assert status_of(code) == "refund_pending"

    buyer = shop["phone"]()
    buyer.goto(f"/orders/{code}?token={placed['access_token']}")  # the email's "Xem đơn hàng" link
    expect(buyer.get_by_test_id("order-status")).to_have_text("Đang hoàn tiền")
    expect(buyer.get_by_test_id("order-timeline")).to_contain_text("Hãng vận chuyển đã hoàn hàng về người bán")
    statuses = buyer.get_by_test_id("order-parcel").locator(".parcel-status")
    expect(statuses).to_have_count(2)
    for index in range(2):
        expect(statuses.nth(index)).to_contain_text("Đã hoàn hàng")
    # what goes back, and never "you transferred too much": the buyer paid exactly
    expect(buyer.get_by_test_id("to-return")).to_have_text(re.compile(r"^Cửa hàng sẽ hoàn lại cho bạn [\d.]+\s₫\.$"))
    screenshot(buyer, "delivery-buyer-returned")

    enrol_two_factor("office@example.com")
    office = shop["phone"]()
    sign_in_page(office, "office@example.com", PASSWORD)
    office.goto("/portal/admin/payments/")
    due = office.get_by_test_id("refunds-due").locator("li[data-refund]").filter(has_text=code)
    expect(due).to_have_count(2)  # one refund per parcel that came back
    for reference in (parcel_of(code, shelf["htx"]).reference, parcel_of(code, shelf["home"]).reference):
        expect(due.filter(has_text=f"kiện {reference} bị hoàn về người bán")).to_have_count(1)
    screenshot(office, "delivery-desk-returned")
    for number in (1, 2):
        row = office.get_by_test_id("refunds-due").locator("li[data-refund]").filter(has_text=code).first
        row.get_by_label("Mã giao dịch ngân hàng").fill(f"FT2612070000{number}")
        row.get_by_role("button", name="Đã hoàn tiền").click()
        expect(office.get_by_test_id("refunds-due").locator("li[data-refund]").filter(has_text=code)).to_have_count(
            2 - number
        )
    assert status_of(code) == "refunded"

    buyer.reload()
    expect(buyer.get_by_test_id("order-status")).to_have_text("Đã hoàn tiền")
