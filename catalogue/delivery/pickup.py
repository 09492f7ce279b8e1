"""Where a producer's parcels leave from: its pickup address, kept on the producer.

A ward of the post-2025 units (resolved like a buyer's address), a line and a phone. The
producer edits its own; the office edits anyone's. The seed gives each producer its
locality's main ward in Quảng Ninh, to be corrected in the portal.
"""

from __future__ import annotations

from dataclasses import dataclass

from catalogue.accounts.principal import Principal
from catalogue.accounts.services import record
from catalogue.errors import InvalidInput, NotFound
from catalogue.extensions import db
from catalogue.geography.addresses import Place, resolve_place
from catalogue.producers.models import Producer
from catalogue.text import phone_digits
from catalogue.transactions import use_case

PROVINCE = "Quảng Ninh"
# A locality's main ward since the 2025 reform (the seed's and the migration's guess for a producer's pickup).
LOCALITY_WARDS = {
    "ha-long": "Phường Hồng Gai",
    "cam-pha": "Phường Cẩm Phả",
    "uong-bi": "Phường Uông Bí",
    "mong-cai": "Phường Móng Cái 1",
    "dong-trieu": "Phường Đông Triều",
    "quang-yen": "Phường Quảng Yên",
    "van-don": "Đặc khu Vân Đồn",
    "binh-lieu": "Xã Bình Liêu",
    "ba-che": "Xã Ba Chẽ",
    "tien-yen": "Xã Tiên Yên",
    "dam-ha": "Xã Đầm Hà",
    "hai-ha": "Xã Quảng Hà",
    "co-to": "Đặc khu Cô Tô",
}


@dataclass(frozen=True)
class Pickup:
    """A producer's pickup address as a form edits it."""

    address: str
    ward: str
    province: str
    phone: str


def pickup_place(producer: Producer) -> Place | None:
    """The producer's pickup ward, or None while it has none."""
    if not producer.pickup_ward_code or not producer.pickup_province_code:
        return None
    return Place(producer.pickup_province, producer.pickup_province_code, producer.pickup_ward,
                 producer.pickup_ward_code)  # fmt: skip


def apply_pickup(producer: Producer, pickup: Pickup) -> None:
    """Write a pickup address after resolving its ward (422 naming `pickup.ward` / `pickup.province`)."""
    try:
        place = resolve_place(pickup.province, pickup.ward)
    except InvalidInput as error:
        fields = error.errors.get("shipping_address", {})
        raise InvalidInput(error.message, {"pickup": fields}) from error
    digits = phone_digits(pickup.phone)
    if pickup.phone and not 9 <= len(digits) <= 10:
        raise InvalidInput(
            "Phone number is not a Vietnamese number.", {"pickup": {"phone": ["10 digits, e.g. 0912345678."]}}
        )
    producer.pickup_address = pickup.address.strip()[:200]
    producer.pickup_ward, producer.pickup_ward_code = place.ward, place.ward_code
    producer.pickup_province, producer.pickup_province_code = place.province, place.province_code
    producer.pickup_phone = pickup.phone.strip()[:20]


@use_case
def set_pickup(principal: Principal, producer_id: int, pickup: Pickup) -> Producer:
    """The producer (its own only) or the office sets a producer's pickup address."""
    if not principal.is_admin and principal.producer_id != producer_id:
        raise NotFound(f"No producer {producer_id}.")  # never confirm another producer's record
    producer = db.session.get(Producer, producer_id)
    if producer is None:
        raise NotFound(f"No producer {producer_id}.")
    apply_pickup(producer, pickup)
    record(principal, "producer.pickup", "producer", producer.id,
           {"ward": producer.pickup_ward, "province": producer.pickup_province})  # fmt: skip
    return producer


def default_pickup(producer: Producer) -> None:
    """Give a producer without a pickup ward its locality's main ward (seed, first run); never overwrite one."""
    if producer.pickup_ward_code:
        return
    ward = LOCALITY_WARDS.get(producer.locality.code if producer.locality else "")
    if ward is None:
        return
    apply_pickup(producer, Pickup(producer.address or "", ward, PROVINCE, producer.phone or ""))
