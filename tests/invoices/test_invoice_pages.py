"""The buyer's order page lists its invoices; each prints as an A4 page in Vietnamese, with its XML."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from catalogue.extensions import db
from catalogue.invoices.models import InvoiceRequest
from catalogue.orders.models import Order
from tests.invoices.invoice_helpers import (
    every_invoice_checked,  # noqa: F401 - the fixture
    invoices_of,
    invoicing_shelf,
    pay,
    place,
    use_rails,
)

pytestmark = [
    pytest.mark.parametrize("backend", ["sqlite"]),  # nothing here differs by database
    pytest.mark.usefixtures("every_invoice_checked"),  # every invoice issued follows the XSD and verifies
]


def test_the_order_page_lists_the_invoices_and_each_prints_with_seller_buyer_lines_and_words(app, empty_client):
    use_rails(app)
    shelf = invoicing_shelf()
    placed = place(empty_client, (shelf["mien"], 2), (shelf["ruou"], 1))
    pay(empty_client, placed, 1)
    (invoice,) = invoices_of(placed["code"])
    token = placed["access_token"]

    page = empty_client.get(f"/orders/{placed['code']}?token={token}", follow_redirects=True).get_data(as_text=True)
    printable = empty_client.get(f"/orders/{placed['code']}/invoices/{invoice.id}?token={token}", follow_redirects=True)
    xml = empty_client.get(f"/orders/{placed['code']}/invoices/{invoice.id}.xml?token={token}", follow_redirects=True)

    assert 'data-testid="order-invoices"' in page and "Hóa đơn C26TAA số 00000001" in page
    html = printable.get_data(as_text=True)
    assert printable.status_code == 200
    for text in ("HÓA ĐƠN GIÁ TRỊ GIA TĂNG", "Hợp tác xã Miến dong Bình Liêu", "0100109106", "Nguyễn Thị Lan",
                 "Miến dong Bình Liêu", "Rượu ba kích", "Phí vận chuyển", "8%", "10%", "460.000", "15.556",
                 "Bốn trăm sáu mươi nghìn đồng", "KHÔNG CÓ GIÁ TRỊ VỀ THUẾ"):  # fmt: skip
        assert text in html, text
    assert xml.status_code == 200 and xml.data == invoice.xml.encode()
    assert 'filename="hoa-don-C26TAA-00000001.xml"' in xml.headers["Content-Disposition"]


def test_without_the_order_s_token_no_invoice_is_shown(app, empty_client):
    use_rails(app)
    shelf = invoicing_shelf()
    placed = place(empty_client, (shelf["mien"], 1))
    pay(empty_client, placed, 2)
    (invoice,) = invoices_of(placed["code"])
    other = place(empty_client, (shelf["mien"], 1))

    stranger = app.test_client()
    assert stranger.get(f"/orders/{placed['code']}/invoices/{invoice.id}").status_code == 404
    assert stranger.get(f"/orders/{placed['code']}/invoices/{invoice.id}.xml").status_code == 404
    # Another order's token does not open this invoice through that order either.
    through_other = f"/orders/{other['code']}/invoices/{invoice.id}?token={other['access_token']}"
    assert stranger.get(through_other, follow_redirects=True).status_code == 404


def _checkout(app, client, **company):
    from tests.storefront_helpers import csrf_token  # noqa: PLC0415

    use_rails(app)
    shelf = invoicing_shelf()
    token = csrf_token(client, f"/products/{shelf['mien'].slug}")
    client.post("/cart/add", data={"product_id": shelf["mien"].id, "quantity": 1, "csrf_token": token})
    form = {"name": "Nguyễn Thị Lan", "email": "lan@example.com", "phone": "0912 345 678", "province": "Quảng Ninh",
            "ward": "Phường Bãi Cháy", "line1": "12 đường Hạ Long", "payment_method": "vietqr", **company}  # fmt: skip
    return client.post("/checkout", data={**form, "csrf_token": csrf_token(client, "/checkout")})


def test_the_checkout_takes_a_company_for_the_invoice(app, empty_client):
    answer = _checkout(app, empty_client, company_name="Công ty TNHH Hạ Long Xanh", company_tax_code="0100000035",
                       company_address="Số 5 Bãi Cháy, Hạ Long", company_email="ketoan@halongxanh.vn")  # fmt: skip

    assert answer.status_code == 303
    request = db.session.scalar(select(InvoiceRequest))
    assert (request.company_name, request.tax_code, request.email) == (
        "Công ty TNHH Hạ Long Xanh", "0100000035", "ketoan@halongxanh.vn"
    )  # fmt: skip


def test_a_wrong_company_tax_code_is_shown_beside_its_field_and_places_nothing(app, empty_client):
    answer = _checkout(app, empty_client, company_name="Công ty TNHH Hạ Long Xanh", company_tax_code="0100000036",
                       company_address="Số 5 Bãi Cháy, Hạ Long")  # fmt: skip

    assert answer.status_code == 422
    assert 'id="company_tax_code-error">Mã số thuế chưa đúng' in answer.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Order.id))) == 0
