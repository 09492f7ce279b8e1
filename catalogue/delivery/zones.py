"""The shop's own zone table: what a parcel costs by how far it goes and what it weighs.

It prices every parcel when no carrier is configured, and any parcel the carrier cannot price
in time. The zone is the producer's province against the buyer's (contract §8); a special
zone (đặc khu: Cô Tô, Vân Đồn and the other island zones) at either end adds the island rows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from catalogue.accounts.principal import Principal
from catalogue.accounts.services import record
from catalogue.delivery.models import ISLAND, OTHER_REGION, SAME_PROVINCE, SAME_REGION, ShippingRate
from catalogue.delivery.regions import region_of
from catalogue.errors import InvalidInput, PermissionDenied
from catalogue.extensions import db
from catalogue.geography.addresses import Place
from catalogue.text import fold
from catalogue.transactions import use_case


@dataclass(frozen=True)
class Band:
    """One row of the table, read."""

    zone: str
    max_weight_g: int
    fee_vnd: int
    extra_per_kg_vnd: int


def read_bands() -> list[Band]:
    """The table as the office left it (its columns only: every order reads it, and needs no ORM object of it)."""
    rows = db.session.execute(_BANDS)
    return [Band(*row) for row in rows]


_BANDS = select(
    ShippingRate.zone, ShippingRate.max_weight_g, ShippingRate.fee_vnd, ShippingRate.extra_per_kg_vnd
).order_by(ShippingRate.zone, ShippingRate.max_weight_g)


def zone_between(origin_province_code: str, destination_province_code: str) -> str:
    """Same province, same region (North / Centre / South), or another region."""
    if str(origin_province_code).lstrip("0") == str(destination_province_code).lstrip("0"):
        return SAME_PROVINCE
    origin, destination = region_of(origin_province_code), region_of(destination_province_code)
    return SAME_REGION if origin is not None and origin == destination else OTHER_REGION


def is_island(place: Place | None) -> bool:
    """A special zone (đặc khu): every one of them is an island district reached by boat."""
    return place is not None and fold(place.ward).startswith("dac khu ")


def band_fee(bands: Iterable[Band], zone: str, weight_g: int) -> int | None:
    """The fee of the lightest band of `zone` that takes `weight_g`; above the heaviest, its per-kilo extra.

    None when the table has no row for the zone (the office emptied it): the caller refuses.
    """
    rows = sorted((band for band in bands if band.zone == zone), key=lambda band: band.max_weight_g)
    if not rows:
        return None
    for band in rows:
        if weight_g <= band.max_weight_g:
            return band.fee_vnd
    heaviest = rows[-1]
    return heaviest.fee_vnd + math.ceil((weight_g - heaviest.max_weight_g) / 1000) * heaviest.extra_per_kg_vnd


def zone_fee(bands: list[Band], zone: str, weight_g: int, island: bool) -> int | None:
    """The table's fee for a parcel, the island surcharge included when it applies."""
    fee = band_fee(bands, zone, weight_g)
    if fee is None:
        return None
    return fee + ((band_fee(bands, ISLAND, weight_g) or 0) if island else 0)


ZONE_LABELS = {  # lazy: read in the reader's language where shown (pages, reports), Vietnamese first
    SAME_PROVINCE: _l("Nội tỉnh"),
    SAME_REGION: _l("Nội miền"),
    OTHER_REGION: _l("Liên miền"),
    ISLAND: _l("Phụ phí đảo (đặc khu)"),
}


MAX_FEE_VND = 10_000_000


@use_case
def update_rates(principal: Principal, changes: dict[int, tuple[int, int]]) -> int:
    """The office sets bands' fee and per-kilo extra: {rate id: (fee, extra)}; how many changed.

    Every value is checked before any is written (422 naming the row), and the change is audited.
    """
    if not principal.is_admin:
        raise PermissionDenied("Only the OCOP office edits the shipping rates.")
    rows = {row.id: row for row in db.session.scalars(select(ShippingRate).where(ShippingRate.id.in_(list(changes))))}
    for rate_id, (fee, extra) in changes.items():
        if rate_id not in rows:
            raise InvalidInput(f"No shipping rate {rate_id}.", {"rates": {str(rate_id): ["Unknown rate."]}})
        for value in (fee, extra):
            if not 0 <= value <= MAX_FEE_VND:
                raise InvalidInput(
                    f"Fees are between 0 and {MAX_FEE_VND} VND.",
                    {"rates": {str(rate_id): [f"Between 0 and {MAX_FEE_VND} VND."]}},
                )
    changed = 0
    for rate_id, (fee, extra) in changes.items():
        row = rows[rate_id]
        if (row.fee_vnd, row.extra_per_kg_vnd) != (fee, extra):
            record(principal, "shipping_rate.update", "shipping_rate", row.id,
                   {"zone": row.zone, "max_weight_g": row.max_weight_g, "fee_vnd": [row.fee_vnd, fee],
                    "extra_per_kg_vnd": [row.extra_per_kg_vnd, extra]})  # fmt: skip
            row.fee_vnd, row.extra_per_kg_vnd = fee, extra
            changed += 1
    return changed
