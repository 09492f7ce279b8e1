"""Invoice numbers are gap-free per producer and series, even under 20 concurrent payments."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select

from catalogue.extensions import db
from catalogue.invoices.models import Invoice, InvoiceCounter
from tests.invoices.invoice_helpers import (
    every_invoice_checked,  # noqa: F401 - the fixture
    invoicing_shelf,
    place,
    use_rails,
)
from tests.live import race, serving
from tests.payments.rail_helpers import SEPAY_KEY, sepay_body

pytestmark = pytest.mark.usefixtures("every_invoice_checked")
PAYMENTS = 20


@pytest.mark.slow
def test_twenty_concurrent_payments_number_their_invoices_one_to_twenty(app, empty_client):
    use_rails(app)
    shelf = invoicing_shelf()
    orders = [place(empty_client, (shelf["mien"], 1), (shelf["men_la"], 1)) for _ in range(PAYMENTS)]

    def pay(index: int) -> int:
        payment = orders[index]["payment"]
        transfer = sepay_body(1000 + index, payment["content"], payment["amount_vnd"])
        answer = requests.post(f"{base}/webhooks/bank-transfer", json=transfer, timeout=60,
                               headers={"Authorization": f"Apikey {SEPAY_KEY}"})  # fmt: skip
        return answer.status_code

    with serving(app) as base:
        statuses = race(PAYMENTS, pay)

    assert statuses == [200] * PAYMENTS
    db.session.expire_all()
    for producer, series in ((shelf["htx"], "C26TAA"), (shelf["home"], "C26TBB")):
        numbers = db.session.scalars(
            select(Invoice.number).where(Invoice.producer_id == producer.id).order_by(Invoice.number)
        ).all()
        assert numbers == list(range(1, PAYMENTS + 1))
        assert db.session.get(InvoiceCounter, (producer.id, series)).last_number == PAYMENTS
    orders_invoiced = db.session.scalars(select(Invoice.order_id).distinct()).all()
    assert len(orders_invoiced) == PAYMENTS
