"""Every portal page fits a 360 px phone: signed in as a producer and as the office, Chromium opens each GET page
of the app's url_map under /portal (ids filled from the data made here) and measures the document's width.

The pages are enumerated from the url_map, not listed by hand: a new portal page is measured without anyone
remembering to add it here (or the test fails, naming the parameter it cannot fill).
"""

from __future__ import annotations

import re

import pytest
from flask import current_app

from catalogue import clock
from catalogue.accounts import services as accounts
from catalogue.delivery.models import Parcel
from catalogue.delivery.parcels import new_parcel
from catalogue.delivery.quotes import ParcelQuote
from catalogue.extensions import db
from catalogue.imports import jobs
from catalogue.sync.models import MarketplaceListing
from tests import factories
from tests.access_helpers import PASSWORD, cast
from tests.browser.conftest import sign_in_page
from tests.invoices.invoice_helpers import issue_for
from tests.live import serving
from tests.live_selling.live_helpers import OFFICE, producer, session_for
from tests.traceability.traceability_helpers import a_lot

PHONE = {"width": 360, "height": 780}
# Files, not pages: a CSV, an XML invoice, a stamp sheet, an export. Each is named so a new one is a decision.
FILES = {
    "portal_invoices.invoices_export",
    "portal_invoices.invoice_xml",
    "portal.stamp_file",
    "portal.producer_export",
    "portal_admin.office_export",
    "portal.export_range",
    "portal_admin.export_catalogue",
    "portal.live_qr",
    "portal.parcel_label",
}
# Pages only the office opens, and pages only a producer's own data fills.
PRODUCER_ONLY = {
    "portal.new_product",
    "portal.product",
    "portal.new_lot",
    "portal.lot",
    "portal.reports",
    "portal.bulk_update",
    "portal.bulk_photos",
    "portal.new_live_session",
    "portal.live_session",
}
LONG = "Miến dong Bình Liêu loại đặc biệt, sợi nhỏ, túi quà tặng cao cấp 500 g (hộp giấy kraft)"


def _parcel(owner) -> Parcel:
    quote = ParcelQuote(owner.id, owner.slug, owner.name, 1500, 42_000, "carrier", "same_province", "ghn", "express", 2)
    parcel = new_parcel(quote)
    parcel.tracking_code = "GHN-QN-2611-00000000012345"
    return parcel


def _get_pages() -> list[tuple[str, str]]:
    """(endpoint, rule) of every GET page under /portal that answers HTML."""
    rules = [r for r in current_app.url_map.iter_rules() if r.rule.startswith("/portal") and "GET" in r.methods]
    return sorted((r.endpoint, r.rule) for r in rules if r.endpoint not in FILES and r.endpoint != "portal_auth.login")


def _fill(rule: str, ids: dict) -> str:
    def one(match: re.Match) -> str:
        name = match.group(1).split(":")[-1]
        assert name in ids, f"the width test cannot fill <{name}> in {rule}: add it to the ids"
        return str(ids[name])

    return re.sub(r"<([^>]+)>", one, rule)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_every_portal_page_fits_a_360_px_phone(browser, app, screenshot):
    # Given a producer with a long-named product, a lot, a paid order and its invoice
    world = cast()  # the office has its second factor (sign_in_page types the code)
    product = world["product"]
    product.name = LONG
    product.unit = "hộp quà tặng 500 g kèm túi giấy"
    db.session.commit()
    db.session.add_all(
        [
            MarketplaceListing(
                product_id=product.id, marketplace="shopee", status="error", error="No image: " + "x" * 80
            ),
            MarketplaceListing(
                product_id=product.id, marketplace="lazada", external_id="LZD-1234567890", status="live"
            ),
        ]
    )
    db.session.commit()
    lot = a_lot(product, lot_number="L2611-DAC-BIET-0001")
    order = factories.order([(product, 3)], "WIDE2345", "paid", stock_held=True)
    db.session.commit()
    invoice = issue_for(order, world["owner_producer"])
    order.parcels.append(_parcel(world["owner_producer"]))
    session = session_for(producer(world["owner_producer"].id), [(product.id, 45_000, 10)])
    job = jobs.create_job(OFFICE, "danh-sach-san-pham-quy-4-nam-2026-ban-cuoi-cung.xlsx", b"x", {}, dry_run=True)
    _, reset_token = accounts.request_password_reset("other@example.com", clock.now())
    db.session.commit()
    ids = {
        "product_id": product.id,
        "lot_id": lot.id,
        "invoice_id": invoice.id,
        "producer_id": world["owner_producer"].id,
        "code": order.code,
        "session_id": session.id,
        "job_id": job.id,
        "token": reset_token,
    }
    pages = _get_pages()
    measured: dict[str, dict[str, int]] = {}
    visited: set[str] = set()
    with serving(app) as base:
        for role, email in (("producer", "owner@example.com"), ("office", "admin@example.com")):
            context = browser.new_context(base_url=base, locale="vi-VN", viewport=PHONE, is_mobile=True, has_touch=True)
            context.set_default_timeout(10_000)
            page = context.new_page()
            sign_in_page(page, email, PASSWORD)  # the office with its second factor, as every office sign-in
            errors: list[str] = []
            page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
            for endpoint, rule in pages:
                if role == "producer" and endpoint.startswith(("portal_admin.", "portal_payments.")):
                    continue
                if endpoint == "portal_invoices.coverage" and role == "producer":
                    continue
                if endpoint == "portal_invoices.producer_invoicing" and role == "producer":
                    continue
                if role == "office" and endpoint in PRODUCER_ONLY:
                    continue
                url = _fill(rule, ids)
                response = page.goto(url)
                assert response.status == 200, f"{role} {url}: {response.status}"
                assert "text/html" in response.headers["content-type"], url
                width = page.evaluate("() => document.scrollingElement.scrollWidth")
                measured.setdefault(role, {})[url] = width
                visited.add(endpoint)
                if width > PHONE["width"]:
                    screenshot(page, f"{role}-{endpoint}")
            context.close()
            assert errors == [], errors

    # then every page was visited (both roles, every endpoint at least once) and none is wider than the phone
    assert visited == {endpoint for endpoint, _ in pages}
    too_wide = {role: {url: w for url, w in urls.items() if w > PHONE["width"]} for role, urls in measured.items()}
    assert too_wide == {"producer": {}, "office": {}}
