"""The guides' pictures (docs/huong-dan/anh/): Chromium at 390×844 visits the pages the guides describe and saves
each as a small JPEG, so the pictures are regenerated with the pages and never show a screen that is gone.

Run it to refresh them (then commit the changed files):
    .venv/bin/pytest -p no:xdist -q tests/browser/test_guide_screenshots.py
Each visit also asserts the words the guide quotes from the page, so a guide that drifts from its page fails here.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from catalogue.extensions import db
from tests import factories
from tests.access_helpers import PASSWORD, cast, current_code
from tests.invoices.invoice_helpers import issue_for
from tests.live import serving
from tests.traceability.traceability_helpers import a_lot

PICTURES = Path(__file__).resolve().parents[2] / "docs" / "huong-dan" / "anh"
PHONE = {"width": 390, "height": 844}
MAX_PICTURE_BYTES = 120_000


def _sign_in(context, email: str, office: bool = False) -> None:
    login = context.request.get("/portal/login").text()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login).group(1)
    signed = context.request.post(
        "/portal/login", form={"csrf_token": token, "email": email, "password": PASSWORD}, max_redirects=0
    )
    assert signed.status == 303, signed.text()
    if office:
        page = context.request.get("/portal/two-factor").text()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        second = context.request.post(
            "/portal/two-factor", form={"csrf_token": token, "code": current_code(email)}, max_redirects=0
        )
        assert second.status == 303, second.text()


def _visit(page, url: str) -> None:
    answer = page.goto(url)
    assert answer.status == 200, f"{url}: {answer.status}"


def _save(page, name: str, expected_text: str) -> None:
    assert expected_text in page.inner_text("main"), f"{name}: the page no longer says “{expected_text}”"
    path = PICTURES / f"{name}.jpg"
    page.screenshot(path=str(path), type="jpeg", quality=55)  # the phone's screen, not the whole page: small files
    assert 3_000 < path.stat().st_size < MAX_PICTURE_BYTES, f"{path.name}: {path.stat().st_size} bytes"


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_guides_pictures_are_taken_from_the_pages(browser, app, tmp_path):
    # Given a producer with two products (one waiting for the office's review), a lot and a paid, invoiced order
    world = cast()
    product = world["product"]
    product.net_weight_g = 500
    pending = factories.product("Chè Đường Hoa", world["owner_producer"], world["ref"]["processed"], price_vnd=150000)
    pending.review_status = "pending"
    db.session.commit()
    lot = a_lot(product, lot_number="L2611-0001")
    order = factories.order([(product, 2)], "HDAN2345", "paid", stock_held=True)
    db.session.commit()
    issue_for(order, world["owner_producer"])
    PICTURES.mkdir(parents=True, exist_ok=True)

    with serving(app) as base:
        context = browser.new_context(base_url=base, locale="vi-VN", viewport=PHONE, is_mobile=True, has_touch=True)
        context.set_default_timeout(10_000)
        _sign_in(context, "owner@example.com")
        page = context.new_page()
        _visit(page, "/portal/")
        _save(page, "sx-1-san-pham", "Cập nhật hàng loạt")
        _visit(page, "/portal/products/new")
        _save(page, "sx-2-them-san-pham", "Thêm sản phẩm")
        _visit(page, f"/portal/products/{product.id}")
        _save(page, "sx-3-sua-san-pham", "Lô sản xuất và tem truy xuất")
        _visit(page, f"/portal/products/{product.id}/lots/{lot.id}")
        _save(page, "sx-4-lo-va-tem", "L2611-0001")
        _visit(page, "/portal/orders")
        _save(page, "sx-5-don-hang", "HDAN2345")
        # A bulk update: download the range, change a price, upload, see the preview.
        download = context.request.get("/portal/products/export.xlsx")
        workbook = load_workbook(io.BytesIO(download.body()))
        sheet = workbook.active
        headings = [cell.value for cell in sheet[1]]
        for row in sheet.iter_rows(min_row=2):
            if row[0].value == product.sku:
                row[headings.index("Giá (VND)")].value = 89000
        edited = tmp_path / "san-pham.xlsx"
        workbook.save(edited)
        _visit(page, "/portal/products/bulk")
        page.set_input_files("input[type=file]", str(edited))
        page.get_by_role("button", name="Xem trước thay đổi").click()
        page.wait_for_selector("[data-testid=bulk-summary]")
        _save(page, "sx-6-cap-nhat-hang-loat", "Xem trước, chưa ghi gì")
        _visit(page, "/portal/products/photos")
        _save(page, "sx-7-anh-hang-loat", "Thêm ảnh hàng loạt")
        context.close()

        office = browser.new_context(base_url=base, locale="vi-VN", viewport=PHONE, is_mobile=True, has_touch=True)
        office.set_default_timeout(10_000)
        _sign_in(office, "admin@example.com", office=True)
        page = office.new_page()
        _visit(page, "/portal/admin/reviews")
        _save(page, "vp-1-duyet-san-pham", "Sản phẩm chờ duyệt")
        _visit(page, "/portal/admin/imports")
        _save(page, "vp-2-nhap-danh-sach", "Nhập danh sách quyết định công nhận OCOP")
        _visit(page, f"/portal/admin/products/{product.id}")
        _save(page, "vp-3-giay-chung-nhan", "Giấy chứng nhận OCOP")
        _visit(page, "/portal/admin/")
        _save(page, "vp-4-bang-so-lieu", "Chỉ số chính")
        _visit(page, "/portal/admin/invoices")
        _save(page, "vp-5-hoa-don", "Hóa đơn chờ gửi")
        _visit(page, "/portal/admin/payments/desk")
        _save(page, "vp-6-thanh-toan", "Bàn đối soát tiền")
        office.close()
