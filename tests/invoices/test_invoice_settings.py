"""The office sets how producers invoice: tax code required, certificates checked, VAT rates, coverage and queue."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from catalogue.extensions import db
from catalogue.invoices import signing, sweep
from catalogue.invoices.models import InvoiceSettings
from catalogue.products.models import Product
from catalogue.storage import storage
from tests.access_helpers import cast, portal_client
from tests.invoices.invoice_helpers import (
    HTX_TAX_CODE,
    assert_valid_and_signed,
    every_invoice_checked,  # noqa: F401 - the fixture
    invoices_of,
    pay,
    place,
    use_rails,
)
from tests.storefront_helpers import csrf_token

pytestmark = [
    pytest.mark.parametrize("backend", ["sqlite"]),  # nothing here differs by database
    pytest.mark.usefixtures("every_invoice_checked"),  # every invoice issued follows the XSD and verifies
]
SETTINGS = {"legal_name": "HTX Miến dong Bình Liêu", "address": "Bình Liêu", "template": "1", "series": "C26TAA",
            "provider": "none"}  # fmt: skip


def _p12(tax_code: str, password: str = "mật-khẩu", not_before: datetime | None = None, days: int = 365) -> bytes:
    identity = signing.make_identity(tax_code, "HTX MIEN DONG BINH LIEU", not_before=not_before, days=days)
    return pkcs12.serialize_key_and_certificates(
        b"test", identity.key, identity.certificate, None, serialization.BestAvailableEncryption(password.encode())
    )


@pytest.fixture
def office(app):
    world = cast()
    client = portal_client(app, world, "admin")
    return {"world": world, "client": client, "producer": world["owner_producer"]}


def _post(client, path: str, data: dict):
    return client.post(path, data={**data, "csrf_token": csrf_token(client)},
                       content_type="multipart/form-data")  # fmt: skip


def test_a_producer_without_a_valid_tax_code_cannot_be_set_to_invoice(office):
    producer = office["producer"]
    producer.tax_code = "0100109107"  # the check digit fails
    db.session.commit()

    answer = _post(office["client"], f"/portal/admin/producers/{producer.id}/invoicing", {**SETTINGS, "enabled": "y"})

    assert answer.status_code == 422
    assert "Chủ thể chưa có mã số thuế hợp lệ" in answer.get_data(as_text=True)
    assert db.session.get(InvoiceSettings, producer.id) is None


UPLOADS = {  # what the office uploads → the reason it is refused
    "does not open": (lambda: (b"not a pkcs12", "x"), "Không mở được tệp chứng thư số"),
    "wrong password": (lambda: (_p12(HTX_TAX_CODE), "sai mật khẩu"), "Không mở được tệp chứng thư số"),
    "expired": (lambda: (_p12(HTX_TAX_CODE, not_before=datetime.now(UTC) - timedelta(days=400)), "mật-khẩu"),
                "Chứng thư số đã hết hạn"),
    "another tax code": (lambda: (_p12("0100000028"), "mật-khẩu"),
                         "Chứng thư số cấp cho mã số thuế 0100000028, không phải 0100109106"),
}  # fmt: skip


def test_a_certificate_that_cannot_sign_for_the_producer_is_refused_with_the_reason(app, office):
    producer = office["producer"]
    producer.tax_code = HTX_TAX_CODE
    db.session.commit()

    for name, (upload, reason) in UPLOADS.items():
        data, password = upload()
        answer = _post(office["client"], f"/portal/admin/producers/{producer.id}/invoicing/certificate",
                       {"certificate": (io.BytesIO(data), "htx.p12"), "password": password})  # fmt: skip

        assert answer.status_code == 422, name
        assert reason in answer.get_data(as_text=True), name
        assert db.session.get(InvoiceSettings, producer.id) is None, name
        assert not list(storage().list("invoice-certs/", private=True)), name


def test_a_producer_cannot_set_a_vat_rate(app, office):
    product = office["world"]["product"]
    owner = portal_client(app, office["world"], "owner")

    answer = _post(owner, f"/portal/admin/products/{product.id}/vat-rate", {"vat_rate": "5%"})

    assert answer.status_code == 403
    db.session.expire_all()
    assert db.session.get(Product, product.id).vat_rate is None


def test_an_uploaded_certificate_signs_the_producer_s_invoices(app, office, tmp_path):
    use_rails(app)
    producer = office["producer"]
    producer.tax_code = HTX_TAX_CODE
    db.session.commit()
    client = office["client"]

    saved = _post(client, f"/portal/admin/producers/{producer.id}/invoicing", {**SETTINGS, "enabled": "y"})
    uploaded = _post(client, f"/portal/admin/producers/{producer.id}/invoicing/certificate",
                     {"certificate": (io.BytesIO(_p12(HTX_TAX_CODE)), "htx.p12"), "password": "mật-khẩu"})  # fmt: skip
    rate = _post(client, f"/portal/admin/products/{office['world']['product'].id}/vat-rate", {"vat_rate": "5%"})

    assert (saved.status_code, uploaded.status_code, rate.status_code) == (303, 303, 303)
    settings = db.session.get(InvoiceSettings, producer.id)
    assert (settings.enabled, settings.series) == (True, "C26TAA")
    assert settings.certificate_file.startswith(f"producer-{producer.id}-")  # a new name at each upload
    stored = storage().get(f"invoice-certs/{settings.certificate_file}", private=True)
    assert b"MST:0100109106" not in stored  # kept sealed at rest (catalogue.storage.sealing)
    assert db.session.get(Product, office["world"]["product"].id).vat_rate == "5%"

    placed = place(app.test_client(), (office["world"]["product"], 1))
    pay(app.test_client(), placed, 1)

    (invoice,) = invoices_of(placed["code"])
    assert (invoice.is_test, invoice.lines[0].vat_rate) == (False, "5%")
    assert_valid_and_signed(invoice, tmp_path)
    assert "HÓA ĐƠN THỬ NGHIỆM" not in app.test_client().get(
        f"/orders/{placed['code']}/invoices/{invoice.id}?token={placed['access_token']}", follow_redirects=True
    ).get_data(as_text=True)


def test_the_office_sees_coverage_and_the_queue(app, office):
    use_rails(app)
    producer = office["producer"]
    producer.tax_code = HTX_TAX_CODE
    db.session.add(InvoiceSettings(producer_id=producer.id, enabled=True, legal_name=producer.name, template="1",
                                   series="C26TAA", provider="vnpt"))  # fmt: skip
    db.session.commit()
    buyer = app.test_client()
    invoiced = place(buyer, (office["world"]["product"], 1))
    pay(buyer, invoiced, 1)
    uninvoiced = place(buyer, (office["world"]["other_product"], 1))  # the other producer does not invoice
    pay(buyer, uninvoiced, 2)

    page = office["client"].get("/portal/admin/invoices").get_data(as_text=True)

    assert "1 trên 2 đơn hàng đã thanh toán có đủ hóa đơn" in page
    # queued, visible, with the reason worded for the clerk (the provider named, what to do)
    assert "Chưa cấu hình kết nối tới VNPT: hãy báo quản trị hệ thống đặt khoá kết nối." in page
    table, overall = sweep.coverage()
    assert overall == (1, 2)
    assert sorted((row.producer_name, row.paid_orders, row.invoiced_orders) for row in table) == [
        ("Công ty Nước mắm Vân Đồn", 1, 0),
        ("HTX Miến dong Bình Liêu", 1, 1),
    ]
