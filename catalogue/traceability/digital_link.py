"""GS1 Digital Link URIs for our stamps: building them, and reading back what a scanner sends.

A product with a GTIN gets `{base}/01/{GTIN-14}/10/{lot}` (GS1 Digital Link 1.x: the
primary key, then the qualifier batch/lot, percent-encoded); one without gets the short
`{base}/t/{code}`. Check digits are python-stdnum's (`stdnum.ean`), never our own sums.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from urllib.parse import quote, unquote

from stdnum import ean
from stdnum.exceptions import ValidationError as StdnumError

# Vietnam's GS1 company prefix range (GS1 Vietnam): 893.
VIETNAM_PREFIX = "893"
# GS1 AI 10 (batch/lot): at most 20 characters of the GS1 AI encodable character set 82.
MAX_LOT_LENGTH = 20
_CHARSET_82 = re.compile(r"^[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}$")
# What a producer may type as a lot number: letters, digits and - . _ — a subset of set 82 that prints plainly and is
# unreserved in URIs, so our own stamps never need percent-encoding (a proxy or WSGI server may decode a %2F).
LOT_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-._]{0,19}$")
# Short codes: Crockford's base 32 (no I, L, O, U: nothing to misread on a label).
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 8
MAX_CODE_LENGTH = 12


class MalformedLink(ValueError):
    """A path that is not one of our Digital Link forms; `reason` says which part (gtin, lot, path)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ParsedLink:
    """What a Digital Link path names: a GTIN-14 and maybe a lot."""

    gtin14: str
    lot: str | None


def gtin_problem(value: str) -> str | None:
    """Why `value` is not a GTIN we accept for a product (EAN-13 under 893, check digit right), or None."""
    digits = (value or "").strip()
    if not re.fullmatch(r"\d{13}", digits):
        return "length"
    if not digits.startswith(VIETNAM_PREFIX):
        return "prefix"
    try:
        ean.validate(digits)
    except StdnumError:
        return "check_digit"
    return None


def gtin14(gtin: str) -> str:
    """A GTIN (8, 12, 13 or 14 digits) as the 14 digits a Digital Link carries (left-padded with zeros)."""
    return gtin.rjust(14, "0")


def digital_link(base_url: str, gtin: str, lot: str | None = None) -> str:
    """`{base}/01/{GTIN-14}` and, with a lot, `/10/{lot}` percent-encoded (RFC 3986 unreserved kept)."""
    uri = f"{base_url.rstrip('/')}/01/{gtin14(gtin)}"
    return uri + (f"/10/{quote(lot, safe='')}" if lot else "")


def short_link(base_url: str, code: str) -> str:
    """The short stamp URI of a lot whose product has no GTIN."""
    return f"{base_url.rstrip('/')}/t/{code}"


def parse_digital_link(path: str) -> ParsedLink:
    """Read `/01/{gtin}[/22/{variant}][/10/{lot}][/21/{serial}]` (one trailing slash tolerated); MalformedLink naming
    the bad part."""
    parts = (path[:-1] if path.endswith("/") else path).lstrip("/").split("/")
    if len(parts) < 2 or len(parts) % 2 or parts[0] != "01":
        raise MalformedLink("path")
    gtin = parts[1]
    if not re.fullmatch(r"\d{14}", gtin):  # GS1 Digital Link URI syntax 1.4+: a GTIN is always 14 digits in a URI
        raise MalformedLink("gtin")
    try:
        ean.validate(gtin)
    except StdnumError as error:
        raise MalformedLink("gtin") from error
    qualifiers = dict(zip(parts[2::2], parts[3::2], strict=True))
    order = [key for key in parts[2::2]]
    if any(key not in ("22", "10", "21") for key in order) or order != sorted(order, key=("22", "10", "21").index):
        raise MalformedLink("path")
    for key, value in qualifiers.items():
        if not _CHARSET_82.fullmatch(unquote(value)):
            raise MalformedLink({"22": "variant", "10": "lot", "21": "serial"}[key])
    lot = qualifiers.get("10")
    return ParsedLink(gtin14(gtin), unquote(lot) if lot is not None else None)


def uncompressed_path(ais: dict[str, str]) -> str:
    """The Digital Link path of decompressed element strings: `/01/{gtin}` then its qualifiers in the standard's
    order, each value percent-encoded; data attributes (dates) go to the query string."""
    path = f"/01/{ais['01']}"
    for key in ("22", "10", "21"):
        if key in ais:
            path += f"/{key}/{quote(ais[key], safe='')}"
    attributes = "&".join(f"{key}={ais[key]}" for key in ais if key not in ("01", "22", "10", "21"))
    return path + (f"?{attributes}" if attributes else "")


def ean13_of(gtin14_digits: str) -> str | None:
    """The EAN-13 a GTIN-14 pads (indicator digit 0), as products store it; None for other GTIN-14s."""
    return gtin14_digits[1:] if gtin14_digits.startswith("0") else None


def valid_code(code: str) -> bool:
    """True when `code` could be one of our short codes (so anything else is answered without a query)."""
    return 1 <= len(code) <= MAX_CODE_LENGTH and all(ch in CODE_ALPHABET for ch in code)


def new_code() -> str:
    """A fresh random short code (40 bits: unguessable enough that a made-up stamp is caught)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
