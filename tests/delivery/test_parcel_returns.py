"""A returned parcel's refund goes through the rail that took the money, and its producer's invoice is adjusted.

A two-producer order with real carrier adapters talking to their fakes (GHN, Viettel Post); paid by MoMo
(the fake MoMo, over real HTTP with a served app), the returned parcel's lines and fee are refunded by
MoMo's API once, under a request id made from the payment and the parcel, even when the carrier calls
back again and the sweep polls; paid by VietQR, the same amount is flagged `due` for the office. Either
way the adjustment invoice of that producer carries exactly the parcel's lines and fee, the other
producer's invoice is untouched. Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select

from catalogue.carriers.port import RETURNED
from catalogue.delivery.returns import part_of
from catalogue.extensions import db
from catalogue.invoices.issuing import SHIPPING_NAME
from catalogue.orders.models import Order
from catalogue.payments import ledger
from tests.delivery.parcel_helpers import (
    HANOI,
    book_both,
    bring_back,
    carrier_calls_back,
    paid_two_producer_order,
    parcel_amount,
    parcel_of,
    shipping_shelf,
    use_real_carrier,
)
from tests.invoices.invoice_helpers import invoices_of
from tests.live import serving
from tests.order_helpers import body
from tests.payments.payment_fakes import FakeMoMo
from tests.payments.rail_helpers import use_rails


@pytest.fixture
def momo():
    with FakeMoMo() as server:
        yield server


@pytest.fixture
def shop(app, case, fake, momo):
    use_real_carrier(app, case, fake)
    shelf = shipping_shelf(app)
    with serving(app) as base:  # MoMo's IPN reaches the shop over HTTP
        use_rails(app, momo_url=momo.url, PUBLIC_BASE_URL=base)
        yield shelf


def _paid_by_momo(client, shop, momo) -> dict:
    placed = client.post("/api/v1/orders", json=body((shop["mien"].id, 2), (shop["men_la"].id, 1),
                                                     payment_method="momo", shipping_address=HANOI))  # fmt: skip
    assert placed.status_code == 201, placed.get_json()
    placed = placed.get_json()
    requests.get(placed["payment"]["redirect_url"], allow_redirects=False, timeout=30)
    assert momo.ipn_answers[-1] == (204, "")
    return placed


def _order(code) -> Order:
    db.session.expire_all()
    return db.session.scalar(select(Order).where(Order.code == code))


def _refunds(order):
    return [row for row in ledger.rows_of(order.id) if row.kind == "refund"]


def _assert_adjusted_for_the_parcel_only(code, shop, parcel):
    """The htx's invoice is adjusted by exactly its parcel's lines and fee; the household's is not adjusted."""
    order = _order(code)
    invoices = invoices_of(code)
    originals = {invoice.producer_id: invoice for invoice in invoices if invoice.kind == "original"}
    adjustments = [invoice for invoice in invoices if invoice.kind == "adjustment"]
    assert [invoice.producer_id for invoice in adjustments] == [shop["htx"].id]
    adjustment, original = adjustments[0], originals[shop["htx"].id]
    assert adjustment.adjusts_invoice_id == original.id
    assert adjustment.total_vnd == -parcel_amount(order, parcel)
    lines = {line.name: line.gross_vnd for line in adjustment.lines}
    htx_lines = [line for line in order.lines if line.producer_id == shop["htx"].id]
    assert lines == {**{line.name: -line.line_total_vnd for line in htx_lines}, SHIPPING_NAME: -parcel.fee_vnd}
    assert adjustment.total_in_words.startswith("Điều chỉnh giảm")
    return adjustment


def test_a_returned_parcel_paid_by_momo_is_refunded_once_by_api_and_its_invoice_adjusted(
    app, empty_client, case, fake, momo, shop
):
    placed = _paid_by_momo(empty_client, shop, momo)
    code = placed["code"]
    book_both(empty_client, shop, code)
    parcel = parcel_of(code, shop["htx"])

    bring_back(empty_client, case, fake, parcel)

    order = _order(code)
    amount = parcel_amount(order, parcel)
    assert parcel_of(code, shop["htx"]).status == RETURNED
    assert [(row.method, row.amount_vnd, row.state) for row in _refunds(order)] == [("momo", amount, "done")]
    assert len(momo.refunded_trans_ids) == 1  # one refund made at MoMo, however often the carrier spoke
    (request_id,) = momo.refunds
    assert request_id.endswith(f"-R{amount}-{part_of(parcel)}")  # from the payment, the amount and the parcel
    assert momo.refunds[request_id][0]["amount"] == amount
    assert order.status == "shipped"  # the other parcel still goes: the order is not refunded
    _assert_adjusted_for_the_parcel_only(code, shop, parcel)

    carrier_calls_back(empty_client, case, fake, parcel.tracking_code)  # once more, after all was done
    assert len(momo.refunded_trans_ids) == 1 and len(invoices_of(code)) == 3


def test_a_returned_parcel_paid_by_vietqr_is_flagged_for_the_office(app, empty_client, case, fake, momo, shop):
    placed = paid_two_producer_order(empty_client, shop)
    code = placed["code"]
    book_both(empty_client, shop, code)
    parcel = parcel_of(code, shop["htx"])

    bring_back(empty_client, case, fake, parcel)

    order = _order(code)
    refunds = _refunds(order)
    assert [(row.method, row.amount_vnd, row.state) for row in refunds] == [
        ("vietqr", parcel_amount(order, parcel), "due")
    ]
    assert ledger.details_of(refunds[0])["part"] == part_of(parcel)
    assert momo.refund_requests == 0
    _assert_adjusted_for_the_parcel_only(code, shop, parcel)


def test_a_momo_refund_that_fails_is_left_to_the_office_never_asked_under_a_new_id(
    app, empty_client, case, fake, momo, shop
):
    placed = _paid_by_momo(empty_client, shop, momo)
    code = placed["code"]
    book_both(empty_client, shop, code)
    parcel = parcel_of(code, shop["htx"])
    momo.refuse_next_refunds = [(1001, "Giao dịch thất bại")]

    bring_back(empty_client, case, fake, parcel)

    refunds = _refunds(_order(code))
    assert [(row.method, row.state) for row in refunds] == [("momo", "due")]
    assert "refund failed" in refunds[0].reason
    assert momo.refunded_trans_ids == [] and len(momo.refunds) == 1
