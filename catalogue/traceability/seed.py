"""The seed's lots: one per seeded product that has none, so every stamp can be followed after `make run`.

Real GTINs are unknown, so seeded lots carry short codes (`/t/{code}`), derived from the
SKU so that every run and every machine gets the same codes. Inserted with Core in one
statement; lots are not catalogue rows, so the catalogue's revision does not move.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

from sqlalchemy import insert, select

from catalogue.extensions import db
from catalogue.geography.addresses import resolve_place
from catalogue.geography.models import Locality
from catalogue.models_base import utcnow
from catalogue.products.models import Product
from catalogue.traceability.digital_link import CODE_ALPHABET, CODE_LENGTH
from catalogue.traceability.models import Lot

# The commune, ward or special zone (since 07/2025) that carries each old locality's name.
ORIGIN_WARDS = {
    "ha-long": "Phường Hạ Long",
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
SEED_LOT_AGE = timedelta(days=30)
SEED_SHELF_LIFE = timedelta(days=365)
SEED_QUANTITY = 500


def seed_code(sku: str) -> str:
    """A short code derived from the SKU (the same on every run)."""
    digest = hashlib.sha256(f"lot:{sku}".encode()).digest()
    return "".join(CODE_ALPHABET[byte % len(CODE_ALPHABET)] for byte in digest[:CODE_LENGTH])


def seed_lots(skus: set[str], today: date) -> int:
    """Give each product of `skus` without a lot one lot; how many were added."""
    with_lot = select(Lot.product_id)
    rows = db.session.execute(
        select(Product.id, Product.sku, Locality.code)
        .join(Locality, Product.locality_id == Locality.id)
        .where(Product.sku.in_(skus), Product.id.not_in(with_lot))
    ).all()
    if not rows:
        return 0
    produced_on, now = today - SEED_LOT_AGE, utcnow()
    places = {code: resolve_place("Quảng Ninh", ward) for code, ward in ORIGIN_WARDS.items()}
    fallback = places["ha-long"]
    values = []
    for product_id, sku, locality_code in rows:
        place = places.get(locality_code, fallback)
        values.append(
            {
                "product_id": product_id,
                "lot_number": f"L{produced_on:%y%m%d}",
                "code": seed_code(sku),
                "produced_on": produced_on,
                "expires_on": produced_on + SEED_SHELF_LIFE,
                "quantity": SEED_QUANTITY,
                "origin_ward_code": place.ward_code,
                "origin_ward_name": place.ward,
                "created_at": now,
                "updated_at": now,
            }
        )
    db.session.execute(insert(Lot), values)
    return len(values)
