"""A post-2025 ward as the carriers still know it: the old province → district → ward it was made from.

The reform of 1 July 2025 merged communes and removed districts, but GHN and Viettel Post still
key prices and bookings by the old districts and wards. `vietnam-provinces` (which the shop's
addresses come from) carries only the new units, so the old-to-new table comes from
`vietnamadminunits` (its `converter_2025.json` and `dataset.db`, read as data: its own code
geocodes addresses over the network, which the shop never wants).

A new ward made from several old ones maps to each of them; the first is the one named like the
new ward (Phường Bãi Cháy ← Bãi Cháy), else the old ward that kept most of it, so an adapter
tries them in order and takes the first its carrier's master data knows. Matching names
against a carrier's lists is `name_key`: accents, case and the unit's kind ("Phường", "Huyện",
"Thành phố") do not count.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sqlite3
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from catalogue.geography.addresses import Place
from catalogue.text import search_document

# The kinds of unit a name may start with, longest first ("thanh pho" before "thi").
_KINDS = (
    "thanh pho trung uong ", "thanh pho ", "thi tran ", "thi xa ", "dac khu ", "tinh ", "quan ", "huyen ",
    "phuong ", "xa ", "tp ", "tt ",
)  # fmt: skip


@dataclass(frozen=True)
class LegacyPlace:
    """One old ward (before 07/2025), by its official names and the statistics office's codes."""

    province: str
    district: str
    ward: str
    province_code: str
    district_code: str
    ward_code: str


def name_key(name: str) -> str:
    """`Phường Bãi Cháy`, `BÃI CHÁY`, `P. Bai Chay` → `bai chay`; `Phường 01` → `1`."""
    folded = search_document(name)
    for kind in _KINDS:
        if folded.startswith(kind):
            folded = folded[len(kind) :]
            break
    if folded.startswith("p ") or folded.startswith("x "):
        folded = folded[2:]
    return re.sub(r"\b0+(\d)", r"\1", folded)


def _data_dir() -> Path:
    spec = importlib.util.find_spec("vietnamadminunits")  # found, not imported: its __init__ loads geocoding
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("vietnamadminunits is not installed (requirements.txt)")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


@lru_cache(maxsize=1)
def _tables() -> tuple[dict, dict, dict, dict]:
    """(new ward by code, new ward by (province key, ward key), old ward by key, converter table)."""
    folder = _data_dir()
    converter = json.loads((folder / "converter_2025.json").read_text(encoding="utf-8"))
    with sqlite3.connect(f"file:{folder / 'dataset.db'}?mode=ro", uri=True) as connection:
        new_rows = connection.execute(
            "SELECT DISTINCT provinceKey, wardKey, provinceCode, wardCode, ward FROM admin_units"
        ).fetchall()
        old_rows = connection.execute(
            "SELECT DISTINCT provinceKey, districtKey, wardKey, province, district, ward, provinceCode, districtCode, "
            "wardCode FROM admin_units_legacy"
        ).fetchall()
    new_by_code = {int(code): (pk, wk, name_key(ward)) for pk, wk, _, code, ward in new_rows}
    new_by_name = {(int(province), name_key(ward)): (pk, wk) for pk, wk, province, _, ward in new_rows}
    old = {
        f"{pk}_{dk}_{wk}": LegacyPlace(province, district, ward, str(int(pc)), str(int(dc)), str(int(wc)))
        for pk, dk, wk, province, district, ward, pc, dc, wc in old_rows
        if wk
    }
    return new_by_code, new_by_name, old, converter


@lru_cache(maxsize=4096)
def _legacy_by_key(province_key: str, ward_key: str) -> tuple[LegacyPlace, ...]:
    _, _, old, converter = _tables()
    kept = list(converter["DICT_PROVINCE_WARD_NO_DIVIDED"].get(province_key, {}).get(ward_key, []))
    # Old wards split between several new ones: the part that went here, the default part first.
    split = [
        (not part["isDefaultNewWard"], old_key)
        for old_key, parts in converter["DICT_PROVINCE_WARD_DIVIDED"].get(province_key, {}).items()
        for part in parts
        if part["newWardKey"] == ward_key
    ]
    keys = kept + [old_key for _, old_key in sorted(split)]
    places = [old[key] for key in dict.fromkeys(keys) if key in old]
    return tuple(places)


def legacy_places(place: Place) -> tuple[LegacyPlace, ...]:
    """The old wards `place` was made from, the one named like it first; () when the table does not know it."""
    new_by_code, new_by_name, _, _ = _tables()
    # By code when the two packages' codes agree on the name (a few codes differ between their releases).
    by_code = new_by_code.get(int(place.ward_code))
    keys = by_code[:2] if by_code and by_code[2] == name_key(place.ward) else None
    if keys is None:
        keys = new_by_name.get((int(place.province_code), name_key(place.ward)))
    if keys is None:
        return ()
    places = _legacy_by_key(*keys)
    same_name = [old for old in places if name_key(old.ward) == name_key(place.ward)]
    return tuple(same_name + [old for old in places if old not in same_name])
