"""A kept origin page is never stale: whatever it shows changes at once, though a hit reads only two numbers.

Each change goes through the path its user takes (the producer's portal, the office's portal, the sync
worker's API, the scan flusher, midnight) after the page was kept and served from the cache; the next view
shows it. Then the guard for writers to come: every table the page reads is the catalogue's (its shown
revision) or renumbers the lot in the database itself, whatever writes it (catalogue.traceability.page_revision).
"""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import inspect, select, text

from catalogue.accounts.principal import SYSTEM
from catalogue.extensions import db
from catalogue.products.revision import TRACKED_MODELS
from catalogue.traceability import page_revision, reports, scans
from catalogue.traceability.models import Lot
from tests.access_helpers import auth, cast, portal_client
from tests.conftest import count_statements
from tests.storefront_helpers import csrf_token
from tests.traceability.traceability_helpers import a_lot, browser, pdf_bytes

SHOPPER = "203.0.113.10"
_TABLES = re.compile(r'\b(?:FROM|JOIN)\s+"?([a-z_]+)"?', re.IGNORECASE)


@pytest.fixture
def world(app):
    world = cast()
    world["lot"] = a_lot(world["product"])
    return world


def _view(app, lot_code: str) -> str:
    """The origin page as one shopper sees it (the same client each time: one scan, then repeats)."""
    return browser(app, address=SHOPPER).get(f"/t/{lot_code}").get_data(as_text=True)


def _kept(app, lot_code: str) -> str:
    """View the page, then check the next view is a cache hit (one read: the two numbers); the page shown."""
    _view(app, lot_code)
    with count_statements(db.engine, raw=True) as statements:
        html = _view(app, lot_code)
    assert len(statements) == 1 and "page_revision FROM lots WHERE id" in statements[0], statements
    return html


def _facts(html: str) -> str:
    return html.split('data-testid="lot-facts"', 1)[1].split("</dl>", 1)[0]


# --- Each thing the page shows, changed the way its user changes it ------------------------------------------


def test_a_lot_corrected_in_the_portal_shows_at_once(app, world):
    product, lot = world["product"], world["lot"]
    before = _kept(app, lot.code)
    owner = portal_client(app, world, "owner")
    path = f"/portal/products/{product.id}/lots/{lot.id}"

    saved = owner.post(
        path,
        data={
            "csrf_token": csrf_token(owner, path),
            "lot_number": "L2611-09",
            "produced_on": "2026-11-02",
            "expires_on": "2027-12-31",
            "quantity": "120",
            "origin_ward": "Xã Bình Liêu",
        },
    )

    after = _view(app, lot.code)
    assert saved.status_code == 303
    assert "<dd>L2611-01</dd>" in _facts(before) and "<dd>5</dd>" in _facts(before)
    for shown in ("<dd>L2611-09</dd>", "<dd>02/11/2026</dd>", "<dd>31/12/2027</dd>", "<dd>120</dd>"):
        assert shown in _facts(after), shown


def test_a_lot_changed_through_the_api_shows_at_once(app, world):
    product, lot = world["product"], world["lot"]
    _kept(app, lot.code)

    changed = app.test_client().patch(
        f"/api/v1/products/{product.id}/lots/{lot.id}", json={"quantity": 77}, headers=auth(world["tokens"]["owner"])
    )

    assert changed.status_code == 200
    assert "<dd>77</dd>" in _facts(_view(app, lot.code))


def test_a_report_added_in_the_portal_shows_at_once(app, world):
    product, lot = world["product"], world["lot"]
    before = _kept(app, lot.code)
    owner = portal_client(app, world, "owner")
    path = f"/portal/products/{product.id}/lots/{lot.id}"

    added = owner.post(
        f"{path}/reports",
        data={
            "csrf_token": csrf_token(owner, path),
            "title": "Phiếu kết quả thử nghiệm số 42",
            "report": (io.BytesIO(pdf_bytes()), "kq.pdf"),
        },
        content_type="multipart/form-data",
    )

    after = _view(app, lot.code)
    assert added.status_code == 303
    assert "Lô này chưa có phiếu kiểm nghiệm được đăng." in before
    assert "Phiếu kết quả thử nghiệm số 42" in after and "chưa có phiếu kiểm nghiệm" not in after


def test_a_marketplace_listing_going_live_and_off_shows_at_once_and_a_push_alone_keeps_the_page(app, world):
    product, lot = world["product"], world["lot"]
    sync = app.test_client()
    url = f"/api/v1/products/{product.id}/listings/lazada"
    headers = auth(world["tokens"]["sync_token"])
    pushed = {"price_vnd": 85000, "stock": 10, "content": "0123456789abcdef"}
    lazada = "https://www.lazada.vn/products/i2345.html"
    assert lazada not in _kept(app, lot.code)

    live = sync.put(url, json={"external_id": "2345", "status": "live", "pushed": pushed}, headers=headers)
    assert live.status_code == 200 and lazada in _view(app, lot.code)

    # A stock push changes nothing the page shows (pushed figures, synced_at): the page stays kept.
    again = sync.put(url, json={"status": "live", "pushed": {**pushed, "stock": 9}}, headers=headers)
    assert again.status_code == 200 and lazada in _kept(app, lot.code)

    off = sync.put(url, json={"status": "delisted", "pushed": None}, headers=headers)
    assert off.status_code == 200 and lazada not in _view(app, lot.code)


def test_the_flushed_scan_count_and_the_copy_warning_show_at_once(app, world):
    lot = a_lot(world["product"], lot_number="L2611-02", quantity=1)
    first = _kept(app, lot.code)
    for network in range(1, 5):  # four networks for one unit: more than 3 × 1, a copied stamp
        browser(app, address=f"198.51.100.{network}").get(f"/t/{lot.code}")

    scans.flush()  # what each worker's flusher (or the beat job) does

    after = _view(app, lot.code)  # a repeat view: the flushed count, nothing added
    # The shopper's first view counted itself (1); this repeat shows the flushed count, none yet.
    assert re.search(r'data-testid="scan-count">0<', first) and 'data-testid="suspected-copy"' not in first
    assert re.search(r'data-testid="scan-count">5<', after) and 'data-testid="suspected-copy"' in after


def test_a_certificate_corrected_by_the_office_changes_the_stars_at_once(app, world):
    product, lot = world["product"], world["lot"]
    certificate = product.current_certificate
    assert "OCOP 4 sao" in _kept(app, lot.code)
    office = portal_client(app, world, "admin")
    prefix = f"correct-{certificate.id}"

    corrected = office.post(
        f"/portal/admin/products/{product.id}/certificates/{certificate.id}/correct",
        data={
            f"{prefix}-csrf_token": csrf_token(office),
            f"{prefix}-certificate_no": certificate.certificate_no,
            f"{prefix}-stars": "3",
            f"{prefix}-issuing_level": certificate.issuing_level,
            f"{prefix}-issued_on": certificate.issued_on.isoformat(),
            f"{prefix}-reason": "Gõ nhầm hạng khi nhập",
        },
    )

    after = _view(app, lot.code)
    assert corrected.status_code == 303
    assert "OCOP 3 sao" in after and "OCOP 4 sao" not in after


def test_a_certificate_withdrawn_by_the_office_drops_the_stars_at_once(app, world):
    product, lot = world["product"], world["lot"]
    certificate_id = product.current_certificate_id
    assert "OCOP 4 sao" in _kept(app, lot.code)
    office = portal_client(app, world, "admin")

    withdrawn = office.post(
        f"/portal/admin/products/{product.id}/certificates/{certificate_id}/withdraw",
        data={
            f"withdraw-{certificate_id}-csrf_token": csrf_token(office),
            f"withdraw-{certificate_id}-reason": "Quyết định bị huỷ",
        },
    )

    after = _view(app, lot.code)
    assert withdrawn.status_code == 303
    assert "OCOP 4 sao" not in after and "★" not in after.split("origin-badge", 1)[1]
    assert 'data-testid="certificate-lapsed"' in after and "Sản phẩm hiện không bán trực tuyến." in after


def test_a_certificate_expiring_at_midnight_drops_the_stars_with_no_write(app, world):
    product, lot = world["product"], world["lot"]
    assert "OCOP 4 sao" in _kept(app, lot.code)

    app.config["CATALOGUE_TODAY"] = product.current_certificate.expires_on + timedelta(days=1)

    after = _view(app, lot.code)
    assert "OCOP 4 sao" not in after and 'data-testid="certificate-lapsed"' in after


def test_a_product_taken_off_sale_through_the_api_shows_at_once(app, world):
    product, lot = world["product"], world["lot"]
    assert 'data-testid="where-to-buy"' in _kept(app, lot.code)

    archived = app.test_client().delete(
        f"/api/v1/products/{product.id}", headers={**auth(world["tokens"]["owner"]), "If-Match": "*"}
    )

    assert archived.status_code in (200, 204)
    after = _view(app, lot.code)
    assert 'data-testid="where-to-buy"' not in after and "Sản phẩm hiện không bán trực tuyến." in after


# --- The guard: every table the page reads is covered, whoever writes it -------------------------------------


def _catalogue_tables() -> set[str]:
    return {model.__tablename__ for model in TRACKED_MODELS}


def test_every_table_the_page_reads_is_the_catalogues_or_renumbers_the_lot(app, world):
    from catalogue.sync.services import record_listing

    lot = world["lot"]
    reports.add_report(SYSTEM, lot.id, "Phiếu", pdf_bytes(), "kq.pdf")
    record_listing(world["product"].id, "lazada", {"external_id": "2345", "status": "live"}, datetime.now(UTC))
    scans.record(lot.id, "198.51.100.1", "Mozilla/5.0 (Android 14) Mobile", date(2026, 11, 21))
    scans.flush()

    with count_statements(db.engine, raw=True) as statements:  # a miss: everything the page is made of
        html = _view(app, lot.code)

    read = {table.lower() for sql in statements for table in _TABLES.findall(sql)}
    assert "Phiếu" in html and "lazada.vn" in html  # the page read every kind of thing it can show
    assert {"lots", "lot_reports", "lot_scan_days", "marketplace_listings", "products"} <= read
    uncovered = read - _catalogue_tables() - set(page_revision.COVERED_TABLES) - {"change_counters"}
    assert uncovered == set(), f"the origin page reads {uncovered}: make it renumber the lot (migration triggers)"


# Every column of every covered table: the value a raw UPDATE sets it to. A new column fails here until it is given
# one, and for listings, until it is said whether the page shows it.
_PRODUCED = date(2026, 10, 1)
NEW_VALUES = {
    "lots": {
        "product_id": "other",
        "lot_number": "L-RAW",
        "code": "RAWCODE1",
        "produced_on": _PRODUCED,
        "expires_on": date(2028, 1, 1),
        "quantity": 99,
        "origin_ward_code": "99999",
        "origin_ward_name": "Xã Khác",
        "suspected_copy_at": datetime(2026, 11, 21, tzinfo=UTC),
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
        "updated_at": datetime(2026, 1, 2, tzinfo=UTC),
    },
    "lot_reports": {
        "lot_id": "other lot",
        "title": "Đổi tên",
        "kind": "image",
        "media_type": "image/png",
        "path": "reports/x.png",
        "size_bytes": 7,
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
    },
    "lot_scan_days": {"lot_id": "other lot", "day": date(2026, 11, 20), "scans": 41},
    "marketplace_listings": {
        "product_id": "other",
        "marketplace": "tiktok",
        "external_id": "9999",
        "status": "error",
        "synced_version": 12,
        "error": "refused",
        "synced_at": datetime(2026, 1, 1, tzinfo=UTC),
        "pushed_price_vnd": 1,
        "pushed_stock": 2,
        "pushed_content": "abc",
    },
}
KEYS = {"lots": {"id", "page_revision"}, "lot_reports": {"id"}, "lot_scan_days": set(), "marketplace_listings": {"id"}}


def _numbers(connection) -> dict[int, int]:
    return dict(connection.execute(text("SELECT id, page_revision FROM lots")).all())


def _rows(world) -> dict:
    """One row in each covered table, for the world's lot and product; ids of another lot and product."""
    lot, other = world["lot"], a_lot(world["other_product"], lot_number="L-OTHER")
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO lot_reports (lot_id, title, kind, media_type, path, size_bytes, created_at) "
                "VALUES (:lot, 'Phiếu', 'pdf', 'application/pdf', 'reports/a.pdf', 5, :now)"
            ),
            {"lot": lot.id, "now": datetime(2026, 11, 21, tzinfo=UTC)},
        )
        connection.execute(text("INSERT INTO lot_scan_days (lot_id, day, scans) VALUES (:lot, :day, 1)"),
                           {"lot": lot.id, "day": date(2026, 11, 21)})  # fmt: skip
        connection.execute(
            text(
                "INSERT INTO marketplace_listings (product_id, marketplace, external_id, status, synced_at) "
                "VALUES (:product, 'lazada', '1', 'live', :now)"
            ),
            {"product": world["product"].id, "now": datetime(2026, 11, 21, tzinfo=UTC)},
        )
    return {"lot": lot.id, "other lot": other.id, "product": world["product"].id, "other": world["other_product"].id}


def test_every_write_to_a_covered_table_renumbers_the_lot_whoever_makes_it(app, world):
    """Raw SQL on a connection of its own, knowing nothing of the app: the database renumbers the lot itself."""
    ids = _rows(world)
    lot, other_lot = ids["lot"], ids["other lot"]
    columns = {table: {c["name"] for c in inspect(db.engine).get_columns(table)} for table in NEW_VALUES}
    for table, values in NEW_VALUES.items():
        assert columns[table] - KEYS[table] == set(values), f"classify the new columns of {table} here"
    assert set(NEW_VALUES) == set(page_revision.COVERED_TABLES)
    where = {
        "lots": ("id = :id", lot),
        "lot_reports": ("lot_id = :id", lot),
        "lot_scan_days": ("lot_id = :id", lot),
        "marketplace_listings": ("product_id = :id", ids["product"]),
    }
    moved_by = {}
    for table, values in NEW_VALUES.items():
        for column, value in values.items():
            value = ids.get(value, value) if isinstance(value, str) else value
            condition, key = where[table]
            with db.engine.connect() as connection:  # each write alone, rolled back after the look
                before = _numbers(connection)
                connection.execute(text(f"UPDATE {table} SET {column} = :value WHERE {condition}"),
                                   {"value": value, "id": key})  # fmt: skip
                after = _numbers(connection)
                connection.rollback()
            moved_by[(table, column)] = after[lot] != before[lot]
            if table != "lots" and column in ("lot_id", "product_id"):  # moved to another lot or product: both pages
                assert after[other_lot] != before[other_lot], (table, column)

    shown_listing = set(page_revision.SHOWN_LISTING_COLUMNS)
    expected = {
        (table, column): table != "marketplace_listings" or column in shown_listing
        for table, values in NEW_VALUES.items()
        for column in values
    }
    assert moved_by == expected


def test_inserts_deletes_and_the_flushers_upsert_renumber_the_lot(app, world):
    ids = _rows(world)
    lot = ids["lot"]
    day = date(2026, 11, 21)
    upsert = (
        "INSERT INTO lot_scan_days (lot_id, day, scans) VALUES (:lot, :day, 1) "
        "ON CONFLICT (lot_id, day) DO UPDATE SET scans = lot_scan_days.scans + 1"
    )
    writes = {
        "a report added": ("INSERT INTO lot_reports (lot_id, title, kind, media_type, path, size_bytes, created_at) "
                           "VALUES (:lot, 'B', 'pdf', 'application/pdf', 'reports/b.pdf', 5, :now)"),
        "a report removed": "DELETE FROM lot_reports WHERE lot_id = :lot",
        "a day's scans counted again": upsert,
        "a new day's scans": upsert.replace(":day", ":next"),
        "scans removed": "DELETE FROM lot_scan_days WHERE lot_id = :lot",
        "a listing added": ("INSERT INTO marketplace_listings (product_id, marketplace, external_id, status, synced_at)"
                            " VALUES (:product, 'shopee', '2', 'live', :now)"),
        "a listing removed": "DELETE FROM marketplace_listings WHERE product_id = :product",
        "a lot added": ("INSERT INTO lots (product_id, lot_number, code, produced_on, expires_on, quantity, "
                        "origin_ward_code, origin_ward_name, created_at, updated_at) VALUES (:product, 'L-NEW', "
                        "'NEWCODE1', :day, :next, 1, '1', 'X', :now, :now)"),
    }  # fmt: skip
    parameters = {
        "lot": lot,
        "product": ids["product"],
        "day": day,
        "next": date(2026, 11, 22),
        "now": datetime(2026, 11, 21, tzinfo=UTC),
    }
    seen = set()
    for what, sql in writes.items():
        with db.engine.begin() as connection:
            before = _numbers(connection)
            connection.execute(text(sql), parameters)
            after = _numbers(connection)
        new_lots = set(after) - set(before)
        if new_lots:  # a new lot gets a number no lot ever had
            assert all(after[new] not in seen | set(before.values()) for new in new_lots), what
        else:
            assert after[lot] > before[lot], what
        seen |= set(before.values()) | set(after.values())


def test_a_lot_made_where_a_deleted_one_was_never_takes_its_number(app, world):
    product_id = world["product"].id
    lot = a_lot(world["product"], lot_number="L-GONE")
    gone_id = lot.id
    with db.engine.begin() as connection:
        taken = connection.scalar(text("SELECT page_revision FROM lots WHERE id = :id"), {"id": gone_id})
        connection.execute(text("DELETE FROM lots WHERE id = :id"), {"id": gone_id})
    db.session.expire_all()

    again = a_lot(world["product"], lot_number="L-GONE")

    number = db.session.scalar(select(Lot.page_revision).where(Lot.id == again.id))
    assert again.product_id == product_id and number > taken
