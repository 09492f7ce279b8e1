"""Lots, the resolver and the origin page: what a shopper scanning a stamp sees, and what is refused.

Unit-level on SQLite (the rules do not differ by database); scan counting under
concurrency runs on both databases in tests/traceability/test_scan_counting.py.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from catalogue.accounts.models import AuditEntry
from catalogue.accounts.principal import SYSTEM
from catalogue.errors import InvalidInput, PermissionDenied
from catalogue.extensions import db
from catalogue.products.models import Product
from catalogue.products.revision import current_revision
from catalogue.traceability import reports, scans
from catalogue.traceability import services as lots
from catalogue.traceability.models import Lot, LotReport, LotScanDay
from tests.access_helpers import auth, cast, png_bytes
from tests.traceability.traceability_helpers import LOT, a_lot, browser, flushed_scans, pdf_bytes

TODAY = date(2026, 11, 21)
NOT_OURS = "Mã này không phải của chúng tôi: sản phẩm có thể không chính hãng."
pytestmark = pytest.mark.parametrize("backend", ["sqlite"])


@pytest.fixture
def world(app):
    return cast()


def _principal(email: str):
    from catalogue.accounts.models import User
    from catalogue.accounts.services import principal_for_user

    return principal_for_user(db.session.scalar(select(User).where(User.email == email)))


def _lot_rows():
    db.session.expire_all()
    return db.session.execute(select(Lot.id, Lot.lot_number, Lot.quantity, Lot.expires_on).order_by(Lot.id)).all()


# --- Lots: who may keep them, and what is refused --------------------------------------


def test_a_producer_records_a_lot_of_its_own_product_with_a_ward_of_quang_ninh(app, world):
    owner = _principal("owner@example.com")

    lot = lots.create_lot(owner, world["product"].id, {**LOT, "origin_ward": "xa binh lieu"}, TODAY)

    assert (lot.lot_number, lot.quantity, lot.origin_ward_name) == ("L2611-01", 5, "Xã Bình Liêu")
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{8}", lot.code)
    assert db.session.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc())) == "lot.create"


def test_a_lot_never_moves_the_catalogue_revision(app, world):
    before = current_revision()

    lot = a_lot(world["product"])
    lots.update_lot(SYSTEM, lot.id, {"quantity": 50}, TODAY)

    assert current_revision() == before


def test_a_producer_cannot_touch_another_producers_lots(app, world):
    lot = a_lot(world["product"])
    other = _principal("other@example.com")
    before = _lot_rows()

    with pytest.raises(PermissionDenied):
        lots.create_lot(other, world["product"].id, {**LOT, "lot_number": "X1"}, TODAY)
    with pytest.raises(PermissionDenied):
        lots.update_lot(other, lot.id, {"quantity": 99}, TODAY)
    with pytest.raises(PermissionDenied):
        reports.add_report(other, lot.id, "Phiếu", pdf_bytes(), "a.pdf")

    assert _lot_rows() == before
    assert db.session.scalar(select(func.count(LotReport.id))) == 0


BAD_LOTS = [
    ({"lot_number": "L" * 21}, "lot_number"),
    ({"lot_number": "lô 1"}, "lot_number"),
    ({"lot_number": "<script>"}, "lot_number"),
    ({"lot_number": "L/1"}, "lot_number"),  # a / would need percent-encoding in the stamp's URI
    ({"expires_on": date(2026, 10, 1)}, "expires_on"),
    ({"produced_on": date(2026, 12, 1), "expires_on": date(2027, 12, 1)}, "produced_on"),
    ({"produced_on": date(1900, 1, 1), "expires_on": date(1901, 1, 1)}, "produced_on"),  # before OCOP
    ({"produced_on": date(2012, 12, 31), "expires_on": date(2013, 12, 31)}, "produced_on"),
    ({"expires_on": date(9999, 12, 31)}, "expires_on"),  # beyond any shelf life
    ({"expires_on": date(2036, 11, 2)}, "expires_on"),  # ten years and a day after 1 November 2026
    ({"quantity": 0}, "quantity"),
    ({"quantity": True}, "quantity"),
    ({"origin_ward": "Phường Ba Đình"}, "origin_ward"),  # Hà Nội's, not Quảng Ninh's
]


def test_bad_lots_are_refused_naming_the_field(app, world):
    refused_fields = []
    for changes, _ in BAD_LOTS:
        with pytest.raises(InvalidInput) as refused:
            lots.create_lot(SYSTEM, world["product"].id, {**LOT, **changes}, TODAY)
        refused_fields.append(list(refused.value.errors))

    assert refused_fields == [[field] for _, field in BAD_LOTS]
    assert _lot_rows() == []


def test_lot_dates_are_bounded_in_vietnamese_and_the_bounds_themselves_pass(app, world):
    with pytest.raises(InvalidInput) as refused:
        lots.create_lot(
            SYSTEM,
            world["product"].id,
            {**LOT, "produced_on": date(1900, 1, 1), "expires_on": date(9999, 12, 31)},
            TODAY,
        )
    edge = lots.create_lot(
        SYSTEM, world["product"].id, {**LOT, "produced_on": date(2013, 1, 1), "expires_on": date(2023, 1, 1)}, TODAY
    )

    assert refused.value.errors == {
        "produced_on": [
            "Ngày sản xuất không được trước 01/01/2013, khi chương trình OCOP Quảng Ninh bắt đầu: hãy kiểm tra lại năm."
        ],
        "expires_on": ["Hạn sử dụng không được quá 10 năm sau ngày sản xuất: hãy kiểm tra lại năm."],
    }
    assert edge.id is not None


def test_a_lot_number_is_unique_within_its_product(app, world):
    a_lot(world["product"])

    with pytest.raises(InvalidInput) as refused:
        a_lot(world["product"])
    a_lot(world["other_product"])  # another product may use the same number

    assert list(refused.value.errors) == ["lot_number"]
    assert len(_lot_rows()) == 2


# --- Reports -----------------------------------------------------------------------------


def test_a_pdf_and_an_image_report_are_kept_and_served_safely(app, world):
    lot = a_lot(world["product"])
    pdf = reports.add_report(SYSTEM, lot.id, "Phiếu kết quả thử nghiệm", pdf_bytes(), "kq.pdf")
    image = reports.add_report(SYSTEM, lot.id, "Ảnh phiếu", png_bytes(), "kq.PNG")
    client = app.test_client()

    served_pdf = client.get(f"/lots/reports/{pdf.id}")
    served_image = client.get(f"/lots/reports/{image.id}")

    assert served_pdf.status_code == 200 and served_pdf.mimetype == "application/pdf"
    assert served_pdf.headers["Content-Disposition"].startswith("attachment;")
    assert served_pdf.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served_pdf.headers["Content-Security-Policy"]
    assert served_pdf.data.startswith(b"%PDF-") and len(served_pdf.data) == pdf.size_bytes
    assert served_image.mimetype == "image/png" and served_image.headers["Content-Disposition"].startswith("inline;")
    assert client.get("/lots/reports/999").status_code == 404


def test_uploads_that_are_not_what_they_claim_are_refused(app, world):
    lot = a_lot(world["product"])
    uploads = [
        (png_bytes(), "phieu.pdf", "type"),  # an image calling itself a PDF
        (b"%PDF-1.7\nnot really a pdf", "phieu.pdf", "corrupt"),
        (pdf_bytes(), "phieu.png", "type"),  # a PDF calling itself a PNG
        (png_bytes(), "phieu.jpg", "type"),  # a PNG calling itself a JPEG
        (b"MZ\x90\x00", "phieu.exe", "type"),
        (b"", "phieu.pdf", "empty"),
        (b"%PDF-" + b"0" * (reports.MAX_BYTES + 1), "phieu.pdf", "size"),
    ]
    reasons = []
    for data, filename, _ in uploads:
        with pytest.raises(reports.ReportRejected) as refused:
            reports.add_report(SYSTEM, lot.id, "Phiếu", data, filename)
        reasons.append(refused.value.reason)

    assert reasons == [reason for _, _, reason in uploads]
    assert db.session.scalar(select(func.count(LotReport.id))) == 0


# --- The resolver and the origin page ------------------------------------------------------


def _origin(client, path: str, **headers):
    return client.get(path, headers=headers)


def test_a_short_stamp_opens_the_origin_page_with_every_fact(app, world):
    lot = a_lot(world["product"])
    reports.add_report(SYSTEM, lot.id, "Phiếu kết quả thử nghiệm", pdf_bytes(), "kq.pdf")
    client = browser(app)

    page = client.get(f"/t/{lot.code}")
    html = page.get_data(as_text=True)

    assert page.status_code == 200 and page.headers["Cache-Control"] == "private, no-store"
    assert f'<{"http://shop.test"}/t/{lot.code}?linkType=linkset>; rel="linkset"' in page.headers["Link"]
    for fact in (
        "Miến dong Bình Liêu",
        "HTX Miến dong Bình Liêu",
        "OCOP 4 sao",
        "Giấy chứng nhận số",
        "L2611-01",
        "01/11/2026",
        "01/11/2027",
        "Xã Bình Liêu, Quảng Ninh",
        "Phiếu kết quả thử nghiệm",
        "Mua tại cửa hàng OCOP Quảng Ninh",
    ):
        assert fact in html, fact
    assert re.search(r'data-testid="scan-count">1<', html)
    assert 'role="alert"' not in html.split("<main", 1)[1].split("origin-badge")[0]
    assert client.get(f"/t/{lot.code.lower()}").status_code == 200  # codes read alike in either case


def test_warnings_for_a_lot_past_its_date_and_a_lapsed_certificate(app, world):
    product = world["product"]
    lot = a_lot(product, produced_on=date(2024, 1, 1), expires_on=date(2025, 1, 1))
    product.current_certificate.issued_on = date(2023, 1, 1)
    product.current_certificate.expires_on = date(2026, 1, 1)
    db.session.commit()

    html = browser(app).get(f"/t/{lot.code}").get_data(as_text=True)

    assert "Lô này đã hết hạn sử dụng từ ngày 01/01/2025" in html
    assert "Giấy chứng nhận OCOP của sản phẩm này đã hết hiệu lực" in html
    assert "OCOP 4 sao" not in html and "★★★★" not in html  # never a rating it does not hold
    assert "Sản phẩm hiện không bán trực tuyến." in html


def test_a_listing_awaiting_review_shows_no_stars(app, world):
    product = world["product"]
    lot = a_lot(product)
    product.review_status = "pending"
    db.session.commit()

    html = browser(app).get(f"/t/{lot.code}").get_data(as_text=True)

    assert "OCOP 4 sao" not in html and 'data-testid="no-rating"' in html


UNKNOWN_STAMPS = [
    "/t/ZZZZZZZZ",  # well formed, not ours
    "/01/08935049500018",  # a valid GTIN nobody here carries
    "/01/18935049500015/10/L1",  # a GTIN-14 with another indicator digit
]
MALFORMED_STAMPS = [
    "/t/@@!!",
    "/t/" + "A" * 13,
    "/01/08935049500019/10/L1",  # bad check digit: malformed, not unknown (GS1 resolver 1.2)
    "/01/8935049500018/10/L1",  # a GTIN is always 14 digits in a URI
    "/01/08935049500018/10/" + "L" * 21,  # over-long lot
    "/01/08935049500018/10/%E2%98%83",  # odd characters
    "/01/08935049500018/10/L1/99/x",
]


@pytest.mark.parametrize(("paths", "status"), [(UNKNOWN_STAMPS, 404), (MALFORMED_STAMPS, 400)])
def test_unknown_and_malformed_stamps_get_a_plain_warning_never_a_500(app, world, paths, status):
    a_lot(world["product"])
    client = browser(app)

    for path in paths:
        page = client.get(path)
        machine = client.get(path, headers={"Accept": "application/linkset+json"})

        assert page.status_code == status and NOT_OURS in page.get_data(as_text=True), path
        assert machine.status_code == status and machine.mimetype == "application/json", path
        assert machine.get_json()["code"] == status and machine.get_json()["errors"] == {}, path
    assert db.session.scalar(select(func.count()).select_from(LotScanDay)) == 0


def test_a_digital_link_resolves_to_the_origin_page_product_page_or_linkset(app, world):
    product = world["product"]
    product.gtin = "8935049500018"
    db.session.commit()
    lot = a_lot(product)
    client = browser(app)
    uri = "/01/08935049500018/10/L2611-01"

    page = client.get(uri)
    pip = client.get(uri + "?linkType=gs1:pip")
    linkset = client.get(uri, headers={"Accept": "application/linkset+json"})
    all_links = client.get(uri + "?linkType=all")
    product_level = client.get("/01/08935049500018")
    machine = app.test_client().get(uri, headers={"Accept": "*/*"})

    assert page.status_code == 200 and "L2611-01" in page.get_data(as_text=True)
    assert pip.status_code == 307 and pip.headers["Location"] == f"http://shop.test/products/{product.slug}"
    assert linkset.mimetype == "application/linkset+json" and all_links.get_json() == linkset.get_json()
    links = linkset.get_json()["linkset"][0]
    assert links["anchor"] == "http://shop.test/01/08935049500018/10/L2611-01"
    assert links["https://gs1.org/voc/pip"][0]["href"] == f"http://shop.test/products/{product.slug}"
    assert links["https://gs1.org/voc/traceability"][0]["href"] == f"http://shop.test/nguon-goc/{lot.code}"
    assert links["https://gs1.org/voc/defaultLink"] == [
        {"href": f"http://shop.test/nguon-goc/{lot.code}", "title": "Nguồn gốc: Miến dong Bình Liêu, lô L2611-01"}
    ] or links["https://gs1.org/voc/defaultLink"][0]["href"].endswith(f"/nguon-goc/{lot.code}")
    assert product_level.status_code == 307 and product_level.headers["Location"].endswith(f"/products/{product.slug}")
    assert machine.status_code == 307 and machine.headers["Location"] == f"http://shop.test/nguon-goc/{lot.code}"
    # Only the page a person reads at the stamp counts a scan: not the linkset, not a redirect.
    assert flushed_scans(lot.id) == 1


def test_the_resolver_describes_itself(app, world):
    described = app.test_client().get("/.well-known/gs1resolver").get_json()

    assert described["resolverRoot"] == "http://shop.test"
    assert described["supportedPrimaryKeys"] == ["01"]
    assert described["supportedLinkType"] == [{"namespace": "https://gs1.org/voc/", "prefix": "gs1:"}]
    assert described["linkTypeDefaultCanBeLinkset"] is False


def test_the_product_page_links_its_origin_page_and_its_digital_link(app, world):
    product = world["product"]
    product.gtin = "8935049500018"
    db.session.commit()
    lot = a_lot(product)
    client = browser(app)

    html = client.get(f"/products/{product.slug}").get_data(as_text=True)
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    follow = client.get(f"/products/{product.slug}/nguon-goc")

    assert f'href="/products/{product.slug}/nguon-goc"' in html
    assert data["sameAs"] == "http://shop.test/01/08935049500018" and data["gtin13"] == "8935049500018"
    assert data["subjectOf"]["url"] == f"http://shop.test/products/{product.slug}/nguon-goc"
    # To the origin page's own address, not the stamp's URI: a shopper browsing the shop is no scan of the stamp.
    assert follow.status_code == 302 and follow.headers["Location"] == f"http://shop.test/nguon-goc/{lot.code}"
    assert client.get(follow.headers["Location"]).status_code == 200
    assert flushed_scans(lot.id) == 0


_CSRF_VALUE = re.compile(r'(<input[^>]*\bname="csrf_token"[^>]*\bvalue=")[^"]*(")')


def _without_csrf(html: str) -> str:
    """The page with every CSRF token's value blanked: a token is signed with the second it is made, so only it
    may differ between two renders. Each form's token is stripped (the header's language form and WTForms'
    `id=… name=… type=… value=…` alike); a page with a token left, or with none to strip, fails here."""
    stripped, count = _CSRF_VALUE.subn(r"\1\2", html)
    assert count >= 1 and count == html.count('name="csrf_token"'), f"{count} CSRF tokens stripped"
    return stripped


def test_a_new_lot_is_followed_at_once_and_the_product_page_does_not_change_with_scans(app, world):
    product = world["product"]
    first = a_lot(product)
    client = browser(app)
    page = client.get(f"/products/{product.slug}").get_data(as_text=True)
    client.get(f"/t/{first.code}")

    newer = a_lot(product, lot_number="L2611-02", produced_on=date(2026, 11, 20))
    again = client.get(f"/products/{product.slug}").get_data(as_text=True)

    assert _without_csrf(again) == _without_csrf(page)  # no scan count, no lot detail on the product page
    assert client.get(f"/products/{product.slug}/nguon-goc").headers["Location"].endswith(f"/nguon-goc/{newer.code}")


# --- Scans -----------------------------------------------------------------------------


def test_scans_are_counted_per_client_and_day_and_a_stamp_seen_from_many_networks_is_flagged(app, world):
    lot = a_lot(world["product"], quantity=2)
    same_client = browser(app)
    for _ in range(5):
        same_client.get(f"/t/{lot.code}")
    assert flushed_scans(lot.id) == 1  # one shopper opening the stamp five times is one scan

    # A lot of 2 units is "looks copied" past 3 × 2 = 6 networks: the 7th distinct one flips it.
    for network in range(2, 7):
        browser(app, address=f"198.51.100.{network}").get(f"/t/{lot.code}")
    assert flushed_scans(lot.id) == 6
    assert db.session.get(Lot, lot.id).suspected_copy_at is None
    browser(app, address="198.51.100.7").get(f"/t/{lot.code}")
    assert flushed_scans(lot.id) == 7
    seventh = browser(app, address="198.51.100.8").get(f"/t/{lot.code}").get_data(as_text=True)

    assert db.session.execute(select(LotScanDay.day, LotScanDay.scans)).all() == [(TODAY, 7)]
    assert db.session.get(Lot, lot.id).suspected_copy_at is not None
    assert "có thể tem đã bị sao chép" in seventh
    assert [flagged.id for flagged in scans.suspected_copies()] == [lot.id]


# --- The API ---------------------------------------------------------------------------


def test_the_api_keeps_lots_for_their_owner_only(app, world):
    client = app.test_client()
    product_id = world["product"].id
    body = {**LOT, "produced_on": "2026-11-01", "expires_on": "2027-11-01"}

    made = client.post(f"/api/v1/products/{product_id}/lots", json=body, headers=auth(world["tokens"]["owner"]))
    lot_id = made.get_json()["id"]
    before = _lot_rows()
    other = client.patch(
        f"/api/v1/products/{product_id}/lots/{lot_id}",
        json={"quantity": 9},
        headers=auth(world["tokens"]["other_producer"]),
    )
    anonymous = client.post(f"/api/v1/products/{product_id}/lots", json=body)
    unknown = client.patch(
        f"/api/v1/products/{product_id}/lots/{lot_id}", json={"code": "X"}, headers=auth(world["tokens"]["owner"])
    )
    listed = client.get(f"/api/v1/products/{product_id}/lots")
    changed = client.patch(
        f"/api/v1/products/{product_id}/lots/{lot_id}", json={"quantity": 9}, headers=auth(world["tokens"]["owner"])
    )

    assert made.status_code == 201
    assert made.get_json()["stamp_uri"] == f"http://shop.test/t/{made.get_json()['code']}"
    assert made.get_json()["origin_ward"]["name"] == "Xã Bình Liêu"
    assert (other.status_code, anonymous.status_code, unknown.status_code) == (403, 401, 422)
    assert [item["id"] for item in listed.get_json()["items"]] == [lot_id]
    assert changed.status_code == 200 and changed.get_json()["quantity"] == 9
    assert before[0][2] == 5


def test_the_product_api_carries_the_gtin_and_refuses_a_bad_one(app, world):
    client = app.test_client()
    product_id = world["product"].id
    headers = {**auth(world["tokens"]["owner"]), "If-Match": "*"}

    bad = client.patch(f"/api/v1/products/{product_id}", json={"gtin": "8935049500019"}, headers=headers)
    good = client.patch(f"/api/v1/products/{product_id}", json={"gtin": "8935049500018"}, headers=headers)
    taken = client.patch(
        f"/api/v1/products/{world['other_product'].id}",
        json={"gtin": "8935049500018"},
        headers={**auth(world["tokens"]["other_producer"]), "If-Match": "*"},
    )

    assert bad.status_code == 422 and list(bad.get_json()["errors"]) == ["gtin"]
    assert good.status_code == 200 and good.get_json()["gtin"] == "8935049500018"
    assert taken.status_code == 422
    assert db.session.get(Product, world["other_product"].id).gtin is None


# --- The seed ------------------------------------------------------------------------------


def test_the_seed_gives_every_product_a_lot_a_newcomer_can_follow(client):
    from catalogue.traceability.seed import seed_code, seed_lots

    products = db.session.scalar(select(func.count(Product.id)))
    lots_by_product = db.session.execute(select(Lot.product_id, Lot.code, Product.sku).join(Product)).all()
    follow = client.get("/products/mien-dong-binh-lieu/nguon-goc")
    origin = client.get(follow.headers["Location"].removeprefix("http://shop.test"), headers={"Accept": "text/html"})

    assert len(lots_by_product) == products and len({row.product_id for row in lots_by_product}) == products
    assert all(row.code == seed_code(row.sku) for row in lots_by_product)  # the same codes on every machine
    assert seed_lots({row.sku for row in lots_by_product}, TODAY) == 0  # a second seed adds nothing
    assert follow.status_code == 302 and origin.status_code == 200
    assert "Miến dong Bình Liêu" in origin.get_data(as_text=True)


def test_where_to_buy_links_only_listings_we_can_link(app, world):
    from catalogue.sync.services import record_listing
    from catalogue.traceability.origin import live_marketplaces

    product_id = world["product"].id
    now = datetime(2026, 11, 21, tzinfo=UTC)
    record_listing(product_id, "lazada", {"external_id": "2345", "status": "live"}, now)
    record_listing(product_id, "shopee", {"external_id": "678", "status": "live"}, now)

    with_shop = [(link.name, link.url) for link in live_marketplaces(product_id, "99")]
    without_shop = [(link.name, link.url) for link in live_marketplaces(product_id)]

    assert with_shop == [
        ("Lazada", "https://www.lazada.vn/products/i2345.html"),
        ("Shopee", "https://shopee.vn/product/99/678"),
    ]
    assert without_shop == [("Lazada", "https://www.lazada.vn/products/i2345.html")]
