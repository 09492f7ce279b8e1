"""A report table as CSV or XLSX (catalogue.spreadsheets): the figures as numbers, headers in the reader's language."""

from __future__ import annotations

import io

from openpyxl.styles import Font

from catalogue.reports.tables import DAY, MONEY, SHARE, TEXT, Table
from catalogue.spreadsheets import CsvWriter, append_row, new_workbook

FORMATS = ("csv", "xlsx")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell(value, kind: str):
    if value is None:
        return ""
    if kind == DAY:
        return value.isoformat()
    return value


def as_csv(table: Table) -> bytes:
    """UTF-8 CSV with a byte-order mark, so Excel reads the Vietnamese letters; money in whole đồng."""
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerow([str(column.header) for column in table.columns])
    for row in table.rows:
        writer.writerow([_cell(value, column.kind) for value, column in zip(row, table.columns, strict=True)])
    return ("\ufeff" + buffer.getvalue()).encode()


def as_xlsx(table: Table, period_label: str) -> bytes:
    """One sheet: the title and period, then the table with money, shares and dates as typed cells."""
    workbook = new_workbook()
    sheet = workbook.active
    sheet.title = table.name[:31]
    append_row(sheet, [str(table.title)])
    sheet["A1"].font = Font(bold=True, size=14)
    append_row(sheet, [period_label])
    append_row(sheet, [])
    append_row(sheet, [str(column.header) for column in table.columns])
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    for row in table.rows:
        append_row(sheet, row)
        for cell, column in zip(sheet[sheet.max_row], table.columns, strict=True):
            if column.kind == MONEY:
                cell.number_format = '#,##0 "₫"'
            elif column.kind == SHARE:
                cell.number_format = "0.0%"
            elif column.kind == DAY:
                cell.number_format = "dd/mm/yyyy"
    for index, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[sheet.cell(row=4, column=index).column_letter].width = 32 if column.kind == TEXT else 16
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
