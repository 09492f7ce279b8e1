"""The period a report covers: a month, a quarter, a year or chosen days, in Vietnam's calendar."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from catalogue.clock import VIETNAM
from catalogue.errors import InvalidInput
from catalogue.products.certificates import gettext

KINDS = ("month", "quarter", "year", "custom")
# The programme's figures start with the shop; ten years is more than any report needs and keeps
# a mistyped year (20266) from asking the database for centuries.
EARLIEST_DAY = date(2013, 1, 1)
LONGEST_SPAN_DAYS = 3660


@dataclass(frozen=True)
class Period:
    """Days `first` through `last` inclusive (Vietnam dates), and how the period was asked for."""

    kind: str
    first: date
    last: date

    @property
    def starts_at(self) -> datetime:
        """The first moment of the period, as a UTC instant (orders are stamped in UTC)."""
        return _utc_midnight(self.first)

    @property
    def ends_before(self) -> datetime:
        """The first moment after the period, as a UTC instant."""
        return _utc_midnight(self.last + timedelta(days=1))

    @property
    def months(self) -> list[str]:
        """Every month the period touches, as `YYYY-MM`, oldest first."""
        months, cursor = [], self.first.replace(day=1)
        while cursor <= self.last:
            months.append(f"{cursor.year:04d}-{cursor.month:02d}")
            cursor = (cursor + timedelta(days=32)).replace(day=1)
        return months

    def as_query(self) -> dict:
        """The query string that asks for this period again (exports and links keep the filters)."""
        if self.kind == "month":
            return {"period": "month", "month": f"{self.first.year:04d}-{self.first.month:02d}"}
        if self.kind == "quarter":
            return {"period": "quarter", "quarter": f"{self.first.year:04d}-Q{(self.first.month - 1) // 3 + 1}"}
        if self.kind == "year":
            return {"period": "year", "year": str(self.first.year)}
        return {"period": "custom", "from": self.first.isoformat(), "to": self.last.isoformat()}


def _utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=VIETNAM).astimezone(UTC)


def period_from(arguments: dict, today: date) -> Period:
    """The period a query string asks for (this month when it asks for none); InvalidInput when impossible."""
    kind = (arguments.get("period") or "").strip() or _implied_kind(arguments)
    if kind not in KINDS:
        raise _refusal("period", gettext("Kỳ báo cáo phải là tháng, quý, năm hoặc khoảng ngày tự chọn."))
    if kind == "month":
        return _month(arguments.get("month") or f"{today.year:04d}-{today.month:02d}")
    if kind == "quarter":
        return _quarter(arguments.get("quarter") or f"{today.year:04d}-Q{(today.month - 1) // 3 + 1}")
    if kind == "year":
        return _year(arguments.get("year") or str(today.year))
    return custom_period(arguments.get("from"), arguments.get("to"))


def _implied_kind(arguments: dict) -> str:
    if arguments.get("from") or arguments.get("to"):
        return "custom"
    for kind in ("month", "quarter", "year"):
        if arguments.get(kind):
            return kind
    return "month"


def _month(value: str) -> Period:
    found = re.fullmatch(r"(\d{4})-(\d{1,2})", value.strip())
    if not found or not 1 <= int(found[2]) <= 12:
        raise _refusal("month", gettext("Tháng phải có dạng NNNN-TT, ví dụ 2026-12."))
    first = date(int(found[1]), int(found[2]), 1)
    return _checked(Period("month", first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)), "month")


def _quarter(value: str) -> Period:
    found = re.fullmatch(r"(\d{4})-[Qq]([1-4])", value.strip())
    if not found:
        raise _refusal("quarter", gettext("Quý phải có dạng NNNN-Q1 đến NNNN-Q4, ví dụ 2026-Q4."))
    year, quarter = int(found[1]), int(found[2])
    first = date(year, 3 * quarter - 2, 1)
    after = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return _checked(Period("quarter", first, after - timedelta(days=1)), "quarter")


def _year(value: str) -> Period:
    if not re.fullmatch(r"\d{4}", value.strip()):
        raise _refusal("year", gettext("Năm phải có 4 chữ số, ví dụ 2026."))
    year = int(value)
    return _checked(Period("year", date(year, 1, 1), date(year, 12, 31)), "year")


def custom_period(first: str | date | None, last: str | date | None) -> Period:
    """Chosen days, both included; InvalidInput when a day is missing, malformed or they are the wrong way round."""
    days = {}
    for name, value in (("from", first), ("to", last)):
        if isinstance(value, date):
            days[name] = value
            continue
        try:
            days[name] = date.fromisoformat((value or "").strip())
        except ValueError:
            raise _refusal(name, gettext("Ngày phải có dạng NNNN-TT-NN, ví dụ 2026-12-31.")) from None
    if days["from"] > days["to"]:
        raise _refusal("to", gettext("Ngày kết thúc không được trước ngày bắt đầu."))
    return _checked(Period("custom", days["from"], days["to"]), "from")


def _checked(period: Period, field: str) -> Period:
    if period.first < EARLIEST_DAY:
        raise _refusal(field, gettext("Báo cáo không có số liệu trước năm 2013."))
    if (period.last - period.first).days >= LONGEST_SPAN_DAYS:
        raise _refusal(field, gettext("Một báo cáo dài tối đa 10 năm."))
    if period.last.year > 9998:
        raise _refusal(field, gettext("Năm phải có 4 chữ số, ví dụ 2026."))
    return period


def _refusal(field: str, message: str) -> InvalidInput:
    return InvalidInput(message, {field: [message]})
