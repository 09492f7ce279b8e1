"""Server side of marketplace sync: the change feed, listing state, cursors, marketplace sales.

The feed is ordered by the catalogue's monotonic change sequence (never timestamps):
every committed product change gets a higher `change_seq` than anything committed
before it (see catalogue.products.revision), so a client that remembers the last
(change_seq, id) it recorded misses nothing and sees nothing twice.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from catalogue import events, metrics
from catalogue.accounts.principal import Principal
from catalogue.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from catalogue.extensions import db
from catalogue.models_base import utcnow
from catalogue.products.models import Category, Certificate, Product
from catalogue.products.revision import feed_horizon
from catalogue.products.stock import take_stock
from catalogue.sync.models import (
    LISTING_STATUSES,
    MARKETPLACES,
    MAX_BUFFER,
    OVERSOLD,
    CertificateExpiryNotice,
    ChannelBuffer,
    MarketplaceListing,
    MarketplaceSale,
    MarketplaceSaleLine,
    SyncCursor,
)
from catalogue.transactions import use_case

MAX_FEED_LIMIT = 500


@dataclass(frozen=True)
class FeedPage:
    items: list[Product]
    next_cursor: str
    has_more: bool


def encode_cursor(change_seq: int, product_id: int) -> str:
    """An opaque cursor: clients pass it back, they never build one."""
    return base64.urlsafe_b64encode(f"v1:{change_seq}:{product_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[int, int]:
    """(change_seq, product_id) of a cursor; an empty cursor starts from the beginning."""
    if not cursor:
        return 0, 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, seq, product_id = text.split(":")
        if version != "v1":
            raise ValueError(version)
        return int(seq), int(product_id)
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise InvalidInput("Not a cursor this service gave out.", {"since": ["Invalid cursor."]}) from error


def check_marketplace(marketplace: str) -> str:
    if marketplace not in MARKETPLACES:
        raise NotFound(f"Unknown marketplace '{marketplace}'; known: {', '.join(MARKETPLACES)}.")
    return marketplace


def changes_since(cursor: str | None, limit: int) -> FeedPage:
    """Products changed after the cursor, oldest change first, archived and unrated ones included.

    On PostgreSQL only changes up to `feed_horizon()` are listed: numbers whose transactions may
    still commit wait for a later read, so the cursor never passes a change not yet visible.
    """
    seq, product_id = decode_cursor(cursor)
    horizon = feed_horizon()
    after = or_(Product.change_seq > seq, and_(Product.change_seq == seq, Product.id > product_id))
    rows = (
        db.session.scalars(
            select(Product)
            .where(after, *([Product.change_seq <= horizon] if horizon is not None else []))
            .order_by(Product.change_seq, Product.id)
            .limit(limit + 1)
            .options(
                joinedload(Product.current_certificate),
                joinedload(Product.producer),
                joinedload(Product.locality),
                joinedload(Product.category).joinedload(Category.group),
                selectinload(Product.images),
                selectinload(Product.marketplace_listings),  # the workers' shared memory, in the same page
                selectinload(Product.channel_buffers),  # what each listing keeps back of the one stock
            )
        )
        .unique()
        .all()
    )
    items, has_more = rows[:limit], len(rows) > limit
    last = items[-1] if items else None
    next_cursor = encode_cursor(last.change_seq, last.id) if last else (cursor or encode_cursor(0, 0))
    return FeedPage(items=list(items), next_cursor=next_cursor, has_more=has_more)


def is_listable(product: Product, today: date) -> bool:
    """A marketplace may show it: approved by the office, active and rated by a certificate valid today."""
    return product.status == "active" and product.review_status == "approved" and product.rating_on(today) is not None


@use_case
def record_listing(product_id: int, marketplace: str, values: dict, now: datetime) -> MarketplaceListing:
    """Upsert what the sync job did on a marketplace for a product."""
    check_marketplace(marketplace)
    if db.session.get(Product, product_id) is None:
        raise NotFound(f"No product {product_id}.")
    if values["status"] not in LISTING_STATUSES:
        raise InvalidInput("Unknown status.", {"status": [f"One of {', '.join(LISTING_STATUSES)}."]})
    metrics.SYNC_CALLS.labels(marketplace, values["status"]).inc()
    try:
        with db.session.begin_nested():
            return _upsert_listing(product_id, marketplace, values, now)
    except IntegrityError:  # two jobs recorded the same listing at once: the other one won, apply ours on top
        return _upsert_listing(product_id, marketplace, values, now)


def _upsert_listing(product_id: int, marketplace: str, values: dict, now: datetime) -> MarketplaceListing:
    listing = db.session.scalar(
        select(MarketplaceListing).where(
            MarketplaceListing.product_id == product_id, MarketplaceListing.marketplace == marketplace
        )
    ) or MarketplaceListing(product_id=product_id, marketplace=marketplace)
    listing.external_id = values.get("external_id") or listing.external_id
    listing.status = values["status"]
    listing.synced_version = values.get("synced_version")
    listing.error = values.get("error")
    listing.synced_at = now
    if "pushed" in values:  # absent: the marketplace still holds what was last pushed (e.g. after an error)
        pushed = values["pushed"] or {}
        listing.pushed_price_vnd = pushed.get("price_vnd")
        listing.pushed_stock = pushed.get("stock")
        listing.pushed_content = pushed.get("content")
    db.session.add(listing)
    db.session.flush()
    return listing


def listings_of(principal: Principal, product_id: int) -> list[MarketplaceListing]:
    """A product's listings, for its producer or the OCOP office."""
    product = db.session.get(Product, product_id)
    if product is None:
        raise NotFound(f"No product {product_id}.")
    if not (principal.is_admin or principal.can("sync") or principal.owns_producer(product.producer_id)):
        raise PermissionDenied("Only the product's producer, sync jobs or the OCOP office may see its listings.")
    return list(
        db.session.scalars(
            select(MarketplaceListing)
            .where(MarketplaceListing.product_id == product_id)
            .order_by(MarketplaceListing.marketplace)
        )
    )


def listings_by_product(product_ids: list[int]) -> dict[int, list[MarketplaceListing]]:
    """Every listing of these products, grouped by product (for the portal's dashboard)."""
    grouped: dict[int, list[MarketplaceListing]] = {}
    if not product_ids:
        return grouped
    for listing in db.session.scalars(
        select(MarketplaceListing)
        .where(MarketplaceListing.product_id.in_(product_ids))
        .order_by(MarketplaceListing.product_id, MarketplaceListing.marketplace)
    ):
        grouped.setdefault(listing.product_id, []).append(listing)
    return grouped


def get_cursor(marketplace: str) -> str:
    """Where the marketplace's job resumes ('' = from the beginning)."""
    check_marketplace(marketplace)
    saved = db.session.get(SyncCursor, marketplace)
    return encode_cursor(saved.change_seq, saved.product_id) if saved else ""


@use_case
def save_cursor(marketplace: str, cursor: str) -> str:
    """Remember how far the marketplace's job has recorded; moving it backwards is a Conflict, and changes nothing."""
    check_marketplace(marketplace)
    position = decode_cursor(cursor)
    saved = db.session.get(SyncCursor, marketplace) or SyncCursor(marketplace=marketplace, change_seq=0, product_id=0)
    if position < (saved.change_seq, saved.product_id):
        current = encode_cursor(saved.change_seq, saved.product_id)
        raise Conflict(
            f"The cursor is behind the one saved for {marketplace} ({current}): a cursor never moves back.",
            {"cursor": [f"Must not be behind {current}."]},
        )
    saved.change_seq, saved.product_id = position
    db.session.add(saved)
    return encode_cursor(saved.change_seq, saved.product_id)


@use_case
def record_marketplace_sale(
    marketplace: str, external_order_id: str, lines: list[dict]
) -> tuple[MarketplaceSale, bool]:
    """Take our stock for a marketplace sale, once per external order id.

    Returns (sale, created). A line whose SKU is unknown or whose stock is short takes
    nothing (stock never goes below zero) and flags the sale for the OCOP office. A short
    line is an **oversell** (`problem == OVERSOLD`): the units were sold on another channel
    first, the marketplace sold what we no longer have; the producer sees it at once in the
    portal (`oversells`), with what to do: cancel the order on that marketplace. Its
    cancellation, reported like any other, takes it off the list.
    """
    check_marketplace(marketplace)
    existing = _sale(marketplace, external_order_id)
    if existing is not None and existing.cancelled_at is not None:
        return existing, False  # cancelled on the marketplace: a late or repeated report takes nothing
    if existing is not None:
        return _same_sale(existing, lines), False
    sale = MarketplaceSale(marketplace=marketplace, external_order_id=external_order_id)
    skus = {line["sku"] for line in lines}
    products = {product.sku: product for product in db.session.scalars(select(Product).where(Product.sku.in_(skus)))}
    for line in sorted(lines, key=lambda item: item["sku"]):  # a stable lock order
        product = products.get(line["sku"])
        sale_line = MarketplaceSaleLine(
            sku=line["sku"],
            quantity=line["quantity"],
            product_id=product.id if product else None,
            unit_price_vnd=product.price_vnd if product else None,
        )
        if product is None:
            sale_line.problem = "unknown SKU"
        elif take_stock(product.id, line["quantity"]):
            sale_line.stock_taken = True
        else:
            sale_line.problem = OVERSOLD
        sale.lines.append(sale_line)
    sale.flagged = any(line.problem for line in sale.lines)
    try:
        with db.session.begin_nested():
            db.session.add(sale)
    except IntegrityError:  # the same sale reported twice at once: the other report took the stock
        db.session.rollback()
        return _same_sale(_sale(marketplace, external_order_id), lines), False
    sold: dict[int, int] = {}
    for line in sale.lines:
        if line.product_id is not None:
            sold[line.product_id] = sold.get(line.product_id, 0) + line.quantity
    events.publish(events.SaleRecorded(marketplace, external_order_id, tuple(sorted(sold.items()))))
    for line in sale.lines:
        if line.problem == OVERSOLD:
            metrics.SYNC_CALLS.labels(marketplace, "oversold").inc()
    return sale, True


# --- one stock, every channel: buffers and oversells ----------------------------------------------------


def buffers_of(product: Product) -> dict[str, int]:
    """Units each marketplace's listing keeps back (0 where none is set)."""
    return {buffer.marketplace: buffer.units for buffer in product.channel_buffers}


@use_case
def set_buffers(principal: Principal, product_id: int, units: dict[str, int]) -> dict[str, int]:
    """Set how many units each marketplace listing keeps back; the product re-enters the change feed.

    Only the product's producer (catalogue:write) or the OCOP office. Unnamed marketplaces keep theirs.
    """
    product = db.session.get(Product, product_id)
    if product is None:
        raise NotFound(f"No product {product_id}.")
    if not (principal.is_admin or (principal.can("catalogue:write") and principal.owns_producer(product.producer_id))):
        raise PermissionDenied("Only the product's producer or the OCOP office may set its channel buffers.")
    problems = {
        marketplace: [f"A whole number from 0 to {MAX_BUFFER}."]
        for marketplace, value in units.items()
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_BUFFER
    }
    problems.update({name: [f"One of {', '.join(MARKETPLACES)}."] for name in units if name not in MARKETPLACES})
    if problems:
        raise InvalidInput("Invalid channel buffers.", problems)
    held = {buffer.marketplace: buffer for buffer in product.channel_buffers}
    changed = False
    for marketplace, value in units.items():
        buffer = held.get(marketplace)
        if buffer is None:
            if value:
                product.channel_buffers.append(ChannelBuffer(marketplace=marketplace, units=value))
                changed = True
        elif buffer.units != value:
            buffer.units, changed = value, True
    if changed:
        product.updated_at = utcnow()  # a new version and change number: every listing's stock is pushed again
    db.session.flush()
    return buffers_of(product)


@dataclass(frozen=True)
class Oversell:
    """A marketplace order line for units already gone: the producer must cancel the order there."""

    line: MarketplaceSaleLine
    sale: MarketplaceSale
    product: Product


def oversells(principal: Principal, product_id: int | None = None, limit: int = 200) -> list[Oversell]:
    """Open oversells (the order not cancelled yet), newest first: the producer's own, or all for the office."""
    query = (
        select(MarketplaceSaleLine, MarketplaceSale, Product)
        .join(MarketplaceSale, MarketplaceSale.id == MarketplaceSaleLine.sale_id)
        .join(Product, Product.id == MarketplaceSaleLine.product_id)
        .where(MarketplaceSaleLine.problem == OVERSOLD, MarketplaceSale.cancelled_at.is_(None))
        .order_by(MarketplaceSale.created_at.desc(), MarketplaceSaleLine.id.desc())
        .limit(limit)
    )
    if not principal.is_admin:
        if principal.producer_id is None:
            return []
        query = query.where(Product.producer_id == principal.producer_id)
    if product_id is not None:
        query = query.where(Product.id == product_id)
    return [Oversell(line, sale, product) for line, sale, product in db.session.execute(query).all()]


def _same_sale(recorded: MarketplaceSale, lines: list[dict]) -> MarketplaceSale:
    """The recorded sale, when `lines` are what it recorded; a Conflict when the same id comes with other lines."""
    sent = sorted((line["sku"], line["quantity"]) for line in lines)
    if sent != sorted((line.sku, line.quantity) for line in recorded.lines):
        raise Conflict(
            f"Marketplace order {recorded.external_order_id} was already recorded with other lines; nothing changed.",
            {"lines": ["Differ from the lines recorded for this external_order_id."]},
        )
    return recorded


def _sale(marketplace: str, external_order_id: str) -> MarketplaceSale | None:
    return db.session.scalar(
        select(MarketplaceSale)
        .where(MarketplaceSale.marketplace == marketplace, MarketplaceSale.external_order_id == external_order_id)
        .options(selectinload(MarketplaceSale.lines))
    )


@use_case
def notice_expired_certificates(today: date) -> int:
    """Put products whose rating expired into the change feed (once per certificate), so sync unlists them."""
    expired = db.session.execute(
        select(Product, Certificate)
        .join(Certificate, Certificate.id == Product.current_certificate_id)
        .outerjoin(CertificateExpiryNotice, CertificateExpiryNotice.certificate_id == Certificate.id)
        .where(Certificate.expires_on < today, CertificateExpiryNotice.certificate_id.is_(None))
        .limit(1000)
    ).all()
    for product, certificate in expired:
        db.session.add(CertificateExpiryNotice(certificate_id=certificate.id, product_id=product.id))
        product.updated_at = utcnow()  # a change: the flush listener stamps a new change_seq
    return len(expired)
