"""The office's producer form: a tax code whose check digit fails, a phone that is not one, a tax code already
registered and a name already registered in the locality are each refused in Vietnamese on the form, keeping
what the clerk typed; the user form tells two producers of the same name apart."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from catalogue.extensions import db
from catalogue.producers.models import Producer
from tests.access_helpers import cast, portal_client
from tests.storefront_helpers import csrf_token

VALID_TAX_CODE = "0100109106"
ERRORS = re.compile(r'<p class="field-error" id="([\w-]+)-error">([^<]+)</p>')


@pytest.fixture
def world(app):
    return cast()


def _register(client, **overrides):
    data = {
        "csrf_token": csrf_token(client),
        "name": "HTX Chè Đường Hoa",
        "legal_form": "cooperative",
        "locality": "binh-lieu",
        "tax_code": VALID_TAX_CODE,
        "address": "Thôn Khe Lánh, xã Đồng Văn",
        "phone": "0912345678",
        "email": "chedh@example.com",
    }
    data.update(overrides)
    return client.post("/portal/admin/producers", data=data)


def _count(name: str) -> int:
    return db.session.scalar(select(func.count(Producer.id)).where(Producer.name == name))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("tax_code", "0100109107", "Mã số thuế chưa đúng: 10 chữ số (hoặc 10 chữ số - 3 chữ số)"),
        ("phone", "abc 🍵", "Số điện thoại Việt Nam, ví dụ 0912345678"),
        ("phone", "12345", "Số điện thoại Việt Nam, ví dụ 0912345678"),
    ],
)
def test_bad_data_is_refused_on_its_field_in_vietnamese_and_the_form_keeps_it(app, world, field, value, message):
    client = portal_client(app, world, "admin")

    response = _register(client, **{field: value})

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in dict(ERRORS.findall(html))[field]
    assert 'value="Thôn Khe Lánh, xã Đồng Văn"' in html
    assert _count("HTX Chè Đường Hoa") == 0


def test_a_registered_tax_code_is_refused_on_the_form_not_an_english_error_page(app, world):
    client = portal_client(app, world, "admin")
    assert _register(client).status_code == 303

    response = _register(client, name="Công ty Chè Đồng Văn")

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert dict(ERRORS.findall(html))["tax_code"] == "Mã số thuế này đã được đăng ký cho một chủ thể khác."
    assert 'value="Công ty Chè Đồng Văn"' in html and "exists" not in html
    assert _count("Công ty Chè Đồng Văn") == 0


def test_a_name_already_registered_in_the_locality_asks_for_confirmation_first(app, world):
    # Given "HTX Miến dong Bình Liêu" in Bình Liêu, typed again without its tone marks and in other case
    client = portal_client(app, world, "admin")
    typed = {"name": "htx mien dong  binh lieu", "tax_code": ""}

    warned = _register(client, **typed)
    elsewhere = _register(client, name="HTX Miến dong Bình Liêu", locality="van-don", tax_code="", phone="")
    confirmed = _register(client, **typed, confirm_duplicate="y")

    html = warned.get_data(as_text=True)
    assert warned.status_code == 422
    assert "Đã có chủ thể “HTX Miến dong Bình Liêu” ở" in dict(ERRORS.findall(html))["name"]
    assert 'data-testid="confirm-duplicate"' in html and 'value="htx mien dong  binh lieu"' in html
    assert elsewhere.status_code == 303  # another locality: not the same producer
    assert confirmed.status_code == 303
    assert _count("htx mien dong  binh lieu") == 1


def test_the_user_form_tells_two_producers_of_the_same_name_apart(app, world):
    client = portal_client(app, world, "admin")
    assert _register(client, name="HTX Miến dong Bình Liêu", locality="van-don", tax_code="").status_code == 303

    html = client.get("/portal/admin/users").get_data(as_text=True)

    options = re.findall(r"<option value=\"[^\"]+\">(HTX Miến dong Bình Liêu[^<]*)</option>", html)
    assert sorted(options) == ["HTX Miến dong Bình Liêu — Bình Liêu", "HTX Miến dong Bình Liêu — Vân Đồn"]
