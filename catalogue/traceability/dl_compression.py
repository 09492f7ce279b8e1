"""Decompressing a compressed GS1 Digital Link URI (GS1 Digital Link: Compression), for the keys our resolver serves.

A compressed URI carries its GS1 element strings as one URI-safe base 64 path segment: a bit string of
entries, each an application identifier (AI) as hex digits or a two-hex-digit optimisation code standing
for a fixed sequence of AIs, then each AI's value in the encoding GS1's table F gives it (fixed-length
numbers as binary integers; variable-length text with a 3-bit encoding and a length). A leading `F`
nibble starts a non-GS1 key=value pair. This reads what a GTIN stamp can carry: the GTIN (01), its key
qualifiers (22, 10, 21), six-digit dates (11, 13, 15, 16, 17) and other key=value pairs. Anything else
is refused as `NotCompressed`, and the caller answers as for any other unknown path.

PyPI's `gs1-compression` (0.1.3, 2021, unmaintained) was considered: its optimised compression is broken
and its wheel installs a top-level `tests` package that shadows ours; so this is the published algorithm,
tested against GS1's own examples and against URIs compressed by GS1's reference toolkit
(tests/traceability/test_gs1_conformance.py).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

SAFE_BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
HEX = "0123456789ABCDEF"
COMPRESSED = re.compile(r"^[A-Za-z0-9_-]{8,200}$")
# Table F, for the AIs we read: ("N", length) fixed-length digits, ("X", max) variable-length text.
_FORMATS: dict[str, tuple[str, int]] = {
    "01": ("N", 14),
    "10": ("X", 20),
    "11": ("N", 6),
    "13": ("N", 6),
    "15": ("N", 6),
    "16": ("N", 6),
    "17": ("N", 6),
    "21": ("X", 20),
    "22": ("X", 20),
}
# Table Opt, the optimisation codes made only of AIs in _FORMATS.
_OPTIMISATIONS: dict[str, tuple[str, ...]] = {
    "0A": ("01", "22"),
    "0B": ("01", "10"),
    "0C": ("01", "21"),
    "0D": ("01", "17"),
    "1A": ("01", "10", "21", "17"),
    "1B": ("01", "15"),
    "1C": ("01", "11"),
    "1D": ("01", "16"),
    "1F": ("01", "10", "15"),
}


class NotCompressed(ValueError):
    """The segment is not a compressed Digital Link this resolver can read."""


@dataclass
class Decompressed:
    """The element strings a compressed URI carried, in order, and its non-GS1 key=value pairs."""

    ais: dict[str, str] = field(default_factory=dict)
    others: dict[str, str] = field(default_factory=dict)


def _value_bits(digits: int) -> int:
    return math.ceil(digits * math.log(10) / math.log(2) + 0.01)


def _length_bits(max_length: int) -> int:
    return math.ceil(math.log(max_length) / math.log(2) + 0.01)


class _Bits:
    def __init__(self, bits: str) -> None:
        self.bits = bits
        self.cursor = 0

    def left(self) -> int:
        return len(self.bits) - self.cursor

    def take(self, count: int) -> int:
        if count > self.left():
            raise NotCompressed("truncated")
        chunk = self.bits[self.cursor : self.cursor + count]
        self.cursor += count
        return int(chunk, 2) if chunk else 0

    def text(self, encoding: int, length: int) -> str:
        if encoding == 0:
            return str(self.take(_value_bits(length))).zfill(length) if length else ""
        if encoding in (1, 2):
            value = "".join(HEX[self.take(4)] for _ in range(length))
            return value.lower() if encoding == 1 else value
        if encoding == 3:
            return "".join(SAFE_BASE64[self.take(6)] for _ in range(length))
        if encoding == 4:
            return "".join(chr(self.take(7)) for _ in range(length))
        raise NotCompressed("encoding")


def _read_value(bits: _Bits, ai: str) -> str:
    kind, size = _FORMATS[ai]
    if kind == "N":
        value = bits.take(_value_bits(size))
        if value >= 10**size:
            raise NotCompressed("value")
        return str(value).zfill(size)
    encoding = bits.take(3)
    length = bits.take(_length_bits(size))
    if length > size:
        raise NotCompressed("length")
    return bits.text(encoding, length)


def decompress(segment: str) -> Decompressed:
    """The AIs and other pairs a compressed path segment carries; NotCompressed when it is none we read."""
    if not COMPRESSED.fullmatch(segment):
        raise NotCompressed("alphabet")
    bits = _Bits("".join(format(SAFE_BASE64.index(ch), "06b") for ch in segment))
    found = Decompressed()
    while bits.left() > 8:
        h1, h2 = HEX[bits.take(4)], HEX[bits.take(4)]
        if h1.isdigit() and h2.isdigit():
            sequence: tuple[str, ...] = (h1 + h2,)
        elif h1 + h2 in _OPTIMISATIONS:
            sequence = _OPTIMISATIONS[h1 + h2]
        elif h1 == "F":
            key_length = (int(h2, 16) << 3) | bits.take(3)
            key = "".join(SAFE_BASE64[bits.take(6)] for _ in range(key_length))
            encoding = bits.take(3)
            found.others[key] = bits.text(encoding, bits.take(7))
            continue
        else:
            raise NotCompressed("code")
        for ai in sequence:
            if ai not in _FORMATS or ai in found.ais:
                raise NotCompressed("ai")
            found.ais[ai] = _read_value(bits, ai)
    if bits.take(bits.left()) != 0:  # what is left is padding, all zeros
        raise NotCompressed("padding")
    if "01" not in found.ais:
        raise NotCompressed("primary key")
    return found
