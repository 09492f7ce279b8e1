"""Money is integer VND; this is how people read it."""

from __future__ import annotations

from babel.numbers import format_currency


def format_vnd(amount: int) -> str:
    """`85000` → `85.000 ₫` (Vietnamese grouping, whatever the page language).

    The space before ₫ is a no-break space, so a price never wraps.
    """
    return format_currency(amount, "VND", locale="vi_VN")
