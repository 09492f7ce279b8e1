"""Portal pages: a producer's dashboard, adding and editing a listing, certificates and moderation."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from catalogue.extensions import db
from catalogue.producers.models import Producer
from catalogue.products.models import Product
from tests import factories
from tests.access_helpers import cast, portal_client
from tests.storefront_helpers import csrf_token


@pytest.fixture
def world(app):
    return cast()


def _product(name: str) -> Product:
    db.session.expire_all()
    return db.session.scalars(select(Product).where(Product.name == name)).one()


def test_the_dashboard_lists_only_the_producers_products_and_flags_certificates(app, world):
    ref = world["ref"]
    # Today is 2026-11-21: one expires within 60 days, one has expired.
    factories.product("Miến dong sắp hết hạn", world["owner_producer"], ref["processed"], issued_on=date(2023, 12, 20))
    factories.product("Miến dong hết hạn", world["owner_producer"], ref["processed"], issued_on=date(2023, 1, 5))
    db.session.commit()
    client = portal_client(app, world, "owner")

    html = client.get("/portal/").get_data(as_text=True)

    assert html.count('data-testid="product-row"') == 3
    assert "Nước mắm Vân Đồn" not in html
    assert "sắp hết hạn ngày" in html and "hãy liên hệ văn phòng OCOP để gia hạn" in html
    assert "sản phẩm không còn hiển thị trên cửa hàng" in html
    assert "Sàn thương mại điện tử" not in html  # no marketplace listings yet: the column stays hidden


def _new_product(client, **overrides):
    data = {
        "csrf_token": csrf_token(client),
        "name": "Miến dong túi 1 kg",
        "category": "thuc-pham-che-bien",
        "unit": "túi 1 kg",
        "net_weight_g": "1000",
        "price_vnd": "150000",
        "stock": "20",
        "description": '<p onclick="x()">Miến <b>dai</b><script>alert(1)</script></p>',
        "status": "active",
        "certificate_no": "none",
    }
    data.update(overrides)
    return client.post("/portal/products/new", data=data)


def test_a_listing_rated_by_the_producers_certificate_is_on_the_storefront_once_the_office_approves(app, world):
    client = portal_client(app, world, "owner")
    certificate_no = world["product"].current_certificate.certificate_no

    response = _new_product(client, certificate_no=certificate_no)

    assert response.status_code == 303
    created = _product("Miến dong túi 1 kg")
    assert response.headers["Location"] == f"/portal/products/{created.id}"
    assert created.producer_id == world["owner_producer"].id
    assert (created.review_status, created.requested_certificate.certificate_no) == ("pending", certificate_no)
    assert created.current_certificate is None
    assert created.description == "<p>Miến <b>dai</b></p>"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Chờ văn phòng OCOP duyệt: chưa hiển thị trên cửa hàng" in page
    assert f"đề nghị xếp hạng theo giấy chứng nhận {certificate_no}" in page
    assert "Miến dong túi 1 kg" not in client.get("/products?q=mien+dong+tui").get_data(as_text=True)
    office = portal_client(app, world, "admin")

    approved = office.post(
        f"/portal/admin/reviews/{created.id}/approve", data={"csrf_token": csrf_token(office, "/portal/admin/reviews")}
    )

    assert approved.status_code == 303
    assert _product("Miến dong túi 1 kg").current_certificate.certificate_no == certificate_no
    assert "Miến dong túi 1 kg" in client.get("/products?q=mien+dong+tui").get_data(as_text=True)


def test_a_producer_may_choose_only_its_own_certificates(app, world):
    client = portal_client(app, world, "owner")
    others = world["other_product"].current_certificate.certificate_no

    response = _new_product(client, certificate_no=others)

    assert response.status_code == 422
    assert db.session.scalar(select(Product.id).where(Product.name == "Miến dong túi 1 kg")) is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Vui lòng nhập thông tin này."),
        ("price_vnd", "500", "Giá tối thiểu 1.000 ₫."),
        ("price_vnd", "1000000000001", "Giá tối đa 1.000.000.000.000 ₫."),  # issue 23: said the minimum
        ("stock", "-1", "Từ 0 đến 1.000.000."),
        ("category", "khong-co", "Vui lòng chọn một mục trong danh sách."),
    ],
)
def test_bad_input_is_shown_on_its_field(app, world, field, value, message):
    client = portal_client(app, world, "owner")

    response = _new_product(client, **{field: value})

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert message in html
    assert f'aria-describedby="{field}-error"' in html


def test_editing_a_product_that_changed_meanwhile_keeps_what_was_typed_beside_the_stored_version(app, world):
    client = portal_client(app, world, "owner")
    product = world["product"]
    stale = str(product.version)
    db.session.get(Product, product.id).unit = "túi 300 g"  # the office corrected the unit meanwhile
    db.session.commit()

    response = client.post(
        f"/portal/products/{product.id}",
        data={
            "csrf_token": csrf_token(client),
            "version": stale,
            "name": "Tên mới",
            "category": "thuc-pham-che-bien",
            "unit": "gói",
            "price_vnd": "90000",
            "status": "active",
        },
    )

    html = response.get_data(as_text=True)
    conflict = re.search(r'data-testid="edit-conflict">(.*?)</div>', html, re.S).group(1)
    assert response.status_code == 409
    assert _product("Miến dong Bình Liêu").price_vnd == 85000
    assert 'value="Tên mới"' in html and 'value="90000"' in html and 'value="gói"' in html  # what was typed
    assert "Sản phẩm vừa được lưu ở nơi khác" in conflict
    assert 'data-field="unit">Bản đang lưu: túi 300 g<' in conflict
    assert 'data-field="name">Bản đang lưu: Miến dong Bình Liêu<' in conflict
    assert 'data-field="category"' not in conflict  # the same in both
    # saving again (against the stored version now in the form) keeps the producer's version
    again = re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)
    saved = client.post(
        f"/portal/products/{product.id}",
        data={
            "csrf_token": csrf_token(client),
            "version": again,
            "name": "Tên mới",
            "category": "thuc-pham-che-bien",
            "unit": "gói",
            "price_vnd": "90000",
            "status": "active",
        },
    )
    assert saved.status_code == 303 and _product("Tên mới").price_vnd == 90000


def test_the_office_renews_an_expired_certificate_and_the_product_is_back_on_sale(app, world):
    expired = factories.product(
        "Chè hoa vàng", world["owner_producer"], world["ref"]["processed"], issued_on=date(2023, 1, 5)
    )
    db.session.commit()
    shop = app.test_client()
    assert "Chè hoa vàng" not in shop.get("/products?q=che+hoa+vang").get_data(as_text=True)
    client = portal_client(app, world, "admin")

    response = client.post(
        f"/portal/admin/products/{expired.id}/certificates",
        data={
            "csrf_token": csrf_token(client),
            "stars": "4",
            "certificate_no": "77/QĐ-UBND",
            "issuing_level": "province",
            "issued_on": "2026-11-01",
        },
    )

    assert response.status_code == 303
    assert _product("Chè hoa vàng").current_certificate.certificate_no == "77/QĐ-UBND"
    assert "Chè hoa vàng" in shop.get("/products?q=che+hoa+vang").get_data(as_text=True)


def test_the_office_moderates_and_registers_producers(app, world):
    client = portal_client(app, world, "admin")
    token = csrf_token(client)

    archived = client.post(
        f"/portal/admin/products/{world['product'].id}/status", data={"csrf_token": token, "status": "archived"}
    )
    registered = client.post(
        "/portal/admin/producers",
        data={
            "csrf_token": token,
            "name": "HTX Chè Đường Hoa",
            "legal_form": "cooperative",
            "locality": "binh-lieu",
            "tax_code": "12",
        },
    )

    assert archived.status_code == 303
    assert _product("Miến dong Bình Liêu").status == "archived"
    assert registered.status_code == 422
    assert "Mã số thuế chưa đúng: 10 chữ số" in registered.get_data(as_text=True)
    assert db.session.scalar(select(Producer.id).where(Producer.name == "HTX Chè Đường Hoa")) is None


def test_a_new_token_is_shown_once(app, world):
    client = portal_client(app, world, "owner")

    html = client.post(
        "/portal/tokens", data={"csrf_token": csrf_token(client), "name": "kho", "scopes": "both"}
    ).get_data(as_text=True)

    assert 'data-testid="new-token">ocop_' in html
    assert 'data-testid="new-token"' not in client.get("/portal/tokens").get_data(as_text=True)
