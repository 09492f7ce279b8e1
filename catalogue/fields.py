"""Marshmallow fields every domain's schemas share: text as we store it, and what no person types."""

from __future__ import annotations

from marshmallow import ValidationError, fields

from catalogue.text import nfc


def printable(value: str) -> None:
    """Refuse control characters (NUL, escape codes) that no person types."""
    if any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in value):
        raise ValidationError("Must not contain control characters.")


class Text(fields.String):
    """Trimmed NFC text without control characters."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = nfc(super()._deserialize(value, attr, data, **kwargs)).strip()
        printable(text)
        return text
