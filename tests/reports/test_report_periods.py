"""Periods: what each query string means, and the impossible ones refused with the field to blame."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from catalogue.errors import InvalidInput
from catalogue.reports.periods import period_from

TODAY = date(2026, 11, 21)


@pytest.mark.parametrize(
    ("arguments", "first", "last"),
    [
        ({}, date(2026, 11, 1), date(2026, 11, 30)),
        ({"period": "month", "month": "2024-02"}, date(2024, 2, 1), date(2024, 2, 29)),
        ({"period": "quarter", "quarter": "2026-Q4"}, date(2026, 10, 1), date(2026, 12, 31)),
        ({"period": "quarter"}, date(2026, 10, 1), date(2026, 12, 31)),
        ({"period": "year", "year": "2025"}, date(2025, 1, 1), date(2025, 12, 31)),
        ({"from": "2026-11-03", "to": "2026-11-03"}, date(2026, 11, 3), date(2026, 11, 3)),
    ],
)
def test_periods(arguments, first, last):
    period = period_from(arguments, TODAY)
    assert (period.first, period.last) == (first, last)


def test_a_period_is_bounded_by_vietnam_midnights():
    period = period_from({"period": "month", "month": "2026-11"}, TODAY)
    assert period.starts_at == datetime(2026, 10, 31, 17, tzinfo=UTC)
    assert period.ends_before == datetime(2026, 11, 30, 17, tzinfo=UTC)
    assert period.as_query() == {"period": "month", "month": "2026-11"}


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"period": "week"}, "period"),
        ({"period": "month", "month": "2026-13"}, "month"),
        ({"period": "month", "month": "11/2026"}, "month"),
        ({"period": "quarter", "quarter": "2026-Q5"}, "quarter"),
        ({"period": "year", "year": "20266"}, "year"),
        ({"period": "year", "year": "1999"}, "year"),
        ({"period": "custom", "from": "2026-11-30", "to": "2026-11-01"}, "to"),
        ({"period": "custom", "from": "2026-02-30", "to": "2026-03-01"}, "from"),
        ({"period": "custom", "from": "2026-01-01"}, "to"),
        ({"period": "custom", "from": "2013-01-01", "to": "2026-01-01"}, "from"),
    ],
)
def test_impossible_periods_are_refused(arguments, field):
    with pytest.raises(InvalidInput) as refused:
        period_from(arguments, TODAY)
    assert list(refused.value.errors) == [field]
