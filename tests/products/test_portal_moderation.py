"""The office's review queue, its product list, and the new-listing and edit forms (issue 15)."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from catalogue.accounts.models import AuditEntry
from catalogue.extensions import db
from catalogue.products.models import Certificate, Product
from tests import factories
from tests.access_helpers import auth, cast, portal_client
from tests.storefront_helpers import csrf_token

BORROWED = {
    "name": "Rượu mơ Bình Liêu",
    "unit": "chai 500 ml",
    "price_vnd": 180000,
    "category": "thuc-pham-che-bien",
    "stock": 30,
    "status": "active",
}


REASON = "Giấy chứng nhận cấp cho miến dong."


@pytest.fixture
def world(app):
    return cast()


@pytest.fixture
def pending(app, world):
    """The issue's exploit, as a producer sends it: a rice wine under the noodles' 4★ certificate."""
    client = app.test_client()
    body = {**BORROWED, "certificate_no": world["product"].current_certificate.certificate_no}
    response = client.post("/api/v1/products", json=body, headers=auth(world["tokens"]["owner"]))
    assert response.status_code == 201
    return db.session.get(Product, response.get_json()["id"])


def _state(product_id: int):
    db.session.expire_all()
    product = db.session.get(Product, product_id)
    audit = db.session.scalar(select(func.count(AuditEntry.id)))
    certificates = db.session.scalar(select(func.count(Certificate.id)))
    review = (product.review_status, product.rejection_reason, product.current_certificate_id)
    return (*review, product.version, audit, certificates)


def test_the_queue_shows_what_is_asked(app, world, pending):
    office = portal_client(app, world, "admin")

    html = office.get("/portal/admin/reviews").get_data(as_text=True)

    row = html[html.index('data-testid="review-row"') :]
    certificate_no = world["product"].current_certificate.certificate_no
    assert html.count('data-testid="review-row"') == 1
    assert "Rượu mơ Bình Liêu" in row and "HTX Miến dong Bình Liêu" in row
    assert f"Xếp hạng 4★ theo giấy chứng nhận {certificate_no}" in row
    own = world["product"].id
    assert f'href="/portal/admin/products/{own}" data-testid="certificate-product">Miến dong Bình Liêu</a>' in row
    assert f'action="/portal/admin/reviews/{pending.id}/approve"' in row
    assert f'action="/portal/admin/reviews/{pending.id}/reject"' in row


@pytest.mark.parametrize("role", ["owner", "other_producer"])
def test_producers_cannot_see_or_decide(app, world, pending, role):
    client = portal_client(app, world, role)
    before = _state(pending.id)

    listed = client.get("/portal/admin/reviews")
    approved = client.post(f"/portal/admin/reviews/{pending.id}/approve", data={"csrf_token": csrf_token(client)})

    assert (listed.status_code, approved.status_code) == (403, 403)
    assert _state(pending.id) == before


def test_approving_needs_the_csrf_token(app, world, pending):
    office = portal_client(app, world, "admin")
    before = _state(pending.id)

    response = office.post(f"/portal/admin/reviews/{pending.id}/approve", data={})

    assert response.status_code == 400
    assert _state(pending.id) == before


def test_rejecting_with_a_reason_tells_the_producer(app, world, pending):
    office = portal_client(app, world, "admin")

    response = office.post(
        f"/portal/admin/reviews/{pending.id}/reject",
        data={"csrf_token": csrf_token(office, "/portal/admin/reviews"), "reason": REASON},
    )

    assert (response.status_code, response.headers["Location"]) == (303, "/portal/admin/reviews")
    assert _state(pending.id)[:3] == ("rejected", REASON, None)
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.action, entry.actor) == ("product.reject", "admin@example.com")
    assert json.loads(entry.changes)["reason"] == [None, REASON]
    producer = portal_client(app, world, "owner")
    dashboard = producer.get("/portal/").get_data(as_text=True)
    page = producer.get(f"/portal/products/{pending.id}").get_data(as_text=True)
    assert "Văn phòng OCOP không duyệt: Giấy chứng nhận cấp cho miến dong." in dashboard
    assert "Văn phòng OCOP không duyệt: Giấy chứng nhận cấp cho miến dong." in page


def test_rejecting_without_a_reason_is_refused_on_its_field(app, world, pending):
    office = portal_client(app, world, "admin")
    before = _state(pending.id)

    response = office.post(
        f"/portal/admin/reviews/{pending.id}/reject",
        data={"csrf_token": csrf_token(office, "/portal/admin/reviews"), "reason": "  "},
    )

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="reason-{pending.id}-error"' in html and "Vui lòng nhập thông tin này." in html
    assert _state(pending.id) == before


def test_deciding_twice_is_a_warning_and_changes_nothing(app, world, pending):
    office = portal_client(app, world, "admin")
    token = csrf_token(office, "/portal/admin/reviews")
    assert office.post(f"/portal/admin/reviews/{pending.id}/approve", data={"csrf_token": token}).status_code == 303
    before = _state(pending.id)

    again = office.post(f"/portal/admin/reviews/{pending.id}/reject", data={"csrf_token": token, "reason": "Sai."})

    assert again.status_code == 303
    assert "sản phẩm không còn chờ duyệt" in office.get("/portal/admin/reviews").get_data(as_text=True)
    assert _state(pending.id) == before


def test_the_offices_list_pages_through_every_product(app, world):
    for number in range(60):
        factories.product(f"Chè Đường Hoa số {number:02d}", world["owner_producer"], world["ref"]["processed"])
    db.session.commit()
    office = portal_client(app, world, "admin")

    first = office.get("/portal/admin/products").get_data(as_text=True)
    second = office.get("/portal/admin/products?page=2").get_data(as_text=True)

    assert first.count('data-testid="product-row"') == 50
    assert second.count('data-testid="product-row"') == 12  # 62 in all
    assert "62 sản phẩm · trang 1/2" in first
    assert 'href="/portal/admin/products?page=2"' in first
    assert "Chè Đường Hoa số 00" in first and "Chè Đường Hoa số 59" in second


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("mien", ["Miến dong Bình Liêu"]),
        ("MIẾN DONG", ["Miến dong Bình Liêu"]),
        ("nuoc mam van don", ["Nước mắm Vân Đồn"]),
        ("%", []),
        ("m%n", []),
        ("QN-T-", []),
    ],
)
def test_the_offices_search_is_the_shops(app, world, query, expected):
    office = portal_client(app, world, "admin")

    html = office.get("/portal/admin/products", query_string={"q": query}).get_data(as_text=True)

    names = re.findall(r'data-testid="product-row"><td><a href="[^"]+">([^<]+)</a>', html)
    assert names == expected


def test_the_offices_search_finds_an_exact_sku(app, world):
    office = portal_client(app, world, "admin")
    sku = world["other_product"].sku

    html = office.get("/portal/admin/products", query_string={"q": sku.lower()}).get_data(as_text=True)

    assert re.findall(r'data-testid="product-row"><td><a href="[^"]+">([^<]+)</a>', html) == ["Nước mắm Vân Đồn"]


def test_the_new_listing_form_makes_the_producer_choose(app, world):
    client = portal_client(app, world, "owner")

    html = client.get("/portal/products/new").get_data(as_text=True)

    for name in ("category", "certificate_no", "status"):
        select = html[html.index(f'name="{name}"') :]
        select = select[: select.index("</select>")]
        assert '<option selected value="">— Chọn —</option>' in select, name
    assert "Chưa có giấy chứng nhận: sản phẩm sẽ không hiển thị trên cửa hàng" in html
    assert "được văn phòng OCOP duyệt: sản phẩm mới chờ duyệt, chưa hiển thị ngay." in html


def test_a_new_listing_without_choices_is_refused_and_nothing_is_written(app, world):
    client = portal_client(app, world, "owner")
    count = db.session.scalar(select(func.count(Product.id)))

    response = client.post(
        "/portal/products/new",
        data={
            "csrf_token": csrf_token(client, "/portal/products/new"),
            "name": "Miến dong túi 1 kg",
            "unit": "túi 1 kg",
            "price_vnd": "150000",
            "stock": "20",
            "category": "",
            "certificate_no": "",
            "status": "",
        },
    )

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for name in ("category", "certificate_no", "status"):
        assert f'id="{name}-error">Vui lòng chọn một mục.' in html
    assert db.session.scalar(select(func.count(Product.id))) == count


def test_the_product_page_says_plainly_why_it_is_not_on_the_shop(app, world):
    client = portal_client(app, world, "owner")
    response = client.post(
        "/portal/products/new",
        data={
            "csrf_token": csrf_token(client, "/portal/products/new"),
            "name": "Miến dong túi 1 kg",
            "category": "thuc-pham-che-bien",
            "unit": "túi 1 kg",
            "price_vnd": "150000",
            "stock": "20",
            "certificate_no": "none",
            "status": "draft",
        },
    )

    html = client.get(response.headers["Location"]).get_data(as_text=True)

    visibility = html[html.index('data-testid="shop-visibility"') :]
    visibility = visibility[: visibility.index("</div>")]
    assert "Chưa hiển thị trên cửa hàng:" in visibility
    for reason in ("đang chờ văn phòng OCOP duyệt", "đây là bản nháp", "chưa có giấy chứng nhận OCOP"):
        assert reason in visibility


def test_the_edit_form_shows_the_products_own_category(app, world):
    spirits = world["ref"]["spirits"]
    wine = factories.product("Rượu mơ Bình Liêu", world["owner_producer"], spirits)
    db.session.commit()
    client = portal_client(app, world, "owner")

    html = client.get(f"/portal/products/{wine.id}").get_data(as_text=True)

    assert '<option selected value="ruou-trang">' in html
    assert html.count("<option selected") == 2  # its category and its status, nothing else


def test_saving_only_the_price_keeps_the_category(app, world):
    spirits = world["ref"]["spirits"]
    wine = factories.product("Rượu mơ Bình Liêu", world["owner_producer"], spirits)
    db.session.commit()
    client = portal_client(app, world, "owner")
    page = client.get(f"/portal/products/{wine.id}").get_data(as_text=True)
    # What a browser submits: every field as the page shows it, the price changed.
    form = page[page.index('action="/portal/products/' + str(wine.id) + '"') :]
    form = form[: form.index("</form>")]
    data = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form))
    data.update(re.findall(r'<select[^>]*name="([^"]+)"[^>]*>.*?<option selected value="([^"]*)"', form, re.S))
    data["description"] = ""
    data["price_vnd"] = "99000"

    response = client.post(f"/portal/products/{wine.id}", data=data)

    assert response.status_code == 303
    db.session.expire_all()
    saved = db.session.get(Product, wine.id)
    assert (saved.category.code, saved.price_vnd, saved.status, saved.review_status) == (
        "ruou-trang",
        99000,
        "active",
        "approved",
    )


def test_a_draft_in_the_queue_is_not_called_for_sale_and_reject_looks_unlike_approve(app, world):
    client = app.test_client()
    body = {**BORROWED, "name": "Miến dong nháp", "status": "draft"}
    response = client.post("/api/v1/products", json=body, headers=auth(world["tokens"]["owner"]))
    assert response.status_code == 201

    html = portal_client(app, world, "admin").get("/portal/admin/reviews").get_data(as_text=True)

    row = re.search(r'<tr data-testid="review-row"[^>]*>(?:(?!</tr>).)*Miến dong nháp.*?</tr>', html, re.S).group(0)
    asked = re.search(r'data-testid="asked">(.*?)</td>', row, re.S).group(1)
    assert "Đăng bán" not in asked and "đang là bản nháp, chưa đăng bán" in asked
    approve = re.search(r'<button[^>]*data-testid="approve"', row).group(0)
    reject = re.search(r'<button[^>]*data-testid="reject"', row).group(0)
    assert "danger" in reject and "danger" not in approve
