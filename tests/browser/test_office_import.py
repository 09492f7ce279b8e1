"""The office's import page in Chromium, at a laptop's and a phone's width: a sheet whose columns are named
otherwise is mapped once, dry-run, then imported for real from its report; the mapping is remembered."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from catalogue.accounts import services as accounts
from catalogue.extensions import db
from catalogue.products.models import Product
from tests.access_helpers import PASSWORD, enrol_two_factor
from tests.browser.conftest import sign_in_page
from tests.imports.spreadsheet_helpers import DATA, reference_data
from tests.live import serving

WIDTHS = {"laptop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
MAPPING = {
    "Tên sản phẩm": "Tên SP",
    "Chủ thể": "Tên chủ thể",
    "Mã số thuế": "MST",
    "Địa phương": "Huyện/TP",
    "Nhóm sản phẩm": "Bộ sản phẩm",
    "Hạng sao": "Số sao",
    "Số quyết định": "QĐ số",
    "Ngày quyết định": "Ngày QĐ",
    "Giá (VND)": "Giá bán",
    "Đơn vị tính": "ĐVT",
    "Tồn kho": "SL tồn",
}


@pytest.fixture
def office_server(app):
    """An empty catalogue with the reference data and an office user, served on 127.0.0.1."""
    reference_data()
    accounts.create_user("office@example.com", PASSWORD, "admin")
    db.session.commit()
    enrol_two_factor("office@example.com")
    with serving(app) as base:
        yield base


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_clerk_maps_the_columns_once_tries_the_file_and_imports_it(browser, office_server, screenshot, width):
    context = browser.new_context(
        base_url=office_server, locale="vi-VN", viewport=WIDTHS[width], is_mobile=width == "phone"
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sheet = str(DATA / "quyet-dinh-ten-cot-khac.xlsx")
    sign_in_page(page, "office@example.com", PASSWORD)  # with its second factor, as every office sign-in

    page.get_by_role("link", name="Nhập danh sách").click()
    page.get_by_label("File danh sách (XLSX hoặc CSV)").set_input_files(sheet)
    page.get_by_role("button", name="Nhập danh sách").click()
    refusal = page.get_by_test_id("import-error").inner_text()
    assert "Thiếu cột: Tên sản phẩm" in refusal and "“Tên SP”" in refusal  # it names the file's own columns

    mapping = page.get_by_test_id("mapping")
    assert mapping.get_attribute("open") is not None  # opened for the clerk after the refusal
    for heading, theirs in MAPPING.items():
        mapping.get_by_label(heading, exact=True).fill(theirs)
    page.get_by_label("File danh sách (XLSX hoặc CSV)").set_input_files(sheet)
    page.get_by_role("button", name="Nhập danh sách").click()
    summary = page.get_by_test_id("import-summary")
    assert summary.inner_text().startswith("Chạy thử, chưa ghi gì:")
    assert "5 thêm mới" in summary.inner_text()
    assert _products() == 0
    screenshot(page, "dry-run")

    page.get_by_test_id("apply-import").click()
    page.get_by_text("Đã nhập:").wait_for()
    assert _products() == 5
    rows = page.get_by_test_id("import-rows").locator("tbody tr")
    assert rows.count() == 5 and rows.first.inner_text().startswith("2")
    document_width = page.evaluate("document.documentElement.scrollWidth")
    assert document_width <= WIDTHS[width]["width"], "the page scrolls sideways"
    screenshot(page, "imported")

    page.get_by_role("link", name="Nhập file khác").click()
    assert page.get_by_label("Tên sản phẩm", exact=True).input_value() == "Tên SP"  # remembered
    context.close()
    assert errors == []


def _products() -> int:
    db.session.expire_all()
    count = db.session.scalar(select(func.count(Product.id)))
    db.session.rollback()
    return count
