"""GET /api/v1/orders/{code}/invoices and /api/v1/invoices/{id}.xml; a company invoice asked at checkout."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from catalogue.accounts import services as accounts
from catalogue.extensions import db
from catalogue.orders.models import Order
from tests.access_helpers import PASSWORD
from tests.invoices.invoice_helpers import (
    every_invoice_checked,  # noqa: F401 - the fixture
    invoices_of,
    invoicing_shelf,
    pay,
    place,
    use_rails,
)
from tests.order_helpers import body

pytestmark = [
    pytest.mark.parametrize("backend", ["sqlite"]),  # nothing here differs by database
    pytest.mark.usefixtures("every_invoice_checked"),  # every invoice issued follows the XSD and verifies
]
COMPANY = {"company_name": "Công ty TNHH Du lịch Hạ Long Xanh", "tax_code": "0100000035",
           "address": "Số 5 đường Bãi Cháy, Hạ Long, Quảng Ninh", "email": "ketoan@halongxanh.vn"}  # fmt: skip


@pytest.fixture
def paid(app, empty_client):
    use_rails(app)
    shelf = invoicing_shelf()
    placed = place(empty_client, (shelf["mien"], 1), (shelf["men_la"], 1), invoice=COMPANY)
    pay(empty_client, placed, 1)
    return {**placed, **shelf}


def test_the_buyer_lists_the_order_s_invoices_and_downloads_the_xml(empty_client, paid):
    auth = {"Authorization": f"Bearer {paid['access_token']}"}

    answer = empty_client.get(f"/api/v1/orders/{paid['code']}/invoices", headers=auth)

    assert answer.status_code == 200
    body = answer.get_json()
    assert body["total"] == 2
    first = body["items"][0]
    assert (first["series"], first["number"], first["kind"], first["status"]) == ("C26TAA", 1, "original", "queued")
    assert first["buyer"] == {"name": "Nguyễn Thị Lan", "company": COMPANY["company_name"], "tax_code": "0100000035",
                              "address": COMPANY["address"], "email": COMPANY["email"]}  # fmt: skip
    assert first["seller"]["tax_code"] == "0100109106"
    assert sum(item["total_vnd"] for item in body["items"]) == paid["total_vnd"]
    xml = empty_client.get(first["xml_url"].replace("http://shop.test", ""), headers=auth)
    assert xml.status_code == 200 and xml.mimetype == "application/xml"
    assert (
        b"<NMua><Ten>C\xc3\xb4ng ty TNHH Du l\xe1\xbb\x8bch H\xe1\xba\xa1 Long Xanh</Ten><MST>0100000035</MST>"
        in xml.data
    )
    assert xml.data == invoices_of(paid["code"])[0].xml.encode()


def test_a_producer_reads_only_its_own_invoices_and_the_office_all(app, empty_client, paid):
    accounts.create_user("htx@example.com", PASSWORD, "producer", paid["htx"].slug)
    accounts.create_user("home@example.com", PASSWORD, "producer", paid["home"].slug)
    accounts.create_user("office@example.com", PASSWORD, "admin")
    token = accounts.create_token("htx@example.com", ["orders:read"])[0]
    other_token = accounts.create_token("home@example.com", ["orders:read"])[0]
    admin_token = accounts.create_token("office@example.com", ["admin"])[0]
    url = f"/api/v1/orders/{paid['code']}/invoices"

    mine = empty_client.get(url, headers={"Authorization": f"Bearer {token}"}).get_json()
    theirs = empty_client.get(url, headers={"Authorization": f"Bearer {other_token}"}).get_json()
    office = empty_client.get(url, headers={"Authorization": f"Bearer {admin_token}"}).get_json()

    assert [item["series"] for item in mine["items"]] == ["C26TAA"]
    assert [item["series"] for item in theirs["items"]] == ["C26TBB"]
    assert office["total"] == 2
    htx_invoice, home_invoice = invoices_of(paid["code"])
    assert empty_client.get(f"/api/v1/invoices/{home_invoice.id}.xml",
                            headers={"Authorization": f"Bearer {token}"}).status_code == 404  # fmt: skip
    assert empty_client.get(f"/api/v1/invoices/{htx_invoice.id}.xml",
                            headers={"Authorization": f"Bearer {token}"}).status_code == 200  # fmt: skip


def test_without_a_token_or_with_another_order_s_nothing_is_read(empty_client, paid):
    other = place(empty_client, (paid["mien"], 1))
    (invoice, _) = invoices_of(paid["code"])

    assert empty_client.get(f"/api/v1/orders/{paid['code']}/invoices").status_code == 401
    wrong = {"Authorization": f"Bearer {other['access_token']}"}
    assert empty_client.get(f"/api/v1/orders/{paid['code']}/invoices", headers=wrong).status_code == 404
    assert empty_client.get(f"/api/v1/invoices/{invoice.id}.xml", headers=wrong).status_code == 404
    assert empty_client.get(f"/api/v1/invoices/{invoice.id}.xml").status_code == 401


def test_an_invalid_company_tax_code_is_a_422_naming_the_field_and_places_nothing(app, empty_client):
    use_rails(app)
    shelf = invoicing_shelf()
    request = body((shelf["mien"].id, 1), payment_method="vietqr", invoice={**COMPANY, "tax_code": "0100109107"})
    answer = empty_client.post("/api/v1/orders", json=request)

    assert answer.status_code == 422
    assert list(answer.get_json()["errors"]["invoice"]) == ["tax_code"]
    assert db.session.scalar(select(func.count(Order.id))) == 0


def test_the_portal_list_filters_by_status_month_and_kind_and_keeps_to_the_producer(paid):
    from catalogue import clock
    from catalogue.accounts.principal import Principal
    from catalogue.invoices.listing import InvoiceFilter, invoices_csv, list_invoices

    htx = Principal(user_id=None, role="producer", producer_id=paid["htx"].id, scopes=frozenset(), label="htx")
    month = clock.now().astimezone(clock.VIETNAM).strftime("%Y-%m")

    def numbers(**wanted):
        rows, total = list_invoices(htx, InvoiceFilter(**wanted))
        return [(invoice.series, invoice.number) for invoice, _ in rows], total

    assert numbers() == ([("C26TAA", 1)], 1)  # the household's invoice of the same order is not listed
    assert numbers(status="queued", month=month, kind="original") == ([("C26TAA", 1)], 1)
    assert numbers(status="sent") == ([], 0)
    assert numbers(month="2020-01") == ([], 0)
    assert numbers(kind="adjustment") == ([], 0)
    lines = invoices_csv(htx, InvoiceFilter()).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Ký hiệu,Số,Loại,Ngày lập,Đơn hàng,Người mua,Tên đơn vị,MST người mua")
    assert lines[1].startswith("C26TAA,00000001,Gốc,") and f",{paid['code']},Nguyễn Thị Lan," in lines[1]
    assert len(lines) == 2
