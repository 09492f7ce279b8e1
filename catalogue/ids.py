"""The range of row ids, so a number past it is "no such thing", never a database overflow."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

# Ids are INTEGER columns: 32 bits on PostgreSQL, and SQLite refuses anything past 64.
MAX_ID = 2**31 - 1


def parse_id(text: str) -> int | None:
    """The id written in `text` (ASCII digits within MAX_ID), or None when it cannot be one."""
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def digits_at_most(limit: int) -> str:
    """A regular expression for the decimal numbers from 0 to `limit` (leading zeros allowed)."""
    text = str(limit)
    shorter = rf"\d{{1,{len(text) - 1}}}" if len(text) > 1 else None
    same_length = [
        text[:position] + (f"[0-{int(digit) - 1}]" if digit != "1" else "0") + rf"\d{{{len(text) - position - 1}}}"
        for position, digit in enumerate(text)
        if digit != "0"
    ]
    return "0*(?:" + "|".join(filter(None, [shorter, *same_length, text])) + ")"


class IdConverter(IntegerConverter):
    """Flask's `<int:…>` bounded to the id range.

    The bound is in the converter's pattern, not only in `to_python`: Werkzeug checks a
    rule's methods before converting, so a number refused only by `to_python` could turn
    into a 405 from a sibling rule; a number the pattern does not match is a plain 404.
    """

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002 - werkzeug's parameter name
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
        self.regex = digits_at_most(self.max)
