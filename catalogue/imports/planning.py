"""What a row of a decision list would do to the catalogue: create, re-rate (update), nothing, or be refused.

Checks and resolves only (Zulip's check_* before do_*): catalogue.imports.importing writes what
is planned here, and a dry run stops at the plan, so both say the same thing about every row.
"""

from __future__ import annotations

from dataclasses import dataclass

from catalogue.imports.columns import HEADINGS
from catalogue.imports.rows import DecisionRow, Problem
from catalogue.imports.snapshot import Place, Snapshot, locality_key
from catalogue.products.certificates import number_key
from catalogue.text import search_document

CREATE, UPDATE, UNCHANGED, REFUSED = "create", "update", "unchanged", "refused"


@dataclass
class Plan:
    """A row resolved against the catalogue: where it lands and what it changes."""

    row: DecisionRow
    action: str
    place: Place
    category: tuple[int, str]  # id, name
    producer_ref: tuple | None  # None: a new producer
    product_ref: tuple | None  # None: a new product
    note: str


def plan_row(row: DecisionRow, snapshot: Snapshot, seen: dict[tuple, int]) -> Plan | list[Problem]:
    """The row's plan, or why it is refused (a duplicate of an earlier row of the file, an unknown name…)."""
    problems: list[Problem] = []
    place = snapshot.localities.get(locality_key(row.locality))
    if place is None:
        problems.append(
            Problem(
                HEADINGS["locality"],
                f"Địa phương “{row.locality}” không có trong danh sách địa phương của Quảng Ninh "
                "(ví dụ: Hạ Long, Bình Liêu, Quảng Yên).",
            )
        )
    category = snapshot.categories.get(search_document(row.category))
    if category is None:
        problems.append(
            Problem(
                HEADINGS["category"],
                f"Nhóm sản phẩm “{row.category}” không có: ghi tên bộ sản phẩm OCOP như danh mục "
                "(ví dụ: Gia vị; Chè và sản phẩm từ chè).",
            )
        )
    if problems:
        return problems
    producer_ref = snapshot.producers_by_tax.get(row.tax_code) if row.tax_code else None
    if producer_ref is None:
        producer_ref = snapshot.producers_by_name.get((search_document(row.producer), place.id))
        registered = snapshot.producer_tax.get(producer_ref) if producer_ref else None
        if producer_ref and row.tax_code and registered and registered != row.tax_code:
            return [
                Problem(
                    HEADINGS["tax_code"],
                    f"Chủ thể “{row.producer}” ở {place.name} đã đăng ký mã số thuế {registered}, "
                    f"khác với {row.tax_code} trong file.",
                )
            ]
    # The row's own words, not what they resolve to: a row that lands changes what the next one resolves to.
    duplicate_key = (row.tax_code or (search_document(row.producer), place.id), search_document(row.name))
    if duplicate_key in seen:
        return [Problem(HEADINGS["name"], f"Trùng với dòng {seen[duplicate_key]}: cùng chủ thể và tên sản phẩm.")]
    seen[duplicate_key] = row.number
    product_ref = snapshot.products.get((producer_ref, search_document(row.name))) if producer_ref else None
    base = Plan(row, CREATE, place, category, producer_ref, product_ref, "")
    if product_ref is None:
        who = "chủ thể mới" if producer_ref is None else "chủ thể đã có"
        price = "" if row.price_vnd else "; chưa có giá nên để ở dạng nháp"
        base.note = f"Thêm sản phẩm ({who}), {row.stars} sao theo quyết định {row.decision_no}{price}."
        return base
    return _rerating(base, snapshot)


def _rerating(plan: Plan, snapshot: Snapshot) -> Plan | list[Problem]:
    row, key = plan.row, number_key(plan.row.decision_no)
    held = snapshot.certificates.get(plan.product_ref[1], []) if plan.product_ref[0] == "id" else []
    for number, issued_on, stars in held:
        if number != key or issued_on.year != row.decision_date.year:
            continue
        if issued_on == row.decision_date and stars == row.stars:
            plan.action, plan.note = UNCHANGED, f"Đã có giấy chứng nhận này ({stars} sao, {row.decision_no})."
            return plan
        return [
            Problem(
                HEADINGS["decision_no"],
                f"Sản phẩm đã có giấy chứng nhận số {row.decision_no} ngày {issued_on:%d/%m/%Y} ({stars} sao), "
                "khác với dòng này: nếu giấy đó sai, hãy sửa nó ở trang giấy chứng nhận.",
            )
        ]
    before = max(held, key=lambda certificate: certificate[1], default=None)
    was = f"{before[2]} sao" if before else "chưa xếp hạng"
    plan.action = UPDATE
    day = f"{row.decision_date:%d/%m/%Y}"
    plan.note = f"Xếp hạng lại: {was} → {row.stars} sao theo quyết định {row.decision_no} ({day})."
    return plan
