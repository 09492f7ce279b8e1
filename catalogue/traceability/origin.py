"""What an origin page shows of a lot, and how a machine names the link types of the same stamp.

The rating comes only from catalogue.products.certificates (and only for a listing the
office approved): the page never shows stars the product does not hold today.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from catalogue.extensions import db
from catalogue.products.certificates import certificate_state, rating_of
from catalogue.products.models import Certificate, Product
from catalogue.sync.models import MARKETPLACE_NAMES, MarketplaceListing
from catalogue.sync.services import is_listable
from catalogue.traceability.models import Lot, LotReport

GS1_VOC = "https://gs1.org/voc/"


@dataclass(frozen=True)
class BuyLink:
    """Somewhere the product can be bought."""

    name: str
    url: str
    ours: bool


@dataclass
class OriginFacts:
    """Everything the origin page of one lot shows."""

    lot: Lot
    product: Product
    rating: Certificate | None
    certificate_lapsed: bool
    lot_expired: bool
    on_sale: bool
    reports: list[LotReport]
    marketplaces: list[BuyLink] = field(default_factory=list)
    scans: int | str = 0  # a number, or the slot a cached page fills per view
    suspected_copy: bool = False


def origin_facts(lot: Lot, today: date, shopee_shop_id: str | None = None) -> OriginFacts:
    """The lot's page facts on `today` (scans are added by whoever counted this one)."""
    product = lot.product
    approved = product.review_status == "approved"
    state = certificate_state(product, today)
    return OriginFacts(
        lot=lot,
        product=product,
        rating=rating_of(product, today) if approved else None,
        certificate_lapsed=state in ("expired", "withdrawn"),
        lot_expired=lot.expires_on < today,
        on_sale=is_listable(product, today),
        reports=list(lot.reports),
        marketplaces=live_marketplaces(product.id, shopee_shop_id) if is_listable(product, today) else [],
    )


def live_marketplaces(product_id: int, shopee_shop_id: str | None = None) -> list[BuyLink]:
    """The marketplaces where the product's listing is live, with a link to it (never a link we cannot build)."""
    rows = db.session.execute(
        select(MarketplaceListing.marketplace, MarketplaceListing.external_id).where(
            MarketplaceListing.product_id == product_id, MarketplaceListing.status == "live"
        )
    ).all()
    links = []
    for name, external_id in sorted(rows):
        url = marketplace_url(name, external_id, shopee_shop_id) if external_id else None
        if url:
            links.append(BuyLink(MARKETPLACE_NAMES.get(name, name), url, ours=False))
    return links


def marketplace_url(marketplace: str, external_id: str, shopee_shop_id: str | None = None) -> str | None:
    """A listing's public page: Lazada's by item id, Shopee's by shop and item id (None without the shop's id),
    TikTok Shop's by product id (our external id is `product:sku`)."""
    if marketplace == "lazada":
        return f"https://www.lazada.vn/products/i{external_id}.html"
    if marketplace == "tiktok":
        return f"https://shop.tiktok.com/view/product/{external_id.partition(':')[0]}?region=VN&locale=vi-VN"
    if marketplace == "shopee" and shopee_shop_id:
        return f"https://shopee.vn/product/{shopee_shop_id}/{external_id}"
    return None


def link_type_curie(raw: str) -> str | None:
    """A requested link type as a GS1 Web vocabulary CURIE: `gs1:pip`, `https://gs1.org/voc/pip` (or ref.gs1.org's)
    and `pip` alike; None for another namespace's."""
    value = raw.strip()
    for prefix in (GS1_VOC, "https://ref.gs1.org/voc/", "http://gs1.org/voc/", "gs1:"):
        if value.startswith(prefix):
            value = value[len(prefix) :]
            break
    else:
        if ":" in value:
            return None
    return f"gs1:{value}" if re.fullmatch(r"[A-Za-z][A-Za-z0-9]{0,60}", value) else None
