"""Shared set-up for e-invoice tests: two invoicing producers with mixed VAT rates, paid by bank transfer."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from catalogue.extensions import db
from catalogue.invoices import signing, xml
from catalogue.invoices.models import Invoice, InvoiceSettings
from catalogue.orders.models import Order
from tests import factories
from tests.order_helpers import body
from tests.payments.rail_helpers import post_sepay, sepay_body, use_rails

HTX_TAX_CODE = "0100109106"
HOUSEHOLD_TAX_CODE = "0100000028"


def invoicing_shelf() -> dict:
    """A cooperative (VAT invoices, series C26TAA) and a household (sales invoices, C26TBB), both invoicing."""
    ref = factories.reference_data()
    htx = factories.producer("HTX Miến dong Bình Liêu", ref["binh_lieu"])
    htx.tax_code, htx.address = HTX_TAX_CODE, "Thôn Sông Moóc, xã Bình Liêu, Quảng Ninh"
    home = factories.producer("Hộ kinh doanh Rượu Vân Đồn", ref["van_don"], legal_form="household")
    home.tax_code, home.address = HOUSEHOLD_TAX_CODE, "Xã Vân Đồn, Quảng Ninh"
    products = {
        "mien": factories.product("Miến dong Bình Liêu", htx, ref["processed"], price_vnd=85000, stock=200),
        "ruou": factories.product("Rượu ba kích", htx, ref["spirits"], price_vnd=250000, stock=200),
        "tuoi": factories.product("Khoai môn tươi", htx, ref["processed"], price_vnd=33333, stock=200),
        "men_la": factories.product("Rượu men lá Vân Đồn", home, ref["spirits"], price_vnd=120000, stock=200),
    }
    products["mien"].vat_rate, products["ruou"].vat_rate, products["tuoi"].vat_rate = "8%", "10%", "KCT"
    db.session.add_all(
        [
            InvoiceSettings(producer_id=htx.id, enabled=True, legal_name="Hợp tác xã Miến dong Bình Liêu",
                            address=htx.address, template="1", series="C26TAA", provider="none"),
            InvoiceSettings(producer_id=home.id, enabled=True, legal_name="Hộ kinh doanh Rượu Vân Đồn",
                            address=home.address, template="2", series="C26TBB", provider="none"),
        ]
    )  # fmt: skip
    db.session.commit()
    return {"htx": htx, "home": home, **products}


def place(client, *lines, **overrides) -> dict:
    """Place a VietQR order for (product, quantity) lines; the API's answer."""
    answer = client.post(
        "/api/v1/orders", json=body(*((p.id, q) for p, q in lines), payment_method="vietqr", **overrides)
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def pay(client, placed: dict, transaction_id: int) -> None:
    """Pay the order in full by a signed SePay transfer."""
    payment = placed["payment"]
    answer = post_sepay(client, sepay_body(transaction_id, payment["content"], payment["amount_vnd"]))
    assert answer.status_code == 200 and answer.get_json()["outcomes"] == ["paid"], answer.get_json()


def invoices_of(code: str) -> list[Invoice]:
    db.session.expire_all()
    order = db.session.scalar(select(Order).where(Order.code == code))
    return list(db.session.scalars(select(Invoice).where(Invoice.order_id == order.id).order_by(Invoice.id)))


def assert_valid_and_signed(invoice: Invoice, tmp_path: Path) -> None:
    """The stored XML follows the XSD and its signature verifies with signxml and with xmlsec1."""
    document = invoice.xml.encode()
    xml.validate(document)
    certificate = signing.certificate_of(document)
    signing.verify(document, certificate)
    path, pem = tmp_path / f"invoice-{invoice.id}.xml", tmp_path / f"invoice-{invoice.id}.pem"
    path.write_bytes(document)
    pem.write_bytes(certificate)
    checked = subprocess.run(
        ["xmlsec1", "--verify", "--id-attr:Id", "DLHDon", "--pubkey-cert-pem", str(pem), str(path)],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr


__all__ = ["use_rails"]


def issue_for(order, producer) -> Invoice:
    """Turn on invoicing for `producer` (a valid tax code) and issue the paid `order`'s invoice directly."""
    from catalogue import clock
    from catalogue.invoices.issuing import issue_for_order
    from catalogue.orders.models import OrderEvent

    producer.tax_code = producer.tax_code or HTX_TAX_CODE
    db.session.add(
        InvoiceSettings(
            producer_id=producer.id,
            enabled=True,
            legal_name=producer.name,
            address="Bình Liêu, Quảng Ninh",
            template="1",
            series="C26TAA",
            provider="none",
        )
    )
    db.session.add(OrderEvent(order_id=order.id, from_status="pending_payment", to_status="paid", reason="test"))
    db.session.commit()
    (invoice_id,) = issue_for_order(order.id, clock.now())
    return db.session.get(Invoice, invoice_id)


@pytest.fixture
def every_invoice_checked(app):
    """After the test, every invoice it issued follows the XSD and its signature verifies (signxml)."""
    yield
    db.session.rollback()
    for invoice in db.session.scalars(select(Invoice)):
        document = invoice.xml.encode()
        xml.validate(document)
        signing.verify(document, signing.certificate_of(document))
