"""OCOP certificates: what rates a product, and how the OCOP office records, corrects and withdraws them.

This is the one place that decides a product's rating. A product is rated on a day by
its current certificate (`Product.current_certificate_id`) when that is valid that day;
the current certificate is always the latest-issued one that is not withdrawn, and every
write here keeps it so. That is what lets the listing queries filter in SQL on
`current_certificate_id` joined to the certificate's dates (services.publicly_listed)
and still agree with the product page, the API, the dashboards and the feeds.

"The same certificate" is the same decision number (compared without case or spacing
differences) issued in the same year: numbers restart every year and one decision rates
several products, so neither the number alone nor one product per number would do. A
product holds a certificate at most once; another listing of the same product line (a pack
size) rated by it holds a copy that points at the original (`source_certificate_id`), so
correcting or withdrawing the original reaches the copies too.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date, timedelta

from flask import has_request_context
from flask_babel import gettext as babel_gettext
from sqlalchemy import and_, case, select

from catalogue import clock
from catalogue.accounts.principal import Principal
from catalogue.accounts.services import record
from catalogue.errors import InvalidInput, NotFound, PermissionDenied
from catalogue.extensions import db
from catalogue.products.models import (
    ISSUING_LEVELS,
    OCOP_STARS,
    Certificate,
    CertificateEvent,
    Product,
    expiry_for,
)
from catalogue.text import nfc
from catalogue.transactions import use_case

# Quảng Ninh started its own OCOP programme in 2013, five years before the national one (2018):
# the province's oldest certificates (the seed's oldest is from 2017) predate the national programme.
EARLIEST_ISSUE_DATE = date(2013, 1, 1)
# Vietnam has had no district level since 1 July 2025: no district certificate after that day.
DISTRICT_LEVEL_ENDED = date(2025, 7, 1)
# Who certifies what (Decision 148/QĐ-TTg, amended 2025): 5★ only the centre, 4★ the province,
# 3★ the district (the province since July 2025).
LEVELS_FOR_STARS = {3: ("district", "province"), 4: ("province",), 5: ("central",)}
CORRECTABLE_FIELDS = ("certificate_no", "stars", "issuing_level", "issued_on")
MAX_NUMBER_LENGTH = 80
MAX_REASON_LENGTH = 1000
# A certificate this close to its expiry is flagged, so the producer has time to renew it.
EXPIRY_WARNING = timedelta(days=60)


def gettext(message: str, **values) -> str:
    """The message in the reader's language; outside a request (the CLI, jobs) in Vietnamese, the msgid."""
    return babel_gettext(message, **values) if has_request_context() else message % values


# --- What rates a product -----------------------------------------------------------


def rates_on(certificate: Certificate | None, today: date) -> bool:
    """True when `certificate` makes a product an OCOP product on `today`: not withdrawn, and valid that day."""
    return certificate is not None and not certificate.is_withdrawn and certificate.is_valid_on(today)


def rated_stars_sql(certificate, today: date):
    """SQL twin of `rates_on` for a product's current certificate joined as `certificate`: its stars, else NULL.

    The join must be on `Product.current_certificate_id` (outer, so unrated products stay in).
    """
    rates = and_(
        certificate.id.is_not(None),
        certificate.withdrawn_at.is_(None),
        certificate.issued_on <= today,
        certificate.expires_on >= today,
    )
    return case((rates, certificate.stars), else_=None)


def rating_of(product: Product, today: date) -> Certificate | None:
    """The certificate that makes `product` an OCOP product on `today`, if any."""
    certificate = product.current_certificate
    return certificate if rates_on(certificate, today) else None


def certificate_state(product: Product, today: date) -> str:
    """valid, expiring (within 60 days), expired, withdrawn (the last one was), or missing."""
    certificate = product.current_certificate
    if certificate is None:
        return "withdrawn" if any(held.is_withdrawn for held in product.certificates) else "missing"
    if not rates_on(certificate, today):
        return "expired"
    if certificate.expires_on - today <= EXPIRY_WARNING:
        return "expiring"
    return "valid"


def latest_certificate(product: Product) -> Certificate | None:
    """The product's latest-issued certificate that is not withdrawn (the current one)."""
    held = [certificate for certificate in product.certificates if not certificate.is_withdrawn]
    return max(held, key=lambda certificate: (certificate.issued_on, certificate.id or 0), default=None)


def refresh_rating(product: Product) -> None:
    """Point the product at its latest certificate not withdrawn (what the listing queries filter on)."""
    latest = latest_certificate(product)
    if product.current_certificate is not latest:
        product.current_certificate = latest


def producer_ratings(producer_id: int, today: date) -> list[Certificate]:
    """The certificates rating one of the producer's products today, one per number (the latest issue).

    Only current certificates count: one a product has been re-rated past, or one withdrawn,
    rates nothing, so no new listing may borrow it.
    """
    rows = db.session.scalars(
        select(Certificate)
        .join(Product, Product.current_certificate_id == Certificate.id)
        .where(
            Product.producer_id == producer_id,
            Certificate.withdrawn_at.is_(None),
            Certificate.issued_on <= today,
            Certificate.expires_on >= today,
        )
        .order_by(Certificate.issued_on.desc(), Certificate.id.desc())
    )
    chosen: dict[str, Certificate] = {}
    for certificate in rows:
        chosen.setdefault(certificate.certificate_no, certificate)
    return list(chosen.values())


def producer_certificate(producer_id: int, certificate_no: str, today: date) -> Certificate:
    """The certificate with this number that rates one of the producer's products today, or InvalidInput."""
    held = producer_ratings(producer_id, today)
    source = next((certificate for certificate in held if certificate.certificate_no == certificate_no), None)
    if source is None:
        raise InvalidInput(
            f"None of your valid certificates is number {certificate_no}.",
            {"certificate_no": ["Not one of your valid certificates."]},
        )
    return source


def rate_by_copy_of(product: Product, source: Certificate) -> Certificate:
    """Rate another listing (a pack size, say) by a copy of `source`, linked to it and kept in its own history."""
    certificate = Certificate(
        product=product,
        stars=source.stars,
        certificate_no=source.certificate_no,
        issuing_level=source.issuing_level,
        issued_on=source.issued_on,
        expires_on=source.expires_on,
        source_certificate_id=source.source_certificate_id or source.id,
    )
    db.session.add(certificate)
    db.session.flush()
    refresh_rating(product)
    return certificate


# --- The OCOP office's writes -------------------------------------------------------


@use_case
def record_certificate(
    principal: Principal, product_id: int, stars: int, certificate_no: str, issuing_level: str, issued_on: date
) -> Certificate:
    """Record a new or renewed OCOP certificate (the OCOP office only); the latest one rates the product."""
    _office_only(principal)
    product = db.session.get(Product, product_id)
    if product is None:
        raise NotFound(f"No product {product_id}.")
    values = _checked(
        {"stars": stars, "certificate_no": certificate_no, "issuing_level": issuing_level, "issued_on": issued_on}
    )
    _refuse_duplicate(product, values["certificate_no"], values["issued_on"])
    certificate = Certificate(product=product, **values, expires_on=expiry_for(values["issued_on"]))
    db.session.add(certificate)
    db.session.flush()
    refresh_rating(product)
    summary = f"{certificate.stars}★ {certificate.certificate_no} {certificate.issued_on}"
    _history(principal, certificate, "recorded", "", {"certificate": [None, summary]})
    record(principal, "certificate.add", "product", product.id, {"certificate": [None, summary]})
    return certificate


@use_case
def correct_certificate(principal: Principal, certificate_id: int, values: dict, reason: str) -> Certificate:
    """Fix a mistake in a certificate (number, stars, level, issue date), with a reason; its copies follow."""
    _office_only(principal)
    certificate = _certificate(certificate_id)
    reason = _reason(reason)
    if certificate.is_withdrawn:
        raise InvalidInput(
            gettext("Giấy chứng nhận này đã bị thu hồi, không sửa được nữa."),
            {"certificate": [gettext("Giấy chứng nhận này đã bị thu hồi, không sửa được nữa.")]},
        )
    unknown = set(values) - set(CORRECTABLE_FIELDS)
    if unknown:
        raise InvalidInput(
            f"Only {', '.join(CORRECTABLE_FIELDS)} can be corrected.", {name: ["Not correctable."] for name in unknown}
        )
    merged = _checked({name: values.get(name, getattr(certificate, name)) for name in CORRECTABLE_FIELDS})
    changes = {
        name: [getattr(certificate, name), merged[name]]
        for name in CORRECTABLE_FIELDS
        if getattr(certificate, name) != merged[name]
    }
    if not changes:
        raise InvalidInput(
            gettext("Không có gì thay đổi: hãy sửa ít nhất một thông tin."),
            {"certificate_no": [gettext("Không có gì thay đổi: hãy sửa ít nhất một thông tin.")]},
        )
    family = _family(certificate, include_withdrawn=False)
    for member in family:
        _refuse_duplicate(member.product, merged["certificate_no"], merged["issued_on"], besides=member)
    for member in family:
        for name in CORRECTABLE_FIELDS:
            setattr(member, name, merged[name])
        member.expires_on = expiry_for(merged["issued_on"])
        _history(principal, member, "corrected", reason, changes)
        record(
            principal,
            "certificate.correct",
            "product",
            member.product_id,
            {"certificate_id": member.id, "reason": reason, **changes},
        )
    db.session.flush()
    for member in family:
        refresh_rating(member.product)
    return certificate


@use_case
def withdraw_certificate(principal: Principal, certificate_id: int, reason: str) -> Certificate:
    """Withdraw a certificate, with a reason: it rates nothing from now on, nor do its copies."""
    _office_only(principal)
    certificate = _certificate(certificate_id)
    reason = _reason(reason)
    if certificate.is_withdrawn:
        raise InvalidInput(
            gettext("Giấy chứng nhận này đã được thu hồi trước đó."),
            {"certificate": [gettext("Giấy chứng nhận này đã được thu hồi trước đó.")]},
        )
    # Withdrawing an original withdraws its copies; withdrawing a copy takes one listing off it.
    members = (
        _family(certificate, include_withdrawn=False) if certificate.source_certificate_id is None else [certificate]
    )
    now = clock.now()
    for member in members:
        member.withdrawn_at = now
        _history(principal, member, "withdrawn", reason, {"withdrawn": [False, True]})
        record(
            principal,
            "certificate.withdraw",
            "product",
            member.product_id,
            {"certificate_id": member.id, "certificate_no": member.certificate_no, "reason": reason},
        )
    db.session.flush()
    for member in members:
        refresh_rating(member.product)
    return certificate


def certificate_history(product: Product) -> list[tuple[Certificate, list[CertificateEvent]]]:
    """The product's certificates, latest issue first, each with its events oldest first."""
    ordered = sorted(product.certificates, key=lambda held: (held.issued_on, held.id), reverse=True)
    return [(certificate, list(certificate.events)) for certificate in ordered]


def event_changes(event: CertificateEvent) -> dict:
    """An event's {field: [before, after]}."""
    return json.loads(event.changes or "{}")


# --- Rules ----------------------------------------------------------------------------


def number_key(certificate_no: str) -> str:
    """A decision number as compared: no case, no spacing differences ("1966/QĐ-UBND" = "1966 / qđ-ubnd")."""
    return re.sub(r"\s+", "", nfc(certificate_no)).casefold()


# A decision's number: its serial, a slash, then the issuer's letters in dashed parts (1966/QĐ-UBND,
# 1677/QĐ-BNN-VPĐP, 12/QĐ-TTg); spaces around "/" and "-" are tolerated, nothing else is.
DECISION_NUMBER = re.compile(r"\d{1,6}/[^\W\d_]+(?:-[^\W_]+)*")


def decision_number_shaped(number: str) -> bool:
    """True when `number` reads as a decision number written with Latin (Vietnamese) letters only."""
    compact = re.sub(r"\s*([/-])\s*", r"\1", number)
    if not DECISION_NUMBER.fullmatch(compact):
        return False
    return all(unicodedata.name(char, "").startswith("LATIN") for char in compact if char.isalpha())


def _checked(values: dict) -> dict:
    """The certificate's fields, cleaned; InvalidInput naming each bad field, in Vietnamese."""
    errors: dict[str, list[str]] = {}
    number = nfc(values["certificate_no"] or "") if isinstance(values["certificate_no"], str) else ""
    number = re.sub(r"\s+", " ", number).strip()
    stars, level, issued_on = values["stars"], values["issuing_level"], values["issued_on"]
    if not number:
        errors["certificate_no"] = [gettext("Vui lòng nhập số quyết định công nhận.")]
    elif len(number) > MAX_NUMBER_LENGTH:
        errors["certificate_no"] = [gettext("Số quyết định dài tối đa %(count)d ký tự.", count=MAX_NUMBER_LENGTH)]
    elif not decision_number_shaped(number):
        errors["certificate_no"] = [
            gettext(
                "Số quyết định có dạng số/ký hiệu, ví dụ 1966/QĐ-UBND: chữ số, một dấu /, rồi chữ cái và dấu gạch "
                "ngang (không ký hiệu khác, không biểu tượng)."
            )
        ]
    if isinstance(stars, bool) or stars not in OCOP_STARS:
        errors["stars"] = [gettext("Chỉ 3, 4 hoặc 5 sao (chỉ những hạng này là sản phẩm OCOP).")]
    if level not in ISSUING_LEVELS:
        errors["issuing_level"] = [gettext("Cấp công nhận phải là cấp trung ương, cấp tỉnh hoặc cấp huyện.")]
    elif "stars" not in errors and level not in LEVELS_FOR_STARS[stars]:
        errors["issuing_level"] = [_level_message(stars)]
    if not isinstance(issued_on, date):
        errors["issued_on"] = [gettext("Vui lòng nhập ngày cấp.")]
    elif issued_on > clock.today():
        errors["issued_on"] = [
            gettext("Ngày cấp không được sau hôm nay (%(day)s).", day=clock.today().strftime("%d/%m/%Y"))
        ]
    elif issued_on < EARLIEST_ISSUE_DATE:
        errors["issued_on"] = [gettext("Ngày cấp không được trước năm 2013, năm Quảng Ninh bắt đầu chương trình OCOP.")]
    elif level == "district" and issued_on >= DISTRICT_LEVEL_ENDED:
        errors["issuing_level"] = [gettext("Từ 01/07/2025 không còn cấp huyện: sản phẩm 3 sao do cấp tỉnh công nhận.")]
    if errors:
        raise InvalidInput(gettext("Giấy chứng nhận chưa hợp lệ: hãy sửa các ô được đánh dấu."), errors)
    return {"stars": stars, "certificate_no": number, "issuing_level": level, "issued_on": issued_on}


def _level_message(stars: int) -> str:
    if stars == 5:
        return gettext("Sản phẩm 5 sao do cấp trung ương công nhận.")
    if stars == 4:
        return gettext("Sản phẩm 4 sao do cấp tỉnh công nhận.")
    return gettext("Sản phẩm 3 sao do cấp huyện (trước 01/07/2025) hoặc cấp tỉnh công nhận.")


def _refuse_duplicate(
    product: Product, certificate_no: str, issued_on: date, besides: Certificate | None = None
) -> None:
    """A product holds the same certificate (number and year of issue) at most once, withdrawn ones aside."""
    key = number_key(certificate_no)
    for held in product.certificates:
        if held is besides or held.is_withdrawn:
            continue
        if number_key(held.certificate_no) == key and held.issued_on.year == issued_on.year:
            message = gettext(
                "Sản phẩm này đã có giấy chứng nhận số %(number)s cấp ngày %(day)s: "
                "nếu thông tin sai, hãy sửa giấy đó.",
                number=held.certificate_no,
                day=held.issued_on.strftime("%d/%m/%Y"),
            )
            raise InvalidInput(message, {"certificate_no": [message]})


def _reason(reason: str | None) -> str:
    cleaned = nfc(reason or "").strip()
    if not cleaned:
        message = gettext("Vui lòng ghi lý do (được lưu vào lịch sử giấy chứng nhận).")
        raise InvalidInput(message, {"reason": [message]})
    if len(cleaned) > MAX_REASON_LENGTH:
        message = gettext("Lý do dài tối đa %(count)d ký tự.", count=MAX_REASON_LENGTH)
        raise InvalidInput(message, {"reason": [message]})
    return cleaned


def _office_only(principal: Principal) -> None:
    if not principal.is_admin:
        raise PermissionDenied(gettext("Chỉ văn phòng OCOP được ghi, sửa hoặc thu hồi giấy chứng nhận."))


def _certificate(certificate_id: int) -> Certificate:
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None:
        raise NotFound(f"No certificate {certificate_id}.")
    return certificate


def _family(certificate: Certificate, include_withdrawn: bool) -> list[Certificate]:
    """The original certificate and every copy of it (the same certificate on other listings)."""
    root_id = certificate.source_certificate_id or certificate.id
    statement = select(Certificate).where((Certificate.id == root_id) | (Certificate.source_certificate_id == root_id))
    if not include_withdrawn:
        statement = statement.where(Certificate.withdrawn_at.is_(None))
    members = list(db.session.scalars(statement.order_by(Certificate.id)))
    return members if certificate in members else [certificate, *members]


def _history(principal: Principal, certificate: Certificate, action: str, reason: str, changes: dict) -> None:
    certificate.events.append(
        CertificateEvent(
            action=action,
            reason=reason,
            changes=json.dumps(changes, ensure_ascii=False, default=str),
            actor_user_id=principal.user_id,
            actor=principal.label,
        )
    )
