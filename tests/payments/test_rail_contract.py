"""Every rail through the same contract (issue 20): Stripe, VietQR reported by SePay and by Casso, VNPay,
MoMo and ZaloPay.

Each case places an order with the rail through `POST /api/v1/orders`, then sends what the rail's
provider would send (tests/payments/rail_adapters.py writes it with the fakes' own signing) to the shop's
real webhook route, and asserts the answer in the provider's format, the order's status, its
ledger and its stock. A refused notice changes nothing. Every case runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from catalogue.extensions import db
from catalogue.orders import services
from tests.access_helpers import auth, cast
from tests.order_helpers import body, stock_of
from tests.payments.fakes_zalopay import ZALOPAY_TEST, FakeZaloPay
from tests.payments.payment_fakes import FakeMoMo, FakeVNPay
from tests.payments.rail_adapters import ADAPTERS
from tests.payments.rail_helpers import all_rows, ledger_of, status_of, use_rails

TOTAL = 200_000  # two packets of miến at 85 000 ₫ and 30 000 ₫ shipping
STOCK = 10

# The rails with no freshness rule, each with the reason: their "stale" case is not applicable, said so here.
NO_FRESHNESS_RULE = {adapter.name: adapter.stale_not_applicable for adapter in ADAPTERS if adapter.stale_not_applicable}


def _rails(xfail: dict[str, str] | None = None, not_applicable: dict[str, str] | None = None) -> list:
    """Every rail as a param; those in `xfail` carry a strict xfail, those in `not_applicable` a skip; with reasons."""
    params = []
    for adapter in ADAPTERS:
        marks = []
        if adapter.name in (xfail or {}):
            marks.append(pytest.mark.xfail(strict=True, reason=xfail[adapter.name]))
        if adapter.name in (not_applicable or {}):
            marks.append(pytest.mark.skip(reason=f"not applicable to {adapter.name}: {not_applicable[adapter.name]}"))
        params.append(pytest.param(adapter, id=adapter.name, marks=marks))
    return params


EVERY_RAIL = _rails()
RAILS_FOR_ANOTHER_ACCOUNT = _rails()
RAILS_WITH_A_FRESHNESS_RULE = _rails(not_applicable=NO_FRESHNESS_RULE)
RAILS_REFUNDING_TWICE = _rails()


@pytest.fixture
def shop(app, empty_client):
    """Every rail on at once (the redirect rails at their fakes), a product of 10 and the office's token."""
    with FakeVNPay(ipn_url="") as vnpay, FakeMoMo() as momo, FakeZaloPay() as zalopay:
        use_rails(app, vnpay_url=vnpay.pay_url, momo_url=momo.url, ZALOPAY_APP_ID=ZALOPAY_TEST["app_id"],
                  ZALOPAY_KEY1=ZALOPAY_TEST["key1"], ZALOPAY_KEY2=ZALOPAY_TEST["key2"],
                  ZALOPAY_API_BASE=zalopay.url)  # fmt: skip
        world = cast()
        fakes = {"vnpay": vnpay, "momo": momo, "zalopay": zalopay, "stripe": app.extensions["payment_gateway"]}
        yield {"client": empty_client, "product": world["product"], "fakes": fakes,
               "office": auth(world["tokens"]["admin"])}  # fmt: skip


def _placed(shop, adapter_class) -> tuple:
    """The rail's adapter and an order of TOTAL placed with it through the API."""
    adapter = adapter_class(shop["fakes"])
    answer = shop["client"].post("/api/v1/orders", json=body((shop["product"].id, 2), payment_method=adapter.method))
    assert answer.status_code == 201, answer.get_json()
    return adapter, answer.get_json()


def _started_rows(adapter) -> list[tuple]:
    return [("attempt", "started", adapter.method, TOTAL)]


def _paid_rows(adapter) -> list[tuple]:
    return [
        ("attempt", adapter.attempt_when_paid, adapter.method, TOTAL),
        ("payment", "received", adapter.method, TOTAL),
    ]


def _unchanged(shop, order, rows_before: int) -> None:
    """A refusal: the order still waits, with only its attempt, its stock held, and no row anywhere."""
    assert status_of(order["code"]) == "pending_payment"
    assert all_rows() == rows_before
    assert stock_of(shop["product"]) == STOCK - 2


@pytest.mark.parametrize("rail", EVERY_RAIL)
def test_the_start_gives_what_the_rail_needs(shop, rail):
    # given an order placed with the rail
    adapter, order = _placed(shop, rail)

    # then the answer carries what the buyer pays with, the attempt is recorded and the stock held
    adapter.check_start(order, TOTAL)
    assert order["status"] == "pending_payment"
    assert ledger_of(order["code"]) == _started_rows(adapter)
    assert stock_of(shop["product"]) == STOCK - 2


@pytest.mark.parametrize("rail", EVERY_RAIL)
def test_a_genuine_notice_pays_the_order_once(shop, rail):
    # given an order waiting for the rail
    adapter, order = _placed(shop, rail)

    # when its provider reports the payment
    answer = adapter.genuine(order, TOTAL).send(shop["client"])

    # then it is taken in the provider's words, one payment row, paid, the stock kept
    assert answer == adapter.answer("paid")
    assert status_of(order["code"]) == "paid"
    assert ledger_of(order["code"]) == _paid_rows(adapter)
    assert stock_of(shop["product"]) == STOCK - 2


@pytest.mark.parametrize("rail", EVERY_RAIL)
def test_a_forged_notice_is_refused_in_the_providers_words_and_changes_nothing(shop, rail):
    # given an order waiting for the rail, and a notice signed with a key that is not the shop's
    adapter, order = _placed(shop, rail)
    forged = adapter.forged(order, TOTAL)
    rows = all_rows()

    # when it arrives
    answer = forged.send(shop["client"])

    # then the provider reads a refusal and nothing changed
    assert answer == adapter.refusal()
    _unchanged(shop, order, rows)
    assert ledger_of(order["code"]) == _started_rows(adapter)


@pytest.mark.parametrize("rail", EVERY_RAIL)
def test_a_replayed_notice_is_recorded_once(shop, rail):
    # given an order paid by a genuine notice
    adapter, order = _placed(shop, rail)
    notice = adapter.genuine(order, TOTAL)
    assert notice.send(shop["client"]) == adapter.answer("paid")
    rows = all_rows()

    # when the very same notice comes again
    again = notice.send(shop["client"])

    # then it is known already and nothing changed
    assert again == adapter.answer("duplicate")
    assert all_rows() == rows
    assert status_of(order["code"]) == "paid"
    assert ledger_of(order["code"]) == _paid_rows(adapter)
    assert stock_of(shop["product"]) == STOCK - 2


@pytest.mark.parametrize("rail", EVERY_RAIL)
def test_a_notice_for_another_amount_does_not_pay_the_order(shop, rail):
    # given an order of 200 000 ₫ waiting for the rail
    adapter, order = _placed(shop, rail)

    # when its provider reports 150 000 ₫
    answer = adapter.wrong_amount(order, 150_000).send(shop["client"])

    # then it is kept as the rail's rule says (rejected; a short bank transfer held, the rest due), not paid
    assert answer == adapter.answer("wrong_amount")
    assert status_of(order["code"]) == "pending_payment"
    assert ledger_of(order["code"]) == adapter.wrong_amount_rows(TOTAL, 150_000)
    assert stock_of(shop["product"]) == STOCK - 2


@pytest.mark.parametrize("rail", RAILS_FOR_ANOTHER_ACCOUNT)
def test_a_notice_for_another_account_does_not_pay_the_order(shop, rail):
    # given an order waiting for the rail, and a genuine notice of money into another account (bank account,
    # VNPay terminal, MoMo partner, ZaloPay app; for Stripe: another PaymentIntent naming the order)
    adapter, order = _placed(shop, rail)
    notice = adapter.wrong_account(order, TOTAL)
    rows = all_rows()

    # when it arrives
    answer = notice.send(shop["client"])

    # then it is answered in the provider's words and the order is not paid: nothing recorded, or (Stripe, the
    # bank feeds) the notice kept as rejected for the office
    assert answer == adapter.answer("wrong_account")
    assert status_of(order["code"]) == "pending_payment"
    assert ledger_of(order["code"]) == adapter.wrong_account_rows(TOTAL)
    assert all_rows() == rows + adapter.wrong_account_kept
    assert stock_of(shop["product"]) == STOCK - 2


@pytest.mark.parametrize("rail", RAILS_WITH_A_FRESHNESS_RULE)
def test_a_stale_notice_is_refused_and_changes_nothing(shop, rail):
    # given an order waiting for the rail, and a genuine notice signed 301 s ago (the window is 300 s)
    adapter, order = _placed(shop, rail)
    stale = adapter.stale(order, TOTAL)
    rows = all_rows()

    # when it arrives
    answer = stale.send(shop["client"])

    # then it is refused as a forged one would be, and nothing changed
    assert answer == adapter.refusal()
    _unchanged(shop, order, rows)


def _expired(shop, order, stock_left: int | None = None) -> None:
    """The reservation ran out (the order cancelled, its stock back); then `stock_left` sold elsewhere."""
    assert services.release_expired_reservations(datetime.now(UTC) + timedelta(hours=2)) == 1
    assert (status_of(order["code"]), stock_of(shop["product"])) == ("cancelled", STOCK)
    if stock_left is not None:
        db.session.get(type(shop["product"]), shop["product"].id).stock = stock_left
        db.session.commit()


@pytest.mark.parametrize("rail", EVERY_RAIL)
def test_money_after_expiry_takes_the_stock_again_and_pays_the_order(shop, rail):
    # given an order whose reservation expired
    adapter, order = _placed(shop, rail)
    _expired(shop, order)

    # when the payment is reported late
    answer = adapter.genuine(order, TOTAL).send(shop["client"])

    # then the stock is taken again and the order is paid
    assert answer == adapter.answer("paid")
    assert status_of(order["code"]) == "paid"
    assert ledger_of(order["code"]) == _paid_rows(adapter)
    assert stock_of(shop["product"]) == STOCK - 2


@pytest.mark.parametrize("rail", EVERY_RAIL)
def test_money_after_expiry_when_sold_out_is_owed_back(shop, rail):
    # given an order whose reservation expired, and only one packet left
    adapter, order = _placed(shop, rail)
    _expired(shop, order, stock_left=1)

    # when the payment is reported late
    answer = adapter.genuine(order, TOTAL).send(shop["client"])

    # then nothing is taken from the shelf and the money goes back through the refund planner: by the rail's API
    # where it has one (Stripe's taken, confirmed by its charge.refunded; MoMo's and ZaloPay's made at once),
    # flagged for the office's hand path for bank transfers and VNPay without its refund API
    assert answer == adapter.answer("refund_pending")
    by_api = adapter.refunds_made() is not None
    status, state = {"stripe": ("refund_pending", "requested")}.get(
        adapter.method, ("refunded", "done") if by_api else ("refund_pending", "due")
    )
    assert status_of(order["code"]) == status
    assert ledger_of(order["code"]) == [*_paid_rows(adapter), ("refund", state, adapter.method, TOTAL)]
    assert stock_of(shop["product"]) == 1
    assert adapter.refunds_made() == (1 if by_api else None)


@pytest.mark.parametrize("rail", RAILS_REFUNDING_TWICE)
def test_the_office_cancelling_a_paid_order_twice_refunds_it_once(shop, rail):
    # given an order paid with the rail
    adapter, order = _placed(shop, rail)
    assert adapter.genuine(order, TOTAL).send(shop["client"]) == adapter.answer("paid")

    # when the office cancels it, and cancels it again
    first = shop["client"].post(f"/api/v1/orders/{order['code']}/cancel", headers=shop["office"])
    again = shop["client"].post(f"/api/v1/orders/{order['code']}/cancel", headers=shop["office"])

    # then one refund: by the provider's API where it has one (asked once), else one due for the office
    by_api = adapter.refunds_made() is not None
    status = {"stripe": "refund_pending", "momo": "refunded", "zalopay": "refunded"}.get(
        adapter.method, "refund_pending"
    )
    refund_state = {"stripe": "requested"}.get(adapter.method, "done" if by_api else "due")
    assert (first.status_code, again.status_code) == (200, 200)
    assert first.get_json()["status"] == again.get_json()["status"] == status_of(order["code"]) == status
    assert ledger_of(order["code"]) == [*_paid_rows(adapter), ("refund", refund_state, adapter.method, TOTAL)]
    assert adapter.refunds_made() == (1 if by_api else None)
