"""Issued invoices reach their provider; a refusal or a timeout keeps them queued and visible, never lost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from catalogue import clock
from catalogue.extensions import db
from catalogue.invoices.models import Invoice, InvoiceSettings
from catalogue.invoices.sending import send_due, send_invoice
from tests.invoices.invoice_fakes import SECRET, USERNAME, fake_provider
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


@pytest.fixture
def provider(app):
    """Both producers invoice through VNPT, which is the fake."""
    use_rails(app)
    shelf = invoicing_shelf()
    db.session.execute(update(InvoiceSettings).values(provider="vnpt"))
    db.session.commit()
    with fake_provider() as (fake, url):
        app.config.update(INVOICE_VNPT_URL=url, INVOICE_VNPT_USERNAME=USERNAME, INVOICE_VNPT_SECRET=SECRET,
                          INVOICE_VNPT_TAX_CODE="0100684378", INVOICE_READ_TIMEOUT=0.3, INVOICE_SEND_ATTEMPTS=2,
                          INVOICE_BACKOFF_SECONDS=0)  # fmt: skip
        yield {"fake": fake, "shelf": shelf}


def test_a_paid_order_s_invoices_are_sent_and_get_their_codes(app, empty_client, provider):
    shelf = provider["shelf"]
    placed = place(empty_client, (shelf["mien"], 1), (shelf["men_la"], 1))

    pay(empty_client, placed, 1)

    invoices = invoices_of(placed["code"])
    assert [(i.status, i.provider_lookup_code, i.authority_code, i.attempts) for i in invoices] == [
        ("sent", "TRACUU0001", "M1-26-TRACUU0001", 1),
        ("sent", "TRACUU0002", "M1-26-TRACUU0002", 1),
    ]
    assert provider["fake"].refusals == []
    assert "<MSTTCGP>0100684378</MSTTCGP>" in invoices[0].xml


def test_a_rejected_invoice_is_kept_with_the_provider_s_reason(app, empty_client, provider):
    provider["fake"].mode = "reject"
    shelf = provider["shelf"]
    placed = place(empty_client, (shelf["mien"], 1))

    pay(empty_client, placed, 2)

    (invoice,) = invoices_of(placed["code"])
    assert (invoice.status, invoice.number, invoice.provider_lookup_code) == ("rejected", 1, "")
    assert invoice.last_error == "Nhà cung cấp từ chối: MST người mua không tồn tại"
    assert send_due(clock.now()) == {}  # a rejection is not retried blindly


def test_a_timeout_keeps_the_invoice_queued_and_a_later_try_sends_it_once(app, empty_client, provider):
    fake = provider["fake"]
    fake.mode = "timeout"
    shelf = provider["shelf"]
    placed = place(empty_client, (shelf["mien"], 1))

    pay(empty_client, placed, 3)

    (invoice,) = invoices_of(placed["code"])
    assert (invoice.status, invoice.number, invoice.attempts, fake.requests) == ("queued", 1, 1, 2)
    assert invoice.last_error.startswith("Chưa gửi được: vnpt: ReadTimeout")
    assert send_due(clock.now()) == {}  # not due before its next try
    fake.mode = "accept"
    fake.release.set()

    assert send_due(clock.now() + timedelta(minutes=11)) == {"sent": 1}

    (invoice,) = invoices_of(placed["code"])
    assert (invoice.status, invoice.number, invoice.attempts, invoice.provider_lookup_code) == (
        "sent", 1, 2, "TRACUU0001"
    )  # fmt: skip
    assert send_invoice(invoice.id, clock.now()) == "skipped"  # a sent invoice is never sent again


def test_wrong_credentials_keep_the_invoice_queued(app, empty_client, provider):
    app.config["INVOICE_VNPT_SECRET"] = "not-the-secret"
    shelf = provider["shelf"]
    placed = place(empty_client, (shelf["mien"], 1))

    pay(empty_client, placed, 4)

    (invoice,) = invoices_of(placed["code"])
    assert (invoice.status, provider["fake"].refusals) == ("queued", ["credentials"])
    assert "HTTP 401" in invoice.last_error
    assert db.session.get(Invoice, invoice.id).next_attempt_at is not None
