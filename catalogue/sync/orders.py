"""Marketplace orders on the server: the order cursor, cancellations, and pushes from the marketplaces.

A sale is reported once per external order id (`services.record_marketplace_sale`), by the
worker's cursor import or by a push, whichever comes first. A cancellation gives back the
stock the sale took, once: the sale row is marked with one conditional UPDATE, so two
reports racing for it return the stock once. A cancellation of an order never reported
records it as cancelled, so a late report of the same order takes nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from catalogue.errors import Conflict
from catalogue.extensions import db
from catalogue.products.models import Product
from catalogue.products.stock import return_stock
from catalogue.reports.rollup import rebuild_day_of
from catalogue.sync.models import MarketplaceSale, MarketplaceSaleLine, SyncCursor
from catalogue.sync.services import _sale, check_marketplace
from catalogue.transactions import use_case


def get_orders_cursor(marketplace: str) -> int | None:
    """Unix time before which every order update of the marketplace was reported (None: never)."""
    check_marketplace(marketplace)
    saved = db.session.get(SyncCursor, marketplace)
    return saved.orders_updated_after if saved else None


@use_case
def save_orders_cursor(marketplace: str, updated_after: int | None) -> int | None:
    """Move the marketplace's order cursor forward; moving it back is a Conflict, and changes nothing. `None` (never)
    is accepted as documented while no cursor is saved: it saves nothing; after one, it would move back."""
    check_marketplace(marketplace)
    saved = db.session.get(SyncCursor, marketplace) or SyncCursor(marketplace=marketplace, change_seq=0, product_id=0)
    if updated_after is None and saved.orders_updated_after is None:
        return None
    if saved.orders_updated_after is not None and (updated_after is None or updated_after < saved.orders_updated_after):
        raise Conflict(
            f"The order cursor is behind the one saved for {marketplace} ({saved.orders_updated_after}).",
            {"updated_after": [f"Must not be behind {saved.orders_updated_after}."]},
        )
    saved.orders_updated_after = updated_after
    db.session.add(saved)
    return updated_after


@use_case
def cancel_marketplace_sale(
    marketplace: str, external_order_id: str, lines: list[dict], now: datetime
) -> tuple[MarketplaceSale, bool]:
    """The marketplace cancelled an order: give back the stock its sale took, once. (sale, changed)."""
    check_marketplace(marketplace)
    sale = _sale(marketplace, external_order_id)
    if sale is None:
        return _record_cancelled(marketplace, external_order_id, lines, now)
    marked = db.session.execute(
        update(MarketplaceSale)
        .where(MarketplaceSale.id == sale.id, MarketplaceSale.cancelled_at.is_(None))
        .values(cancelled_at=now)
        .execution_options(synchronize_session=False)
    )
    if marked.rowcount != 1:
        return sale, False  # cancelled before: its stock is back already
    for line in sorted(sale.lines, key=lambda item: item.sku):  # the stable lock order of the sale itself
        if line.stock_taken and line.product_id is not None:
            return_stock(line.product_id, line.quantity)
    db.session.refresh(sale)
    rebuild_day_of(sale.created_at)  # the update above went around the flush that keeps the rollup
    return sale, True


def _record_cancelled(
    marketplace: str, external_order_id: str, lines: list[dict], now: datetime
) -> tuple[MarketplaceSale, bool]:
    """An order cancelled before it was reported: remember it, taking nothing, so a late report takes nothing."""
    skus = {line["sku"] for line in lines}
    ids = dict(db.session.execute(select(Product.sku, Product.id).where(Product.sku.in_(skus))).all()) if skus else {}
    sale = MarketplaceSale(marketplace=marketplace, external_order_id=external_order_id, cancelled_at=now)
    for line in sorted(lines, key=lambda item: item["sku"]):
        sale.lines.append(
            MarketplaceSaleLine(sku=line["sku"], quantity=line["quantity"], product_id=ids.get(line["sku"]))
        )
    try:
        with db.session.begin_nested():
            db.session.add(sale)
    except IntegrityError:  # reported at the same moment: cancel that sale instead
        db.session.rollback()
        return cancel_marketplace_sale(marketplace, external_order_id, lines, now)
    return sale, True
