"""The catalogue as XLSX or CSV: the office's whole catalogue, or one producer's range.

Formula-safe through catalogue.spreadsheets, like every export of the shop: a product named
"=HYPERLINK(…)" is shown as typed, never run.
"""

from __future__ import annotations

import io
from datetime import date

from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from catalogue import spreadsheets
from catalogue.extensions import db
from catalogue.products.certificates import rating_of
from catalogue.products.models import Product

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")
COLUMNS = (
    "SKU",
    "Tên sản phẩm",
    "Chủ thể",
    "Địa phương",
    "Nhóm sản phẩm",
    "Hạng sao",
    "Số quyết định",
    "Hiệu lực đến",
    "Giá (VND)",
    "Đơn vị tính",
    "Khối lượng (g)",
    "Tồn kho",
    "Trạng thái",
    # The product's version when downloaded: a bulk update refuses a row whose product changed since (If-Match).
    "Phiên bản",
)


def catalogue_rows(today: date, producer_id: int | None = None) -> list[list]:
    """Every product (of one producer when given), by SKU, with the rating valid today."""
    statement = (
        select(Product)
        .options(
            joinedload(Product.producer),
            joinedload(Product.locality),
            joinedload(Product.category),
            joinedload(Product.current_certificate),
        )
        .order_by(Product.sku)
    )
    if producer_id is not None:
        statement = statement.where(Product.producer_id == producer_id)
    rows = []
    for product in db.session.scalars(statement):
        rating = rating_of(product, today)
        rows.append(
            [
                product.sku,
                product.name,
                product.producer.name,
                product.locality.name,
                product.category.name,
                rating.stars if rating else None,
                rating.certificate_no if rating else "",
                rating.expires_on if rating else None,
                product.price_vnd,
                product.unit,
                product.net_weight_g,
                product.stock,
                product.status,
                product.version,
            ]
        )
    return rows


def as_csv(rows: list[list]) -> bytes:
    """UTF-8 with a byte-order mark (Excel then reads the Vietnamese letters), dates dd/mm/yyyy."""
    buffer = io.StringIO()
    writer = spreadsheets.CsvWriter(buffer)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_text(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode()


def as_xlsx(rows: list[list], title: str) -> bytes:
    """One sheet, the headings bold, money and dates typed; text cells never formulas."""
    workbook = spreadsheets.new_workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    spreadsheets.append_row(sheet, COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        spreadsheets.append_row(sheet, row)  # formula-like text stays a string cell, shown as typed
        line = sheet.max_row
        sheet.cell(row=line, column=8).number_format = "dd/mm/yyyy"
        sheet.cell(row=line, column=9).number_format = '#,##0 "₫"'
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)
