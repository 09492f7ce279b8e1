"""Lots: a producer keeps its own products' lots and their reports; the OCOP office any.

Ownership is checked here (catalogue.products.editing.may_edit), never only in a view.
Every change lands in the audit log of its product. A lot's rows are not catalogue rows:
writing one never moves the catalogue's revision (see catalogue.traceability.models).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, func, select

from catalogue.accounts.principal import Principal
from catalogue.accounts.services import record
from catalogue.errors import InvalidInput, NotFound, PermissionDenied
from catalogue.extensions import db
from catalogue.geography.addresses import place_by_ward_code, resolve_place, ward_names
from catalogue.products.certificates import EARLIEST_ISSUE_DATE, gettext
from catalogue.products.editing import editable_product, may_edit
from catalogue.products.models import Product
from catalogue.traceability.digital_link import LOT_NUMBER, MAX_LOT_LENGTH, new_code
from catalogue.traceability.models import Lot
from catalogue.transactions import use_case

PROVINCE = "Quảng Ninh"
LOT_FIELDS = ("lot_number", "produced_on", "expires_on", "quantity", "origin_ward")
MAX_QUANTITY = 10_000_000
# No OCOP lot was made before Quảng Ninh's programme began (2013, the certificates' own bound), and nothing
# the programme rates keeps for more than ten years (rice wines and dried goods stay well within it).
EARLIEST_PRODUCTION = EARLIEST_ISSUE_DATE
LONGEST_SHELF_LIFE_YEARS = 10


def origin_ward_names() -> list[str]:
    """Quảng Ninh's wards, communes and special zones (current two-level units), for forms."""
    return ward_names(PROVINCE)


def lots_of(principal: Principal, product_id: int) -> list[Lot]:
    """The product's lots, newest first, for its producer or the office."""
    editable_product(principal, product_id)
    return list(
        db.session.scalars(
            select(Lot).where(Lot.product_id == product_id).order_by(Lot.produced_on.desc(), Lot.id.desc())
        )
    )


def public_lots(product_id: int) -> list[Lot]:
    """A product's lots as anyone may read them (what its stamps say), newest first."""
    return list(
        db.session.scalars(
            select(Lot).where(Lot.product_id == product_id).order_by(Lot.produced_on.desc(), Lot.id.desc())
        )
    )


def editable_lot(principal: Principal, lot_id: int, product_id: int | None = None) -> Lot:
    """The lot, if the principal may change it (its product's producer, or the office)."""
    lot = db.session.get(Lot, lot_id)
    if lot is None or (product_id is not None and lot.product_id != product_id):
        raise NotFound(f"No lot {lot_id}.")
    if not may_edit(principal, lot.product.producer_id):
        raise PermissionDenied("Only the product's producer or the OCOP office may change its lots.")
    return lot


def latest_lot(product_id: int) -> Lot | None:
    """The product's most recent lot (what its page's origin link opens)."""
    return db.session.scalar(
        select(Lot).where(Lot.product_id == product_id).order_by(Lot.produced_on.desc(), Lot.id.desc()).limit(1)
    )


@use_case
def create_lot(principal: Principal, product_id: int, values: dict, today: date) -> Lot:
    """A new lot of the product, with a fresh short code for its stamps."""
    product = editable_product(principal, product_id)
    cleaned = _checked(product, values, today, None)
    lot = Lot(product=product, code=_unused_code(), **cleaned)
    db.session.add(lot)
    db.session.flush()
    record(principal, "lot.create", "product", product.id, {"lot": [None, lot.lot_number], **_shown(cleaned)})
    return lot


@use_case
def update_lot(principal: Principal, lot_id: int, values: dict, today: date, product_id: int | None = None) -> Lot:
    """Change some of a lot's fields (its short code never changes: stamps are printed with it)."""
    lot = editable_lot(principal, lot_id, product_id)
    current = {
        "lot_number": lot.lot_number,
        "produced_on": lot.produced_on,
        "expires_on": lot.expires_on,
        "quantity": lot.quantity,
        "origin_ward": lot.origin_ward_name,
    }
    cleaned = _checked(lot.product, {**current, **values}, today, lot)
    changes = {}
    for name, value in cleaned.items():
        if getattr(lot, name) != value:
            changes[name] = [str(getattr(lot, name)), str(value)]
            setattr(lot, name, value)
    if changes:
        record(principal, "lot.update", "product", lot.product_id, {"lot": [lot.lot_number, lot.lot_number], **changes})
    return lot


def _years_after(day: date, years: int) -> date:
    """The same day `years` later (28 February for a 29 February that has none)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _checked(product: Product, values: dict, today: date, lot: Lot | None) -> dict:
    """The lot's fields, cleaned; InvalidInput naming each bad field, in Vietnamese."""
    unknown = set(values) - set(LOT_FIELDS)
    if unknown:
        raise InvalidInput("Unknown fields.", {name: ["Unknown field."] for name in sorted(unknown)})
    errors: dict[str, list[str]] = {}
    number = (values.get("lot_number") or "").strip()
    if not number:
        errors["lot_number"] = [gettext("Vui lòng nhập số lô.")]
    elif len(number) > MAX_LOT_LENGTH or not LOT_NUMBER.fullmatch(number):
        errors["lot_number"] = [gettext("Số lô tối đa %(count)d ký tự: chữ, số và - . _", count=MAX_LOT_LENGTH)]
    elif _lot_number_taken(product.id, number, lot):
        errors["lot_number"] = [gettext("Sản phẩm này đã có một lô với số này.")]
    produced_on, expires_on = values.get("produced_on"), values.get("expires_on")
    if not isinstance(produced_on, date):
        errors["produced_on"] = [gettext("Vui lòng nhập ngày sản xuất.")]
    elif produced_on > today:
        errors["produced_on"] = [gettext("Ngày sản xuất không được sau hôm nay.")]
    elif produced_on < EARLIEST_PRODUCTION:
        errors["produced_on"] = [
            gettext(
                "Ngày sản xuất không được trước %(day)s, khi chương trình OCOP Quảng Ninh bắt đầu: "
                "hãy kiểm tra lại năm.",
                day=EARLIEST_PRODUCTION.strftime("%d/%m/%Y"),
            )
        ]
    if not isinstance(expires_on, date):
        errors["expires_on"] = [gettext("Vui lòng nhập hạn sử dụng.")]
    elif isinstance(produced_on, date) and expires_on < produced_on:
        errors["expires_on"] = [gettext("Hạn sử dụng không được trước ngày sản xuất.")]
    elif isinstance(produced_on, date) and expires_on > _years_after(produced_on, LONGEST_SHELF_LIFE_YEARS):
        errors["expires_on"] = [
            gettext(
                "Hạn sử dụng không được quá %(years)d năm sau ngày sản xuất: hãy kiểm tra lại năm.",
                years=LONGEST_SHELF_LIFE_YEARS,
            )
        ]
    quantity = values.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        errors["quantity"] = [gettext("Số lượng từ 1 đến 10.000.000.")]
    ward_code, ward_name = None, None
    given = (values.get("origin_ward") or "").strip()
    try:  # the ward's name, or its code as the API returns it (`origin_ward.code`)
        place = place_by_ward_code(PROVINCE, given) or resolve_place(PROVINCE, given)
        ward_code, ward_name = place.ward_code, place.ward
    except InvalidInput:
        errors["origin_ward"] = [gettext("Chọn một phường, xã hoặc đặc khu của Quảng Ninh.")]
    if errors:
        raise InvalidInput(gettext("Lô sản xuất chưa hợp lệ: hãy sửa các ô được đánh dấu."), errors)
    return {
        "lot_number": number,
        "produced_on": produced_on,
        "expires_on": expires_on,
        "quantity": quantity,
        "origin_ward_code": ward_code,
        "origin_ward_name": ward_name,
    }


def _lot_number_taken(product_id: int, number: str, lot: Lot | None) -> bool:
    statement = select(func.count(Lot.id)).where(Lot.product_id == product_id, Lot.lot_number == number)
    if lot is not None:
        statement = statement.where(Lot.id != lot.id)
    return bool(db.session.scalar(statement))


def _unused_code() -> str:
    for _ in range(10):  # 40 random bits: a clash is astronomically rare, but never stored twice
        code = new_code()
        if db.session.scalar(select(func.count(Lot.id)).where(Lot.code == code)) == 0:
            return code
    raise RuntimeError("No free lot code after 10 tries.")


def _shown(cleaned: dict) -> dict:
    return {name: [None, str(value)] for name, value in cleaned.items() if name != "lot_number"}


def lot_id_by_code(code: str) -> Select:
    """The id of the lot a short stamp names (a statement: the scan counter selects from it)."""
    return select(Lot.id).where(Lot.code == code)


def lot_id_by_gtin(ean13: str, lot_number: str) -> Select:
    """The id of the lot a Digital Link names (a statement: the scan counter selects from it)."""
    return (
        select(Lot.id)
        .join(Product, Lot.product_id == Product.id)
        .where(Product.gtin == ean13, Lot.lot_number == lot_number)
    )


def product_by_gtin(ean13: str) -> Product | None:
    """The product carrying this GTIN, or None."""
    return db.session.scalar(select(Product).where(Product.gtin == ean13))
