"""JSON read from outsiders: one parser for every body the shop reads (API, pages, webhooks).

`json.loads` alone turns three kinds of hostile body into a 500 further on:

- nesting a thousand deep raises RecursionError (not a ValueError: no caller catches it);
- an integer of thousands of digits raises ValueError past Python's int-str limit, and one just
  under it is parsed at quadratic cost and then overflows every column it reaches;
- a lone surrogate (`"\\ud800"`) parses into a str that cannot be encoded, which fails only when
  the database or a template writes it.

`loads` refuses all three, as I-JSON (RFC 7493) does: integers within ±(2⁵³−1), finite numbers,
no surrogates in strings or keys, and a nesting bound. A refusal is `UnreadableJson`, a
ValueError (so whoever already catches "not JSON" catches it too) whose message says what was wrong.
A lone surrogate is `LoneSurrogate`, an UnreadableJson that also says where (`path`): the body is JSON
whose one value is not text, so the API answers it as the field's 422 (webhooks, as any unreadable body).
"""

from __future__ import annotations

import json
import math
import re

MAX_DEPTH = 32  # the deepest genuine body (an order: object → lines → line) is 3
MAX_INTEGER = 2**53 - 1  # I-JSON (RFC 7493, §2.2): exact in every JSON implementation
_MAX_DIGITS = len(str(MAX_INTEGER)) + 1  # a longer digit string is refused before int() reads it
# A reader whose schema bounds every integer and names the field (the API) reads longer ones, up to this many
# digits (still cheap to parse), so a client who sends 10**20 as an id learns which field is out of range.
SCHEMA_BOUNDED_DIGITS = 40
_SURROGATE = re.compile("[\ud800-\udfff]")


class UnreadableJson(ValueError):
    """The body is not JSON the shop reads; the message says why (in English: machines read it)."""


class LoneSurrogate(UnreadableJson):
    """A string (or key) holds a lone surrogate; `path` names it as the API names fields ("" for the body)."""

    def __init__(self, path: str):
        super().__init__("A string holds a lone surrogate (\\ud800-\\udfff), which is not text.")
        self.path = path


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_DIGITS or abs(number := int(text)) > MAX_INTEGER:
        raise UnreadableJson(f"An integer has more than {len(str(MAX_INTEGER))} digits (the limit is ±2^53-1).")
    return number


def _number(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise UnreadableJson("A number is too large.")
    return number


def _constant(name: str):
    raise UnreadableJson(f"{name} is not JSON.")


def _schema_bounded_integer(text: str) -> int:
    if len(text.lstrip("-")) > SCHEMA_BOUNDED_DIGITS:
        raise UnreadableJson(f"An integer has more than {SCHEMA_BOUNDED_DIGITS} digits.")
    return int(text)


def loads(data: bytes | str, *, schema_bounded: bool = False):
    """The JSON value of `data`, or UnreadableJson saying why it is refused.

    `schema_bounded`: the caller validates every integer against its own bound and names the field (the API:
    tests/operations/test_api_bounds.py proves each is bounded), so integers past ±2^53-1 but of at most
    SCHEMA_BOUNDED_DIGITS digits are read as they are, for that 422; longer ones are refused here all the same."""
    if isinstance(data, bytes | bytearray):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise UnreadableJson("The body is not UTF-8.") from error
    try:
        value = json.loads(
            data,
            parse_int=_schema_bounded_integer if schema_bounded else _integer,
            parse_float=_number,
            parse_constant=_constant,
        )
    except UnreadableJson:
        raise
    except RecursionError as error:
        raise UnreadableJson(f"The body is nested more than {MAX_DEPTH} levels deep.") from error
    except ValueError as error:
        raise UnreadableJson(f"The body is not JSON: {error}") from error
    _check(value)
    return value


def _check(value) -> None:
    """Depth and surrogates, walked without recursion."""
    pending = [(value, 1, "")]
    while pending:
        item, depth, path = pending.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                raise LoneSurrogate(path)
            continue
        if not isinstance(item, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise UnreadableJson(f"The body is nested more than {MAX_DEPTH} levels deep.")
        if isinstance(item, dict):
            pending.extend((key, depth, path) for key in item)
            pending.extend((child, depth + 1, f"{path}.{key}" if path else key) for key, child in item.items())
        else:
            pending.extend((child, depth + 1, f"{path}[{index}]") for index, child in enumerate(item))
