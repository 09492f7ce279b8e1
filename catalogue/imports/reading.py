"""Reading an uploaded sheet (XLSX or CSV) into headings and numbered rows, or refusing the whole file.

Formula cells are read as their text (openpyxl with data_only=False), never evaluated; a CSV may
carry Excel's byte-order mark and use `;` (Excel in a Vietnamese locale) or `,` between cells.
Limits are checked while reading, so a 100 000-row file is refused without being held in memory.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from catalogue.errors import InvalidInput
from catalogue.text import nfc

MAX_ROWS = 10_000
MAX_FILE_BYTES = 20 * 1024 * 1024
# An XLSX is a ZIP: what it holds unpacked is capped too (a zip bomb is a few KB on the wire).
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # Excel 97–2003 .xls
DELIMITERS = (";", ",", "\t")


class SheetRefused(InvalidInput):
    """The whole file is refused (not a spreadsheet, empty, too many rows…); nothing is imported."""


@dataclass(frozen=True)
class Sheet:
    """The heading row and each non-empty row after it, with its row number as the sheet shows it."""

    headings: list[str]
    heading_row: int
    rows: list[tuple[int, list]]


def read_sheet(content: bytes, filename: str = "") -> Sheet:
    """The sheet in `content` (XLSX by its ZIP signature, else CSV), or SheetRefused saying why in Vietnamese."""
    if not content:
        raise SheetRefused("File trống: không có dòng nào để nhập.")
    if len(content) > MAX_FILE_BYTES:
        raise SheetRefused(f"File lớn hơn {MAX_FILE_BYTES // (1024 * 1024)} MB: hãy chia thành nhiều file.")
    if content.startswith(OLE_MAGIC):
        raise SheetRefused("File Excel 97–2003 (.xls) không đọc được: hãy mở trong Excel và lưu lại thành .xlsx.")
    rows = _xlsx_rows(content) if content.startswith(ZIP_MAGIC) else _csv_rows(content)
    return _numbered(rows)


def _xlsx_rows(content: bytes):
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
            names = set(archive.namelist())
    except zipfile.BadZipFile as error:
        raise SheetRefused("File không phải bảng tính XLSX hay CSV (không mở được).") from error
    if unpacked > MAX_UNPACKED_BYTES:
        raise SheetRefused("File XLSX giải nén ra quá lớn: hãy chia thành nhiều file.")
    if "xl/workbook.xml" not in names:
        raise SheetRefused("File ZIP này không phải bảng tính XLSX.")
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, ParseError, OSError) as error:
        raise SheetRefused("File XLSX bị hỏng, không đọc được: hãy mở trong Excel và lưu lại.") from error
    try:
        if not workbook.worksheets:
            raise SheetRefused("File trống: không có trang tính nào.")
        yield from workbook.worksheets[0].iter_rows(values_only=True)
    except (KeyError, ValueError, TypeError, ParseError) as error:
        raise SheetRefused("File XLSX bị hỏng, không đọc được: hãy mở trong Excel và lưu lại.") from error
    finally:
        workbook.close()


def _csv_rows(content: bytes):
    if b"\x00" in content[:4096]:
        raise SheetRefused("File không phải bảng tính XLSX hay CSV.")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SheetRefused(
            "File CSV không ở dạng UTF-8: trong Excel hãy chọn Lưu thành → “CSV UTF-8 (Comma delimited)”."
        ) from error
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(DELIMITERS, key=first_line.count)
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error as error:
        raise SheetRefused(f"File CSV sai định dạng: {error}.") from error


def _numbered(rows) -> Sheet:
    headings: list[str] | None = None
    heading_row, numbered = 0, []
    for number, values in enumerate(rows, start=1):
        cells = [nfc(value).strip() if isinstance(value, str) else value for value in values]
        if all(cell is None or cell == "" for cell in cells):
            continue
        if headings is None:
            headings, heading_row = [str(cell or "").strip() for cell in cells], number
            continue
        if len(numbered) == MAX_ROWS:
            raise SheetRefused(
                f"File có hơn {MAX_ROWS:,} dòng sản phẩm: hãy chia thành nhiều file, mỗi file tối đa "
                f"{MAX_ROWS:,} dòng.".replace(",", ".")
            )
        numbered.append((number, cells))
    if headings is None or not numbered:
        raise SheetRefused("File trống: không có dòng sản phẩm nào dưới dòng tiêu đề.")
    return Sheet(headings=headings, heading_row=heading_row, rows=numbered)
