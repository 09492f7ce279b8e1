"""MoMo end to end: checkout creates the payment at the fake MoMo, which pays and calls our real IPN (204)."""

from __future__ import annotations

import json

import pytest
import requests

from tests.live import serving
from tests.order_helpers import body, shelf, stock_of
from tests.payments.payment_fakes import FakeMoMo
from tests.payments.rail_helpers import all_rows, ledger_of, status_of, use_rails


@pytest.fixture
def momo(app, empty_client):
    with FakeMoMo() as fake, serving(app) as base:
        use_rails(app, momo_url=fake.url, PUBLIC_BASE_URL=base)
        products = shelf()
        yield {"fake": fake, "base": base, "client": empty_client, "product": products["mien"]}


def _place(momo):
    placed = momo["client"].post("/api/v1/orders", json=body((momo["product"].id, 2), payment_method="momo"))
    assert placed.status_code == 201, placed.get_json()
    return placed.get_json()


def _pay(order) -> requests.Response:
    return requests.get(order["payment"]["redirect_url"], allow_redirects=False, timeout=30)


def test_checkout_creates_the_payment_at_momo_and_answers_its_pay_url(momo):
    order = _place(momo)

    reference = f"{order['code']}-1"
    assert order["payment"]["provider"] == "momo"
    assert order["payment"]["redirect_url"] == f"{momo['fake'].url}/pay/{reference}"
    created = momo["fake"].payments[reference]
    assert (created["amount"], created["ipnUrl"]) == (200_000, f"{momo['base']}/webhooks/momo")


def test_paying_with_momo_pays_the_order_once(momo):
    order = _place(momo)

    back = _pay(order)

    assert momo["fake"].ipn_answers == [(204, "")]
    assert status_of(order["code"]) == "paid"
    assert ledger_of(order["code"]) == [("attempt", "succeeded", "momo", 200_000),
                                        ("payment", "received", "momo", 200_000)]  # fmt: skip
    assert stock_of(momo["product"]) == 8
    assert back.headers["Location"] == f"{momo['base']}/payments/momo/return"


def test_a_replayed_ipn_changes_nothing(momo):
    order = _place(momo)
    payment = momo["fake"].payments[f"{order['code']}-1"]
    ipn = momo["fake"].ipn(payment)
    first = requests.post(f"{momo['base']}/webhooks/momo", json=ipn, timeout=30)
    rows = all_rows()

    again = requests.post(f"{momo['base']}/webhooks/momo", json=ipn, timeout=30)

    assert (first.status_code, again.status_code) == (204, 204)
    assert all_rows() == rows
    assert status_of(order["code"]) == "paid"


def test_a_forged_ipn_is_refused_and_changes_nothing(momo):
    order = _place(momo)
    momo["fake"].forge = True
    rows = all_rows()

    _pay(order)

    assert [status for status, _ in momo["fake"].ipn_answers] == [401]
    assert status_of(order["code"]) == "pending_payment"
    assert all_rows() == rows


@pytest.mark.parametrize(
    ("data", "status"),
    [(b"not json", 400), (b"{}", 401), (json.dumps({"signature": 5}).encode(), 401)],
    ids=["not-json-400", "unsigned-401", "signature-not-text-401"],
)
def test_malformed_or_unsigned_ipns_are_refused(momo, data, status):
    # given an order waiting for MoMo
    order = _place(momo)
    rows = all_rows()

    # when something that is not JSON (400) or carries no signature (401, as a forged one) reaches the IPN
    answer = requests.post(f"{momo['base']}/webhooks/momo", data=data, timeout=30)

    # then it is refused exactly so and nothing changed
    assert answer.status_code == status
    assert status_of(order["code"]) == "pending_payment"
    assert all_rows() == rows


def test_an_ipn_for_another_partner_is_refused_and_pays_nothing(momo):
    # given a correctly signed IPN for the order's payment, but for another MoMo partner (wrong account)
    order = _place(momo)
    payment = momo["fake"].payments[f"{order['code']}-1"]
    momo["fake"].partner_code = "MOMOOTHER"
    ipn = momo["fake"].ipn(payment)
    rows = all_rows()

    # when it reaches our IPN
    answer = requests.post(f"{momo['base']}/webhooks/momo", json=ipn, timeout=30)

    # then it is refused, nothing is recorded and the order still waits
    assert answer.status_code == 400
    assert all_rows() == rows
    assert status_of(order["code"]) == "pending_payment"


def test_an_amount_other_than_the_attempts_is_recorded_not_applied(momo):
    order = _place(momo)
    payment = dict(momo["fake"].payments[f"{order['code']}-1"], amount=150_000)

    answer = requests.post(f"{momo['base']}/webhooks/momo", json=momo["fake"].ipn(payment), timeout=30)

    assert answer.status_code == 204
    assert status_of(order["code"]) == "pending_payment"
    assert ledger_of(order["code"])[-1] == ("payment", "rejected", "momo", 150_000)


def test_a_refused_payment_fails_the_attempt_and_a_late_failure_never_undoes_a_success(momo):
    order = _place(momo)
    payment = momo["fake"].payments[f"{order['code']}-1"]
    momo["fake"].result_code = 1006
    refused = momo["fake"].ipn(payment)
    momo["fake"].result_code = 0
    paid = momo["fake"].ipn(payment)

    requests.post(f"{momo['base']}/webhooks/momo", json=paid, timeout=30)
    late = requests.post(f"{momo['base']}/webhooks/momo", json=refused, timeout=30)

    assert late.status_code == 204
    assert status_of(order["code"]) == "paid"


def test_momo_unreachable_at_checkout_is_503_and_reserves_nothing(momo):
    momo["fake"].fail_next_creates = 10

    answer = momo["client"].post("/api/v1/orders", json=body((momo["product"].id, 2), payment_method="momo"))

    assert answer.status_code == 503
    assert answer.get_json()["errors"] == {"payment_method": ["MoMo did not answer."]}
    assert stock_of(momo["product"]) == 10
