"""A producer's bulk update: its own range downloaded (catalogue.imports.exports), edited, uploaded.

`preview` reads the uploaded sheet and says, per row, what would change (field: old → new), that
nothing would, or why the row is refused (in Vietnamese); it writes nothing. `apply` then runs
each changed row through the single edit's service (catalogue.products.editing.update_product),
one transaction per row, with the version the row was downloaded at as its If-Match: a row whose
product changed since (a concurrent single edit) is refused as a conflict, the others land. Who
may change what, and which change sends a listing back to the office's review, stay the
service's rules; the preview only asks the same rule (editing.needs_review) to say so beforehand.

An empty cell keeps the product's value; columns other than the editable ones are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from catalogue.accounts.principal import Principal
from catalogue.errors import InvalidInput, NotFound, PermissionDenied
from catalogue.extensions import db
from catalogue.imports.reading import Sheet, SheetRefused
from catalogue.products import editing
from catalogue.products.input_schemas import ProductInputSchema
from catalogue.products.models import PRODUCT_STATUSES, Product
from catalogue.products.schemas import MAX_PRICE_VND
from catalogue.text import nfc

# The export's headings of what a producer may change here, and of the row's identity and version.
HEADINGS = {
    "sku": "SKU",
    "name": "Tên sản phẩm",
    "price_vnd": "Giá (VND)",
    "stock": "Tồn kho",
    "net_weight_g": "Khối lượng (g)",
    "status": "Trạng thái",
    "version": "Phiên bản",
}
EDITABLE = ("name", "price_vnd", "stock", "net_weight_g", "status")
LABELS = {
    "name": "Tên sản phẩm",
    "price_vnd": "Giá",
    "stock": "Tồn kho",
    "net_weight_g": "Khối lượng (g)",
    "status": "Trạng thái",
}
STATUS_WORDS = {
    "bản nháp": "draft",
    "nháp": "draft",
    "đang bán": "active",
    "đã lưu trữ": "archived",
    "lưu trữ": "archived",
}
STATUS_LABELS = {"draft": "Bản nháp", "active": "Đang bán", "archived": "Đã lưu trữ"}
FIELD_RULES = {
    "name": "Tên sản phẩm cần từ 3 đến 200 ký tự.",
    "price_vnd": f"Giá là số nguyên VND từ 1.000 đến {MAX_PRICE_VND:,}.".replace(",", "."),
    "stock": "Tồn kho là số nguyên từ 0 đến 1.000.000.",
    "net_weight_g": "Khối lượng là số gam nguyên từ 1 đến 100.000.",
    "status": "Trạng thái là “Bản nháp”, “Đang bán” hoặc “Đã lưu trữ” (hoặc draft, active, archived).",
}
_GROUPED = re.compile(r"^\d{1,3}([.,\s]\d{3})+$")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_ROWS = 2000


class BulkRefused(SheetRefused):
    """The whole file is refused (a column missing, too many rows); nothing is previewed."""


@dataclass
class RowPlan:
    """One row of the sheet: `action` is unchanged, change, conflict or refused."""

    row: int
    sku: str
    action: str
    product_id: int | None = None
    version: int | None = None
    values: dict = field(default_factory=dict)
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # (label, before, after) as a person reads
    needs_review: bool = False
    reason: str = ""


@dataclass
class RowResult:
    """What applying one changed row did: applied, conflict or refused (reason in Vietnamese)."""

    row: int
    sku: str
    outcome: str
    reason: str = ""
    pending_review: bool = False


def preview(principal: Principal, sheet: Sheet) -> list[RowPlan]:
    """Every row of the sheet against the producer's products as they are now; writes nothing."""
    if principal.is_admin or principal.producer_id is None or not principal.can("catalogue:write"):
        raise PermissionDenied("Only a producer updates its own range in bulk.")
    if len(sheet.rows) > MAX_ROWS:
        raise BulkRefused(f"File có hơn {MAX_ROWS:,} dòng: hãy chia thành nhiều file.".replace(",", "."))
    positions = _positions(sheet.headings)
    own = {
        product.sku: product
        for product in db.session.scalars(select(Product).where(Product.producer_id == principal.producer_id))
    }
    seen: dict[str, int] = {}
    plans = []
    for number, cells in sheet.rows:
        plans.append(_plan_row(number, cells, positions, own, seen))
    db.session.rollback()  # a read: nothing to keep, no transaction left open
    return plans


def apply(principal: Principal, plans: list[RowPlan], today: date) -> list[RowResult]:
    """Each changed row through the single edit's service, one transaction each, If-Match by its version."""
    results = []
    for plan in plans:
        if plan.action != "change":
            continue
        try:
            product = editing.update_product(principal, plan.product_id, plan.values, plan.version, today)
        except editing.PreconditionFailed:
            results.append(RowResult(plan.row, plan.sku, "conflict", _CONFLICT))
        except (PermissionDenied, NotFound):
            results.append(RowResult(plan.row, plan.sku, "refused", _not_yours(plan.sku)))
        except InvalidInput as error:
            reason = " ".join(FIELD_RULES.get(name, "Giá trị chưa hợp lệ.") for name in error.errors) or (
                "Giá trị chưa hợp lệ."
            )
            results.append(RowResult(plan.row, plan.sku, "refused", reason))
        else:
            results.append(RowResult(plan.row, plan.sku, "applied", pending_review=product.review_status == "pending"))
    return results


_CONFLICT = "Sản phẩm đã được sửa sau khi bạn tải file: hãy tải danh sách mới rồi sửa lại dòng này."


def _not_yours(sku: str) -> str:
    return f"Mã SKU “{sku}” không có trong danh sách sản phẩm của bạn: chỉ sửa được sản phẩm của mình."


def _positions(headings: list[str]) -> dict[str, int]:
    folded = {" ".join(str(heading).split()).casefold(): index for index, heading in enumerate(headings)}
    positions = {name: folded[heading.casefold()] for name, heading in HEADINGS.items() if heading.casefold() in folded}
    missing = [HEADINGS[name] for name in ("sku", "version") if name not in positions]
    if missing:
        raise BulkRefused(
            f"File thiếu cột {', '.join(missing)}: hãy tải danh sách sản phẩm từ trang này, sửa rồi tải lên lại."
        )
    if not any(name in positions for name in EDITABLE):
        raise BulkRefused("File không có cột nào để sửa (Tên sản phẩm, Giá, Tồn kho, Khối lượng, Trạng thái).")
    return positions


def _plan_row(number: int, cells: list, positions: dict, own: dict, seen: dict) -> RowPlan:
    def cell(name):
        index = positions.get(name)
        return cells[index] if index is not None and index < len(cells) else None

    sku = _text(cell("sku"))
    if not sku:
        return RowPlan(number, "", "refused", reason="Thiếu mã SKU.")
    if sku in seen:
        return RowPlan(
            number, sku, "refused", reason=f"Mã SKU “{sku}” đã có ở dòng {seen[sku]}: mỗi sản phẩm một dòng."
        )
    seen[sku] = number
    product = own.get(sku)
    if product is None:
        return RowPlan(number, sku, "refused", reason=_not_yours(sku))
    version = _integer(cell("version"))
    if version is None:
        return RowPlan(
            number, sku, "refused", product.id, reason="Cột Phiên bản trống hoặc sai: hãy tải danh sách mới."
        )
    values, problems = {}, []
    for name in EDITABLE:
        raw = cell(name)
        if raw is None or _text(raw) == "":
            continue  # an empty cell keeps the value
        value = _text(raw) if name == "name" else _status(raw) if name == "status" else _integer(raw)
        if value is None:
            problems.append(f"{LABELS[name]}: {FIELD_RULES[name]}")
            continue
        if value != getattr(product, name):
            values[name] = value
    if not problems and values:
        checked = ProductInputSchema(partial=True).validate(values)
        problems = [f"{LABELS[name]}: {FIELD_RULES[name]}" for name in values if name in checked]
    if problems:
        return RowPlan(number, sku, "refused", product.id, version, reason=" ".join(problems))
    if not values:
        return RowPlan(number, sku, "unchanged", product.id, version)
    changes = [
        (LABELS[name], _shown(name, getattr(product, name)), _shown(name, value)) for name, value in values.items()
    ]
    if version != product.version:
        return RowPlan(number, sku, "conflict", product.id, version, values, changes, reason=_CONFLICT)
    review = editing.needs_review(product, set(values))
    return RowPlan(number, sku, "change", product.id, version, values, changes, needs_review=review)


def _text(value) -> str:
    """A cell as text: NFC, trimmed, with the export's formula guard (a leading ') taken off again."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = nfc(str(value)).strip()
    if text.startswith("'") and text[1:2] and text[1] in _FORMULA_START:
        text = text[1:]
    return text


def _integer(value) -> int | None:
    """A whole number from a number cell or text like 85000, 85.000, 85 000 ₫; None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = _text(value).replace("₫", "").replace("VND", "").replace("đ", "").strip()
    if text.isdigit():
        return int(text)
    if _GROUPED.match(text):
        return int(re.sub(r"[.,\s]", "", text))
    return None


def _status(value) -> str | None:
    text = _text(value).casefold()
    if text in PRODUCT_STATUSES:
        return text
    return STATUS_WORDS.get(text)


def _shown(name: str, value) -> str:
    if value is None:
        return "—"
    if name == "status":
        return STATUS_LABELS.get(value, value)
    if name == "price_vnd":
        return f"{value:,} ₫".replace(",", ".")
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    return str(value)
