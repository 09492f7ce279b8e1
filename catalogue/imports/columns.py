"""The decision list's columns (contract §8) and how a sheet's headings are matched to them.

Headings match folded (no case, no accents, spacing ignored), so "TÊN SẢN PHẨM" and "Ten san pham"
are `Tên sản phẩm`; a sheet that names its columns otherwise is read through the office's mapping.
"""

from __future__ import annotations

from catalogue.imports.reading import SheetRefused
from catalogue.text import search_words

# field → the contract's heading; required ones first.
HEADINGS = {
    "name": "Tên sản phẩm",
    "producer": "Chủ thể",
    "tax_code": "Mã số thuế",
    "locality": "Địa phương",
    "category": "Nhóm sản phẩm",
    "stars": "Hạng sao",
    "decision_no": "Số quyết định",
    "decision_date": "Ngày quyết định",
    "price": "Giá (VND)",
    "unit": "Đơn vị tính",
    "stock": "Tồn kho",
}
FIELDS = tuple(HEADINGS)
REQUIRED = ("name", "producer", "locality", "category", "stars", "decision_no", "decision_date")
# The column may be absent; `Mã số thuế` may also be empty in a row.
OPTIONAL = ("tax_code", "price", "unit", "stock")


def heading_key(heading: str) -> str:
    """A heading as compared: folded words ("Giá (VND)" → "gia vnd")."""
    return " ".join(search_words(heading or ""))


def clean_mapping(mapping: dict | None) -> dict[str, str]:
    """The office's mapping, known fields with a heading only."""
    return {field: str(heading).strip() for field, heading in (mapping or {}).items() if field in HEADINGS and heading}


def column_positions(headings: list[str], mapping: dict | None = None) -> dict[str, int]:
    """field → the 0-based column holding it; SheetRefused naming missing or doubled headings."""
    by_key: dict[str, list[int]] = {}
    for index, heading in enumerate(headings):
        by_key.setdefault(heading_key(heading), []).append(index)
    wanted = {**HEADINGS, **clean_mapping(mapping)}
    positions, missing, doubled = {}, [], []
    for field, heading in wanted.items():
        found = by_key.get(heading_key(heading)) or by_key.get(heading_key(HEADINGS[field]))
        if not found:
            if field in REQUIRED:
                missing.append(HEADINGS[field] if heading == HEADINGS[field] else f"{HEADINGS[field]} (“{heading}”)")
            continue
        if len(found) > 1:
            doubled.append(heading)
        positions[field] = found[0]
    if missing:
        present = ", ".join(f"“{heading}”" for heading in headings if heading) or "không có"
        raise SheetRefused(
            f"Thiếu cột: {', '.join(missing)}. Các cột trong file: {present}. "
            "Nếu file đặt tên cột khác, hãy ghép cột ở mục “Ghép cột”."
        )
    if doubled:
        raise SheetRefused(f"Cột {', '.join(f'“{h}”' for h in doubled)} xuất hiện hai lần ở dòng tiêu đề.")
    return positions
