"""How dates, moments and statuses read on a page: Vietnamese by default, each locale its own way.

Stored moments are UTC (models_base.as_utc); a person in Quảng Ninh reads them in Vietnam's time,
and is told so. The Jinja filters are registered by `register_filters`.
"""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date, format_datetime, format_time
from flask import Flask
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from catalogue.clock import VIETNAM
from catalogue.models_base import as_utc
from catalogue.text import name_with_unit

VIETNAMESE_DATE = "dd/MM/yyyy"  # 12/06/2026: how dates are written in Vietnam
VIETNAMESE_MOMENT = f"HH:mm {VIETNAMESE_DATE}"  # 14:05 12/06/2026

STATUS_LABELS = {
    "order": {
        "pending_payment": _l("Chờ thanh toán"),
        "payment_failed": _l("Thanh toán chưa thành công"),
        "paid": _l("Đã thanh toán"),
        "shipped": _l("Đang giao hàng"),
        "delivered": _l("Đã giao hàng"),
        "cancelled": _l("Đã huỷ"),
        "refund_pending": _l("Đang hoàn tiền"),
        "refunded": _l("Đã hoàn tiền"),
    },
    "product": {
        "draft": _l("Bản nháp"),
        "active": _l("Đang bán"),
        "archived": _l("Đã lưu trữ"),
    },
    "listing": {
        "live": _l("đang bán"),
        "pending": _l("đang chờ"),
        "error": _l("lỗi"),
        "delisted": _l("đã gỡ"),
        "not_offered": _l("không bán trên sàn này"),
    },
}


def _locale_name() -> str:
    locale = get_locale()
    return str(locale) if locale else "vi"


def _local_day(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return as_utc(value).astimezone(VIETNAM).date()
    return value


def vn_date(value: date | datetime | None) -> str:
    """A day as its reader writes it: `12/06/2026` in Vietnamese, `Jun 12, 2026` in English."""
    if value is None:
        return ""
    locale = _locale_name()
    pattern = VIETNAMESE_DATE if locale.startswith("vi") else "medium"
    return format_date(_local_day(value), pattern, locale=locale)


def vn_datetime(value: datetime | None) -> str:
    """A stored (UTC) moment in Vietnam's time, saying so: `14:05 12/06/2026 (giờ Việt Nam)`."""
    if value is None:
        return ""
    moment = as_utc(value).astimezone(VIETNAM)
    locale = _locale_name()
    if locale.startswith("vi"):
        shown = format_datetime(moment, VIETNAMESE_MOMENT, locale=locale)
    else:
        shown = f"{format_date(moment, 'medium', locale=locale)}, {format_time(moment, 'short', locale=locale)}"
    return _("%(moment)s (giờ Việt Nam)", moment=shown)


def status_label(status: str | None, kind: str) -> str:
    """What a person reads for a stored status (`paid` → `Đã thanh toán`); kind is order, product or listing."""
    if status is None:
        return ""
    label = STATUS_LABELS[kind].get(status)
    return str(label) if label is not None else status


def register_filters(app: Flask) -> None:
    """The date, time and status filters every template uses."""
    app.jinja_env.filters["vn_date"] = vn_date
    app.jinja_env.filters["vn_datetime"] = vn_datetime
    app.jinja_env.filters["status_label"] = status_label
    app.jinja_env.filters["with_unit"] = name_with_unit
    # The names templates used before; kept so a template written against them reads the same.
    app.jinja_env.filters["date"] = vn_date
    app.jinja_env.filters["datetime_vn"] = vn_datetime
