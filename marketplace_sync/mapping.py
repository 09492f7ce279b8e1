"""Our product (as the change feed gives it) → what a marketplace listing must say.

The category and logistics ids come from the data file `mappings.json` beside this
module; a product that cannot be listed raises `NotListable` with a reason the producer can act on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import nh3

MAPPINGS_FILE = Path(__file__).with_name("mappings.json")

NAME_LIMITS = {"shopee": 120, "lazada": 255, "tiktok": 255}
SHOWN = {"shopee": "Shopee", "lazada": "Lazada", "tiktok": "TikTok Shop"}  # names in what producers read
DESCRIPTION_LIMIT = 3000
SERVICE_WEIGHT_KG = 0.01  # a voucher ships no parcel, but the marketplaces still ask for a weight


@lru_cache(maxsize=1)
def mappings() -> dict:
    """The whole mapping file, read once."""
    return json.loads(MAPPINGS_FILE.read_text(encoding="utf-8"))


class NotListable(Exception):
    """The product cannot be listed on the marketplace; the message says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class NotOffered(NotListable):
    """The product has no place on this marketplace (no category for its product set): a state, not an error."""


@dataclass(frozen=True)
class Listing:
    """A product as one marketplace should show it."""

    sku: str
    name: str
    description: str
    price_vnd: int
    stock: int
    weight_kg: float
    category_id: int
    image_urls: tuple[str, ...]
    extras: tuple[
        tuple[str, object], ...
    ] = ()  # marketplace-specific: logistics (Shopee), brand (Lazada); none (TikTok)
    gtin: str | None = None  # the product's EAN-13, for marketplaces that take one

    def content_key(self) -> str:
        """A fingerprint of everything but price and stock: when it changes, the listing needs an update."""
        content = [self.name, self.description, self.weight_kg, self.category_id, list(self.image_urls)]
        if self.gtin:  # only then: listings of products without a GTIN keep their fingerprints
            content.append(self.gtin)
        return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()[:16]

    def extra(self, key: str):
        return dict(self.extras).get(key)

    def pushed(self) -> dict:
        """What a push of this listing leaves on the marketplace, as the listing record keeps it."""
        return {"price_vnd": self.price_vnd, "stock": self.stock, "content": self.content_key()}


def to_listing(product: dict, marketplace: str) -> Listing:
    """The listing `marketplace` should hold for a listable product, or NotListable."""
    data = mappings()[marketplace]
    code = product.get("category_code") or product["category"]["code"]
    shown = SHOWN.get(marketplace, marketplace.capitalize())
    if code in data["categories"]:
        category_id, service = data["categories"][code], False
    elif code in data.get("services", {}):
        category_id, service = data["services"][code], True
    else:
        reason = data.get("not_offered", {}).get(code) or f"Product set '{code}' has no {shown} category."
        raise NotOffered(f"Not offered on {shown}: {reason}")
    weight_g = product.get("net_weight_g")
    if service and not weight_g:
        weight_g = SERVICE_WEIGHT_KG * 1000
    if not weight_g or weight_g <= 0:
        raise NotListable(f"No net weight: {shown} needs the weight to work out shipping.")
    # Marketplaces take JPEG/PNG only: the raster rendition (older services without it send their url).
    images = tuple(image.get("raster_url") or image["url"] for image in product.get("images") or [])
    if not images:
        raise NotListable(f"No image: {shown} needs at least one product photo.")
    if product["price_vnd"] <= 0:
        raise NotListable("No price.")
    description = nh3.clean(product.get("description") or "", tags=set()).strip() or product["name"]
    if marketplace == "shopee":
        extras = (("logistics", tuple(item["logistic_id"] for item in data["logistics"] if item.get("enabled"))),)
    elif "brand" in data:
        extras = (("brand", data["brand"]),)
    else:
        extras = ()
    return Listing(
        sku=product["sku"],
        name=product["name"][: NAME_LIMITS[marketplace]],
        description=description[:DESCRIPTION_LIMIT],
        price_vnd=product["price_vnd"],
        # The one stock less this marketplace's buffer (the feed works it out; an older feed sends none).
        stock=max((product.get("channel_stock") or {}).get(marketplace, product["stock"]), 0),
        weight_kg=round(weight_g / 1000, 3),
        category_id=int(category_id),
        image_urls=images[:9],
        extras=extras,
        gtin=product.get("gtin") or None,
    )
