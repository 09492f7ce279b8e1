"""Vietnamese text helpers: normalisation, accent folding, slugs and sort keys."""

from __future__ import annotations

import re
import unicodedata

from slugify import slugify as _slugify
from vn_collate import collate_key

_WORD = re.compile(r"[a-z0-9]+")
# đ/Đ have no Unicode decomposition, so stripping combining marks leaves them.
_LETTERS_WITHOUT_DECOMPOSITION = str.maketrans({"đ": "d", "Đ": "D", "ð": "d", "Ð": "D"})


# What XML 1.0 cannot carry (so neither an e-invoice, the Google feed nor an XLSX sheet): C0 controls
# but tab, newline and carriage return, the non-characters U+FFFE/U+FFFF, and lone surrogates.
XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_safe(text: str) -> bool:
    """True unless `text` holds a character XML cannot carry (see XML_UNSAFE)."""
    return XML_UNSAFE.search(text) is None


def nfc(text: str) -> str:
    """Return `text` in NFC, the one form we store."""
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Fold Vietnamese text for matching: lower case, no tone or vowel marks, đ→d."""
    decomposed = unicodedata.normalize("NFD", text.translate(_LETTERS_WITHOUT_DECOMPOSITION))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold()


def search_words(text: str) -> list[str]:
    """Split text into folded ASCII words, the unit both databases index."""
    return _WORD.findall(fold(text))


def search_document(*parts: str | None) -> str:
    """Build the indexed text: folded words joined by single spaces."""
    return " ".join(word for part in parts if part for word in search_words(part))


def phone_digits(phone: str | None) -> str:
    """A Vietnamese phone number's national digits, so +84 and 0 compare equal: `+84 912 345 678` → `912345678`."""
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("84") and len(digits) >= 11:
        digits = digits[2:]
    return digits.removeprefix("0")[:20]


def slugify(text: str) -> str:
    """Make a URL slug: `Miến dong Bình Liêu` → `mien-dong-binh-lieu`."""
    return _slugify(text, max_length=180, word_boundary=True)


_SPACES = re.compile(r"\s+")
# vn-collate gives every character outside its alphabet (a space, a hyphen) the top primary weight 0xFE,
# so "Bánh" sorted before "Ba kích". ICU (which vn-collate mirrors for letters) puts a word break and
# punctuation before digits and letters: we lift each primary by two and give them the freed weights.
_WORD_BREAK, _PUNCTUATION, _LIFT, _OUTSIDE = 0x01, 0x02, 2, 0xFE


def _clusters(text: str) -> list[str]:
    """One base character with its combining marks, exactly as vn-collate splits NFD text."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFD", text):
        if out and unicodedata.combining(ch):
            out[-1] += ch
        else:
            out.append(ch)
    return out


def sort_key(text: str) -> bytes:
    """Vietnamese collation key (Vietnamese alphabet, a space before any letter), compared bytewise by both databases.

    Spaces are collapsed and trimmed first, so "Ba  kích " and "Ba kích" sort together.
    """
    text = _SPACES.sub(" ", nfc(text)).strip()
    key = bytearray.fromhex(collate_key(text))
    for index, cluster in enumerate(_clusters(text)):  # the primary level: one weight per cluster
        weight = key[index]
        if cluster[0] == " ":
            key[index] = _WORD_BREAK
        elif weight == _OUTSIDE:
            key[index] = _PUNCTUATION if unicodedata.category(cluster[0])[0] in "PS" else _OUTSIDE
        else:
            key[index] = weight + _LIFT
    return bytes(key)


def unique_slug(slug: str, taken: set[str]) -> str:
    """`slug`, or `slug-2`, `slug-3`… when another row has it; records the choice."""
    candidate, number = slug, 1
    while candidate in taken:
        number += 1
        candidate = f"{slug}-{number}"
    taken.add(candidate)
    return candidate


def name_with_unit(name: str, unit: str | None) -> str:
    """`Miến dong (gói 300 g)`: the unit in brackets, unless the name already says it (emails said it twice)."""
    if not unit or not unit.strip():
        return name
    said, named = _unit_tokens(unit), _unit_tokens(name)
    if any(named[start : start + len(said)] == said for start in range(len(named) - len(said) + 1)):
        return name
    return f"{name} ({unit})"


def _unit_tokens(text: str) -> list[str]:
    """Folded letter runs and digit runs, so "Gói 300G" and "gói 300 g" read alike."""
    return re.findall(r"[a-z]+|[0-9]+", fold(text))
