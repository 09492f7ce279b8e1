"""A producer's first listing in a real browser: sign in, add it with a photo, set its stock, find it in the shop."""

from __future__ import annotations

import pytest

from tests.access_helpers import PASSWORD, cast, png_bytes
from tests.live import serving


@pytest.fixture
def portal_server(app):
    """The app on an empty SQLite catalogue with the access cast, served on 127.0.0.1."""
    world = cast()
    with serving(app) as base:
        yield base, world


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_producer_lists_a_product_with_a_photo_and_shoppers_find_it(browser, portal_server, screenshot):
    base, world = portal_server
    context = browser.new_context(base_url=base, locale="vi-VN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    name = "Miến dong Bình Liêu túi quà 300 g"

    page.goto("/portal/")
    page.get_by_label("Email").fill("owner@example.com")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_role("heading", name="HTX Miến dong Bình Liêu").wait_for()

    page.get_by_role("link", name="Thêm sản phẩm").first.click()
    page.get_by_label("Tên sản phẩm").fill(name)
    page.get_by_label("Giấy chứng nhận OCOP").select_option(index=1)
    page.get_by_label("Đơn vị bán").fill("túi 300 g")
    page.get_by_label("Giá (đồng)").fill("65000")
    page.get_by_label("Tồn kho").fill("5")
    page.get_by_label("Mô tả").fill("Miến dong làm từ củ dong riềng Bình Liêu.")
    page.get_by_label("Trạng thái").select_option("active")
    page.get_by_role("button", name="Thêm sản phẩm").click()
    page.get_by_text(f"Đã thêm sản phẩm “{name}”.").wait_for()

    page.get_by_label("Ảnh sản phẩm").set_input_files(
        {"name": "mien-dong.png", "mimeType": "image/png", "buffer": png_bytes((900, 600), (180, 140, 90))}
    )
    page.get_by_role("button", name="Tải ảnh lên").click()
    page.get_by_text("Đã thêm ảnh.").wait_for()
    assert page.locator(f'img[alt="{name}"]').count() == 1

    page.locator("#stock").fill("37")
    page.get_by_role("button", name="Cập nhật tồn kho").click()
    page.get_by_text("Tồn kho mới: 37.").wait_for()
    screenshot(page, "portal-product")

    page.goto("/products?q=mien dong tui qua")
    page.get_by_role("link", name=name).first.click()
    page.get_by_role("heading", name=name).wait_for()
    assert page.locator(f'img[alt="{name}"]').first.is_visible()
    screenshot(page, "storefront-product")
    context.close()
    assert errors == []
