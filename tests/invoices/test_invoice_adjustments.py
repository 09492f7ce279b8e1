"""A refund never deletes an invoice: it issues an adjustment to zero that names the original."""

from __future__ import annotations

import pytest
from lxml import etree
from sqlalchemy import select

from catalogue.accounts.principal import SYSTEM
from catalogue.extensions import db
from catalogue.invoices.jobs import process_order
from catalogue.orders import wiring
from catalogue.payments.models import Payment
from tests.invoices.invoice_helpers import (
    assert_valid_and_signed,
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


def _refund_in_full(code: str) -> None:
    """The office cancels the paid order and records the money it returned by hand."""
    wiring.cancel_by_admin(code, "khách trả hàng")
    refund = db.session.scalar(select(Payment).where(Payment.kind == "refund", Payment.state == "due"))
    wiring.mark_refund_returned(SYSTEM, refund.id, "FT-HOAN-1")


def test_a_full_refund_issues_an_adjustment_to_zero_naming_the_original(app, empty_client, tmp_path):
    use_rails(app)
    shelf = invoicing_shelf()
    placed = place(empty_client, (shelf["mien"], 2), (shelf["ruou"], 1), (shelf["men_la"], 1))
    pay(empty_client, placed, 1)
    originals = invoices_of(placed["code"])
    snapshot = [(i.id, i.number, i.total_vnd, i.xml) for i in originals]

    _refund_in_full(placed["code"])

    invoices = invoices_of(placed["code"])
    assert [(i.id, i.number, i.total_vnd, i.xml) for i in invoices[:2]] == snapshot  # nothing deleted or changed
    adjustments = invoices[2:]
    assert [(a.kind, a.adjusts_invoice_id, a.number) for a in adjustments] == [
        ("adjustment", originals[0].id, 2),
        ("adjustment", originals[1].id, 2),
    ]
    for original, adjustment in zip(originals, adjustments, strict=True):
        assert adjustment.total_vnd == -original.total_vnd and adjustment.tax_vnd == -original.tax_vnd
        assert [line.amount_vnd for line in adjustment.lines] == [-line.amount_vnd for line in original.lines]
        assert original.total_vnd + adjustment.total_vnd == 0
        assert_valid_and_signed(adjustment, tmp_path)
        related = etree.fromstring(adjustment.xml.encode()).find("DLHDon/TTChung/TTHDLQuan")
        assert [related.findtext(tag) for tag in ("TCHDon", "KHHDCLQuan", "SHDCLQuan")] == [
            "2",
            original.series,
            str(original.number),
        ]
    assert adjustments[0].total_in_words.startswith("Điều chỉnh giảm: ")

    assert process_order(originals[0].order_id) == []  # a second run adjusts nothing again
    assert len(invoices_of(placed["code"])) == 4


def test_cancelling_an_unpaid_order_issues_no_invoice(app, empty_client):
    use_rails(app)
    shelf = invoicing_shelf()
    placed = place(empty_client, (shelf["mien"], 1))

    wiring.cancel_by_admin(placed["code"], "khách không thanh toán")

    assert invoices_of(placed["code"]) == []
