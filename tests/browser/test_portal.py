"""The portal in a real browser: a producer's first listing (approved by the office, found in the shop),
and a save that changes only what the user edited."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from catalogue.extensions import db
from catalogue.products.models import Product
from tests import factories
from tests.access_helpers import PASSWORD, cast, current_code, png_bytes
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

    _sign_in(page, "owner@example.com")
    page.get_by_role("heading", name="HTX Miến dong Bình Liêu").wait_for()

    page.get_by_role("link", name="Thêm sản phẩm").first.click()
    page.get_by_label("Tên sản phẩm").fill(name)
    page.get_by_label("Bộ sản phẩm OCOP").select_option("thuc-pham-che-bien")
    page.get_by_label("Giấy chứng nhận OCOP").select_option(index=1)
    page.get_by_label("Đơn vị bán", exact=True).fill("túi 300 g")
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
    assert "đang chờ văn phòng OCOP duyệt" in page.get_by_test_id("shop-visibility").inner_text()
    screenshot(page, "portal-product")

    office = browser.new_context(base_url=base, locale="vi-VN", viewport={"width": 1280, "height": 900})
    office_page = office.new_page()
    _sign_in(office_page, "admin@example.com")
    office_page.get_by_role("link", name="Chờ duyệt", exact=True).click()
    row = office_page.get_by_test_id("review-row").filter(has_text=name)
    assert row.get_by_test_id("certificate-product").inner_text() == "Miến dong Bình Liêu"
    screenshot(office_page, "review-queue")
    row.get_by_role("button", name="Duyệt", exact=True).click()
    office_page.get_by_text(f"Đã duyệt “{name}”.").wait_for()
    office.close()

    page.goto("/products?q=mien dong tui qua")
    page.get_by_role("link", name=name).first.click()
    page.get_by_role("heading", name=name).wait_for()
    assert page.locator(f'img[alt="{name}"]').first.is_visible()
    screenshot(page, "storefront-product")
    context.close()
    assert errors == []


def _sign_in(page, email: str) -> None:
    page.goto("/portal/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()
    if urlsplit(page.url).path == "/portal/two-factor":  # the office's second factor, from its app
        page.get_by_label("Mã xác thực").fill(current_code(email))
        page.get_by_role("button", name="Xác nhận").click()
    page.get_by_role("navigation", name="Trang quản lý").wait_for()


EDITABLE = ("name", "category", "unit", "net_weight_g", "price_vnd", "description", "status")


def _row(product_id: int) -> dict:
    db.session.expire_all()
    product = db.session.get(Product, product_id)
    return {
        "name": product.name,
        "category": product.category.code,
        "unit": product.unit,
        "net_weight_g": product.net_weight_g,
        "price_vnd": product.price_vnd,
        "description": product.description,
        "status": product.status,
        "stock": product.stock,
        "locality": product.locality.code,
        "producer": product.producer_id,
        "certificate": product.current_certificate_id,
        "review_status": product.review_status,
        "slug": product.slug,
        "sku": product.sku,
    }


@pytest.mark.parametrize("backend", ["sqlite"])
def test_saving_only_the_price_changes_only_the_price(browser, portal_server, screenshot):
    # Given a spirit in the second product set (the form's first option is another set)
    base, world = portal_server
    wine = factories.product(
        "Rượu mơ Bình Liêu", world["owner_producer"], world["ref"]["spirits"], description="<p>Rượu <b>mơ</b> ngâm.</p>"
    )
    db.session.commit()
    before = _row(wine.id)
    context = browser.new_context(base_url=base, locale="vi-VN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    _sign_in(page, "owner@example.com")

    # when the producer opens it, edits only the price and saves
    page.goto(f"/portal/products/{wine.id}")
    shown = {name: page.locator(f"form.portal-form [name={name}]").first.input_value() for name in EDITABLE}
    page.get_by_label("Giá (đồng)").fill("99000")
    page.get_by_role("button", name="Lưu thay đổi").click()
    page.get_by_text("Đã lưu thay đổi.").wait_for()
    screenshot(page, "saved")

    # then the form showed the product as it is, and only the price changed
    assert shown == {
        "name": "Rượu mơ Bình Liêu",
        "category": "ruou-trang",
        "unit": "gói 500 g",
        "net_weight_g": "500",
        "price_vnd": "85000",
        "description": "<p>Rượu <b>mơ</b> ngâm.</p>",
        "status": "active",
    }
    assert _row(wine.id) == {**before, "price_vnd": 99000}
    assert page.get_by_label("Bộ sản phẩm OCOP").input_value() == "ruou-trang"
    context.close()
    assert errors == []
