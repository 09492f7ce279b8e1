"""Vietnamese shipping addresses in the current two-level form: province → ward/commune.

The units come from the `vietnam-provinces` package (34 provinces since 07/2025;
Quảng Ninh has 54 wards, communes and special zones). Names match whatever the
accents, case or a missing "Phường"/"Xã" prefix.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from vietnam_provinces import Province, Ward

from catalogue.errors import InvalidInput
from catalogue.text import search_document, sort_key

_PREFIXES = ("tinh ", "thanh pho ", "phuong ", "xa ", "dac khu ")


@dataclass(frozen=True)
class Place:
    """A resolved shipping destination."""

    province: str
    province_code: str
    ward: str
    ward_code: str


def _key(name: str) -> str:
    folded = search_document(name)
    for prefix in _PREFIXES:
        if folded.startswith(prefix):
            return folded[len(prefix) :]
    return folded


@lru_cache(maxsize=1)
def _provinces() -> dict[str, Province]:
    return {_key(province.name): province for province in Province.iter_all()}


@lru_cache(maxsize=64)
def _wards(province_code: int) -> dict[str, list[Ward]]:
    wards: dict[str, list[Ward]] = {}
    for ward in Ward.iter_all():
        if int(ward.province_code) == province_code:
            wards.setdefault(search_document(ward.name), []).append(ward)
            wards.setdefault(_key(ward.name), []).append(ward)
    return wards


def province_names() -> list[str]:
    """Every province's official name, for forms."""
    return sorted((province.name for province in Province.iter_all()), key=sort_key)


def ward_names(province_name: str) -> list[str]:
    """The wards and communes of a province, for forms."""
    province = _provinces().get(_key(province_name))
    if province is None:
        return []
    return sorted({ward.name for wards in _wards(int(province.code)).values() for ward in wards}, key=sort_key)


def place_by_ward_code(province_name: str, ward_code: str) -> Place | None:
    """The province's ward whose statistics office code is `ward_code` (e.g. `7183` or `07183`), or None."""
    province = _provinces().get(_key(province_name))
    if province is None or not ward_code.isdigit():
        return None
    for wards in _wards(int(province.code)).values():
        for ward in wards:
            if int(ward.code) == int(ward_code):
                return Place(province.name, str(int(province.code)), ward.name, str(int(ward.code)))
    return None


def resolve_place(province_name: str, ward_name: str) -> Place:
    """Find the ward in the province; a 422 naming the field when either is unknown."""
    province = _provinces().get(_key(province_name))
    if province is None:
        raise InvalidInput(
            f"Unknown province '{province_name}'.",
            {"shipping_address": {"province": [f"Unknown province '{province_name}'."]}},
        )
    wards = _wards(int(province.code))
    candidates = wards.get(search_document(ward_name)) or wards.get(_key(ward_name))
    if not candidates or len({ward.code for ward in candidates}) > 1:
        raise InvalidInput(
            f"Unknown ward '{ward_name}' in {province.name}.",
            {"shipping_address": {"ward": [f"No ward or commune '{ward_name}' in {province.name}."]}},
        )
    ward = candidates[0]
    return Place(province.name, str(int(province.code)), ward.name, str(int(ward.code)))
