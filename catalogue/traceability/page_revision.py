"""What a cached origin page is checked against: the catalogue's shown revision and the lot's page revision.

An origin page (`/t/{code}`, catalogue.storefront.resolver) shows two kinds of things:

- the catalogue's: the product, its pictures, producer, locality and certificate (the OCOP stars, the
  "lapsed" warning, whether it is on sale). Every write to them moves the catalogue's *shown* revision
  (catalogue.products.revision), and the day is in the cache key, so a certificate that expires at
  midnight drops the stars with no write at all;
- the lot's own: its row (number, dates, quantity, origin, the copy warning), its reports, its scans as
  flushed (`lot_scan_days`) and its product's live marketplace listings (`SHOWN_LISTING_COLUMNS`).

The lot's own things are written by many hands: the portal, the API, the scan flusher (Core
statements), the marketplace sync. So the number that covers them, `lots.page_revision`, is not kept
by the writers but by the database: triggers (migration 0029) give a lot a new number on any INSERT,
UPDATE or DELETE of its row, of its rows in `LOT_CHILDREN`, and of a listing of its product (an
update only when a shown column changes), in the writer's own transaction. ORM, Core, raw SQL or
another program: no writer can forget it. Numbers come from one source (a sequence on PostgreSQL, the
`change_counters` row 'lot_pages' on SQLite) and are never reused, also by a lot made where a deleted
one was. tests/traceability/test_origin_freshness.py writes every column of these tables and checks
the number moved, and checks that the page reads no other table.

So a hit reads two numbers by primary key in one statement (`current`), as a product page's hit reads
the shown revision and its product's version; a miss reads them with the scans and the copy flag
(`page_state`), and the page keeps that scan count (a slot, filled per view with the count plus this
view when it is a new scan: a flush moves the page revision, so the kept count is never stale).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from catalogue.products.freshness import hit_engine, run_raw
from catalogue.products.revision import CATALOGUE

# Tables whose rows belong to one lot (`lot_id`), every column shown: a write to any of them renumbers the lot.
LOT_CHILDREN = ("lot_reports", "lot_scan_days")
# What the page shows of a product's marketplace listing: a change to any renumbers every lot of the product.
SHOWN_LISTING_COLUMNS = ("product_id", "marketplace", "external_id", "status")
# Every table the triggers cover (besides the catalogue's, which the shown revision covers).
COVERED_TABLES = ("lots", *LOT_CHILDREN, "marketplace_listings")

_SHOWN = f"(SELECT shown FROM change_counters WHERE name = '{CATALOGUE}')"


@dataclass(frozen=True)
class PageState:
    """A lot's origin page state as a miss reads it: the numbers a hit compares, the scans and the copy flag."""

    lot_id: int
    revision: tuple[int, int]  # (catalogue's shown revision, lot's page revision)
    scans: int
    suspected: bool


def _marker() -> str:
    return "?" if hit_engine().dialect.paramstyle == "qmark" else "%s"


def _rows(sql: str, lot_id: int, session: Session | None) -> list[tuple]:
    if session is not None:
        return session.connection().exec_driver_sql(sql, (lot_id,)).fetchall()
    return run_raw(hit_engine(), sql, (lot_id,))


def current(lot_id: int, session: Session | None = None) -> tuple[int, int] | None:
    """(shown revision, page revision) of the lot, None when it is gone: a hit's one read, by primary keys.

    Through `session` when given (its snapshot is what the answer would read), else on the cache's hit engine.
    """
    rows = _rows(f"SELECT {_SHOWN}, page_revision FROM lots WHERE id = {_marker()}", lot_id, session)
    return (rows[0][0] or 0, rows[0][1]) if rows else None


def page_state(lot_id: int, session: Session | None = None) -> PageState | None:
    """The lot's page state (None when it is gone), read before the page is rendered."""
    sql = (
        f"SELECT {_SHOWN}, l.page_revision, l.suspected_copy_at, "
        "(SELECT COALESCE(SUM(d.scans), 0) FROM lot_scan_days d WHERE d.lot_id = l.id) "
        f"FROM lots l WHERE l.id = {_marker()}"
    )
    rows = _rows(sql, lot_id, session)
    if not rows:
        return None
    shown, page_revision, suspected_at, scans = rows[0]
    return PageState(lot_id, (shown or 0, page_revision), int(scans), suspected_at is not None)
