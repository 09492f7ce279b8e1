"""Every CSV and XLSX the shop writes goes through here, so text never becomes a live formula.

Producers and buyers type names, addresses and descriptions; a spreadsheet program runs a cell
that starts with `=`, `+`, `-` or `@` (and tab or carriage return, per OWASP's "CSV injection")
as a formula, so `=HYPERLINK("https://evil…")` in a checkout name would be live in the office's
export. Such text is written as text:

- CSV: prefixed with `'` (OWASP), which spreadsheet programs show as text and do not evaluate;
- XLSX: a string cell with Excel's "quote prefix" style, so the reader sees the text unchanged
  and editing the cell keeps it text. Characters XML cannot carry (controls, U+FFFE/U+FFFF) are
  dropped there, so one bad row can never make the export fail.

Numbers stay numbers. `tests/operations/test_export_formulas.py` fails when a module writes CSV or XLSX
without these helpers.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NOT_IN_XML = re.compile(r"[\ufffe\uffff\ud800-\udfff]")


def is_formula_like(value: Any) -> bool:
    """Text a spreadsheet program would read as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_cell(value: Any) -> Any:
    """A CSV field that is never a formula: formula-like text gets a leading `'`."""
    return "'" + value if is_formula_like(value) else value


class CsvWriter:
    """`csv.writer` whose every text field goes through `csv_cell`."""

    def __init__(self, stream: TextIO, **options) -> None:
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([csv_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class CsvDictWriter:
    """`csv.DictWriter` whose every text field goes through `csv_cell`."""

    def __init__(self, stream: TextIO, fieldnames: list[str], **options) -> None:
        self._writer = csv.DictWriter(stream, fieldnames=fieldnames, **options)

    def writeheader(self) -> None:
        self._writer.writeheader()

    def writerow(self, row: Mapping[str, Any]) -> None:
        self._writer.writerow({name: csv_cell(value) for name, value in row.items()})

    def writerows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            self.writerow(row)


def new_workbook() -> Workbook:
    """An empty workbook; fill its sheets with `append_row` only."""
    return Workbook()


def xlsx_text(value: Any) -> Any:
    """A value XML can carry: characters it cannot are dropped from text."""
    if isinstance(value, str):
        return _NOT_IN_XML.sub("", ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


def append_row(sheet: Worksheet, values: Iterable[Any]) -> None:
    """`sheet.append`, with formula-like text kept as a string cell shown as typed (quote prefix)."""
    values = [xlsx_text(value) for value in values]
    sheet.append(values)
    for cell, value in zip(sheet[sheet.max_row], values, strict=False):
        if is_formula_like(value):
            cell.value = value
            cell.data_type = "s"
            cell.quotePrefix = True
