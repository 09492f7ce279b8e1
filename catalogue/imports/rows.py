"""One row of a decision list read into typed values, or the problems that refuse it (column and why, in Vietnamese).

Only what a row says by itself is checked here; what it means against the catalogue (which producer,
which product, a known locality) is catalogue.imports.planning's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from catalogue.imports.columns import HEADINGS
from catalogue.products.certificates import EARLIEST_ISSUE_DATE, MAX_NUMBER_LENGTH
from catalogue.products.schemas import MAX_PRICE_VND
from catalogue.tax_codes import valid_tax_code
from catalogue.text import nfc

MAX_STOCK = 1_000_000
DEFAULT_UNIT = "sản phẩm"
_DAY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00(?::00)?)?$")
_STARS = re.compile(r"^([0-9]+)\s*(?:sao|★|\*)?$", re.IGNORECASE)
_MONEY_SUFFIX = re.compile(r"\s*(?:vnd|vnđ|đ|₫|đồng)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Problem:
    """Why a row is refused: the column (its heading in the contract) and the reason."""

    column: str
    message: str


@dataclass(frozen=True)
class DecisionRow:
    """A row's values, cleaned (NFC text, integers, a date)."""

    number: int
    name: str
    producer: str
    tax_code: str | None
    locality: str
    category: str
    stars: int
    decision_no: str
    decision_date: date
    price_vnd: int | None
    unit: str
    stock: int | None


def read_row(number: int, cells: list, positions: dict[str, int], today: date) -> DecisionRow | list[Problem]:
    """The row's values, or every problem found in it."""
    raw = {field: (cells[index] if index < len(cells) else None) for field, index in positions.items()}
    problems: list[Problem] = []

    def fail(field: str, message: str) -> None:
        problems.append(Problem(HEADINGS[field], message))

    name, producer = _text(raw.get("name")), _text(raw.get("producer"))
    if not name:
        fail("name", "Thiếu tên sản phẩm.")
    elif len(name) > 200:
        fail("name", "Tên sản phẩm dài tối đa 200 ký tự.")
    if len(producer) < 3:
        fail("producer", "Thiếu tên chủ thể (ít nhất 3 ký tự).")
    elif len(producer) > 200:
        fail("producer", "Tên chủ thể dài tối đa 200 ký tự.")
    tax_code = _text(raw.get("tax_code")) or None
    if tax_code:
        checked = valid_tax_code(tax_code)
        if checked is None:
            fail("tax_code", f"Mã số thuế “{tax_code}” không hợp lệ (sai chữ số kiểm tra hoặc không đủ 10 chữ số).")
        tax_code = checked
    locality, category = _text(raw.get("locality")), _text(raw.get("category"))
    if not locality:
        fail("locality", "Thiếu địa phương.")
    if not category:
        fail("category", "Thiếu nhóm sản phẩm.")
    stars = _stars(raw.get("stars"))
    if stars is None:
        fail("stars", f"Hạng sao “{_text(raw.get('stars'))}” không hợp lệ: chỉ 3, 4 hoặc 5 sao.")
    decision_no = _text(raw.get("decision_no"))
    if not decision_no:
        fail("decision_no", "Thiếu số quyết định.")
    elif len(decision_no) > MAX_NUMBER_LENGTH:
        fail("decision_no", f"Số quyết định dài tối đa {MAX_NUMBER_LENGTH} ký tự.")
    decision_date = _day(raw.get("decision_date"))
    if decision_date is None:
        fail("decision_date", f"Ngày quyết định “{_text(raw.get('decision_date'))}” không đọc được: ghi dd/mm/yyyy.")
    elif decision_date > today:
        fail("decision_date", f"Ngày quyết định {decision_date:%d/%m/%Y} ở tương lai (hôm nay {today:%d/%m/%Y}).")
    elif decision_date < EARLIEST_ISSUE_DATE:
        fail("decision_date", "Ngày quyết định trước năm 2013, năm Quảng Ninh bắt đầu chương trình OCOP.")
    price = _whole(raw.get("price"), money=True)
    if price is False or (isinstance(price, int) and not 0 < price <= MAX_PRICE_VND):
        fail("price", f"Giá “{_text(raw.get('price'))}” không hợp lệ: một số đồng, ví dụ 85000.")
    unit = _text(raw.get("unit")) or DEFAULT_UNIT
    if len(unit) > 60:
        fail("unit", "Đơn vị tính dài tối đa 60 ký tự.")
    stock = _whole(raw.get("stock"))
    if stock is False or (isinstance(stock, int) and stock > MAX_STOCK):
        fail("stock", f"Tồn kho “{_text(raw.get('stock'))}” không hợp lệ: một số nguyên từ 0 đến 1.000.000.")
    if problems:
        return problems
    return DecisionRow(
        number, name, producer, tax_code, locality, category, stars, decision_no, decision_date, price, unit, stock
    )


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y")
    return re.sub(r"\s+", " ", nfc(str(value))).strip()


def _stars(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value) if float(value).is_integer() and int(value) in (3, 4, 5) else None
    match = _STARS.match(_text(value))
    return int(match.group(1)) if match and int(match.group(1)) in (3, 4, 5) else None


def _day(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    match = _DAY.match(text)
    parts = (match.group(3), match.group(2), match.group(1)) if match else None
    if parts is None and (iso := _ISO_DAY.match(text)):
        parts = iso.groups()
    if parts is None:
        return None
    try:
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return None


def _whole(value, money: bool = False) -> int | None | bool:
    """A non-negative whole number; None when empty; False when unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return int(value) if float(value).is_integer() and value >= 0 else False
    text = _text(value)
    if money:
        text = _MONEY_SUFFIX.sub("", text)
    # "85.000" and "85,000" as Vietnamese and English sheets write thousands.
    if re.fullmatch(r"\d{1,3}([.,\s]\d{3})+|\d+", text):
        return int(re.sub(r"[.,\s]", "", text))
    return False
