"""The shop's own zone table: what a parcel costs by how far it goes and what it weighs.

It prices every parcel when no carrier is configured, and any parcel the carrier cannot price
in time. The zone is the producer's province against the buyer's (contract §8); a special
zone (đặc khu: Cô Tô, Vân Đồn and the other island zones) at either end adds the island rows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from catalogue.delivery.models import ISLAND, OTHER_REGION, SAME_PROVINCE, SAME_REGION, ShippingRate
from catalogue.delivery.regions import region_of
from catalogue.extensions import db
from catalogue.geography.addresses import Place
from catalogue.text import fold


@dataclass(frozen=True)
class Band:
    """One row of the table, read."""

    zone: str
    max_weight_g: int
    fee_vnd: int
    extra_per_kg_vnd: int


def read_bands() -> list[Band]:
    """The table as the office left it."""
    rows = db.session.scalars(select(ShippingRate).order_by(ShippingRate.zone, ShippingRate.max_weight_g))
    return [Band(row.zone, row.max_weight_g, row.fee_vnd, row.extra_per_kg_vnd) for row in rows]


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


ZONE_LABELS = {
    SAME_PROVINCE: "Nội tỉnh",
    SAME_REGION: "Nội miền",
    OTHER_REGION: "Liên miền",
    ISLAND: "Phụ phí đảo (đặc khu)",
}
