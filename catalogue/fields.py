"""Marshmallow fields every domain's schemas share: text as we store it, and what no person types."""

from __future__ import annotations

from marshmallow import ValidationError, fields

from catalogue.text import nfc, xml_safe


def printable(value: str) -> None:
    """Refuse control characters (NUL, escape codes) that no person types."""
    if any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in value):
        raise ValidationError("Must not contain control characters.")


def storable(value: str) -> None:
    """Refuse what XML cannot carry (controls, U+FFFE/U+FFFF, lone surrogates), before any trimming."""
    if not xml_safe(value):
        raise ValidationError("Must not contain control characters, U+FFFE/U+FFFF or lone surrogates.")


class Text(fields.String):
    """Trimmed NFC text without control characters (nor anything else XML cannot carry)."""

    def _deserialize(self, value, attr, data, **kwargs):
        raw = super()._deserialize(value, attr, data, **kwargs)
        storable(raw)
        text = nfc(raw).strip()
        printable(text)
        return text
