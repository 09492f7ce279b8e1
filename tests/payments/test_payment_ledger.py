"""The order's money is one ledger: exact, partial, surplus, unmatched, after expiry, refunds by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from catalogue.accounts.principal import SYSTEM, Principal
from catalogue.errors import Conflict, NotFound, PermissionDenied
from catalogue.extensions import db
from catalogue.orders import services, settlement
from catalogue.orders.models import Order
from catalogue.payments import ledger
from catalogue.payments.models import Payment
from tests.order_helpers import body, shelf, stock_of
from tests.payments.rail_helpers import all_rows, ledger_of, post_sepay, sepay_body, status_of, use_rails

PRODUCER = Principal(user_id=7, role="producer", producer_id=1, scopes=frozenset({"orders:read"}), label="producer")
NOW = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)


@pytest.fixture
def shop(app, empty_client):
    use_rails(app)
    products = shelf()
    answer = empty_client.post("/api/v1/orders", json=body((products["mien"].id, 2), payment_method="vietqr"))
    assert answer.status_code == 201, answer.get_json()
    order = answer.get_json()
    return {"client": empty_client, "order": order, "code": order["code"], "product": products["mien"],
            "products": products}  # fmt: skip


def _pay(shop, transaction_id: int, amount: int, content: str | None = None):
    content = content if content is not None else f"MBVCB.1234.{shop['order']['payment']['content']}.CT tu 0011001"
    response = post_sepay(shop["client"], sepay_body(transaction_id, content, amount))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["outcomes"]


def _money(code: str) -> dict:
    db.session.expire_all()
    return ledger.order_money(db.session.scalar(select(Order).where(Order.code == code))).as_dict()


def _expire(code: str) -> None:
    order = db.session.scalar(select(Order).where(Order.code == code))
    order.reserved_until = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    services.release_expired_reservations(datetime.now(UTC))
    assert status_of(code) == "cancelled"


def test_the_exact_amount_pays_the_order(shop):
    total = shop["order"]["total_vnd"]

    assert _pay(shop, 1, total) == ["paid"]

    assert status_of(shop["code"]) == "paid"
    assert ledger_of(shop["code"]) == [
        ("attempt", "started", "vietqr", 200_000),
        ("payment", "received", "vietqr", 200_000),
    ]
    assert _money(shop["code"]) == {"state": "paid", "total_vnd": 200_000, "paid_vnd": 200_000, "due_vnd": 0,
                                    "surplus_vnd": 0, "to_return_vnd": 0, "refunded_vnd": 0}  # fmt: skip
    assert stock_of(shop["product"]) == 8


def test_less_leaves_it_partly_paid_and_a_second_transfer_completes_it(shop):
    assert _pay(shop, 1, 150_000) == ["partly_paid"]
    assert status_of(shop["code"]) == "pending_payment"
    assert _money(shop["code"])["state"] == "partly_paid"
    assert _money(shop["code"])["due_vnd"] == 50_000

    assert _pay(shop, 2, 50_000, content="qn " + shop["code"].lower()) == ["paid"]

    assert status_of(shop["code"]) == "paid"
    assert _money(shop["code"])["paid_vnd"] == 200_000


def test_more_pays_it_and_flags_the_surplus_for_the_office(shop):
    assert _pay(shop, 1, 250_000) == ["paid"]

    assert status_of(shop["code"]) == "paid"
    assert ledger_of(shop["code"])[-1] == ("refund", "due", "vietqr", 50_000)
    money = _money(shop["code"])
    assert (money["state"], money["surplus_vnd"], money["to_return_vnd"]) == ("overpaid", 50_000, 50_000)
    [due] = ledger.refunds_due()
    assert (due.amount_vnd, due.reason) == (50_000, "surplus")


def test_a_transfer_after_expiry_takes_the_stock_again_when_it_is_there(shop):
    _expire(shop["code"])
    assert stock_of(shop["product"]) == 10

    assert _pay(shop, 1, 200_000) == ["paid"]

    assert status_of(shop["code"]) == "paid"
    assert stock_of(shop["product"]) == 8


def test_a_transfer_after_expiry_when_sold_out_is_flagged_for_a_refund_by_hand(shop):
    _expire(shop["code"])
    shop["product"].stock = 1
    db.session.commit()

    assert _pay(shop, 1, 200_000) == ["refund_pending"]

    assert status_of(shop["code"]) == "refund_pending"
    assert ledger_of(shop["code"])[-1] == ("refund", "due", "vietqr", 200_000)
    assert stock_of(shop["product"]) == 1

    [due] = ledger.refunds_due()
    settlement.mark_refund_returned(SYSTEM, due.id, "FT-RETURN-1", NOW)

    assert status_of(shop["code"]) == "refunded"
    assert ledger_of(shop["code"])[-1] == ("refund", "done", "vietqr", 200_000)
    assert ledger.refunds_due() == []


def test_part_of_the_money_on_an_expired_order_is_held_for_the_office_to_return(shop):
    _pay(shop, 1, 120_000)
    _expire(shop["code"])

    assert _money(shop["code"])["to_return_vnd"] == 120_000

    settlement.return_held_money(SYSTEM, shop["code"], "FT-RETURN-2", NOW)

    assert _money(shop["code"])["to_return_vnd"] == 0
    assert ledger_of(shop["code"])[-1] == ("refund", "done", "vietqr", 120_000)


def test_an_unmatched_transfer_waits_for_the_office_then_pays_the_order_it_is_assigned_to(shop):
    assert _pay(shop, 1, 200_000, content="chuyen tien hang mien") == ["unmatched"]
    assert status_of(shop["code"]) == "pending_payment"
    [transfer] = ledger.unmatched_transfers()
    assert ledger_of(None) == [("payment", "unmatched", "vietqr", 200_000)]

    assert settlement.assign_transfer(SYSTEM, transfer.id, shop["code"], NOW) == "paid"

    assert status_of(shop["code"]) == "paid"
    assert ledger.unmatched_transfers() == []
    assert ledger_of(shop["code"])[-1] == ("payment", "received", "vietqr", 200_000)


def test_an_unknown_code_is_unmatched_too(shop):
    assert _pay(shop, 1, 200_000, content="QN-ABCD-EFGH thanh toan") == ["unmatched"]
    assert status_of(shop["code"]) == "pending_payment"


@pytest.mark.parametrize(
    ("principal", "order_code", "error"),
    [(PRODUCER, None, PermissionDenied), (SYSTEM, "QN-ZZZZ-ZZZZ", NotFound)],
    ids=["not-the-office", "unknown-order"],
)
def test_assigning_is_the_offices_and_needs_a_real_order(shop, principal, order_code, error):
    _pay(shop, 1, 200_000, content="no code")
    [transfer] = ledger.unmatched_transfers()

    with pytest.raises(error):
        settlement.assign_transfer(principal, transfer.id, order_code or shop["code"], NOW)

    assert ledger_of(None) == [("payment", "unmatched", "vietqr", 200_000)]
    assert status_of(shop["code"]) == "pending_payment"


def test_a_transfer_is_assigned_once(shop):
    _pay(shop, 1, 200_000, content="no code")
    [transfer] = ledger.unmatched_transfers()
    settlement.assign_transfer(SYSTEM, transfer.id, shop["code"], NOW)
    rows = all_rows()

    with pytest.raises(Conflict):
        settlement.assign_transfer(SYSTEM, transfer.id, shop["code"], NOW)

    assert all_rows() == rows


def test_the_office_cancelling_a_transfer_paid_order_owes_the_money_back_by_hand(shop, app):
    _pay(shop, 1, 200_000)
    gateway = app.extensions["payment_gateway"]
    calls = list(gateway.calls)

    response = shop["client"].post(f"/api/v1/orders/{shop['code']}/cancel", headers=_admin_headers(app))

    assert response.status_code == 200, response.get_json()
    assert status_of(shop["code"]) == "refund_pending"
    assert ledger_of(shop["code"])[-1] == ("refund", "due", "vietqr", 200_000)
    assert gateway.calls == calls  # nothing asked of Stripe


def test_the_day_sheet_sums_each_rail_and_what_waits(shop):
    _pay(shop, 1, 150_000)
    _pay(shop, 2, 90_000)  # completes it with 40 000 ₫ too much
    _pay(shop, 3, 10_000, content="no code")
    # Sepay's times are Vietnam time: 2026-11-21 14:02:37 is that day in Quảng Ninh.

    totals = ledger.day_totals(date(2026, 11, 21))

    assert totals.received_by_method == {"vietqr": 240_000}
    assert totals.payments_by_method == {"vietqr": 2}
    assert (totals.unmatched_vnd, totals.unmatched_count) == (10_000, 1)
    assert totals.refunds_due_vnd == 40_000
    assert ledger.day_totals(date(2026, 11, 22)).received_by_method == {}


def test_rows_the_ledger_refuses_leave_nothing(app, shop):
    rows = all_rows()
    with pytest.raises(Conflict):
        settlement.return_held_money(SYSTEM, shop["code"], "nothing held", NOW)
    assert all_rows() == rows
    assert db.session.scalar(select(Payment.id).where(Payment.kind == "refund")) is None


def _admin_headers(app) -> dict:
    from catalogue.accounts.services import create_token, create_user

    user = create_user("office@example.com", "a-long-password-1", "admin")
    token, _ = create_token(user.email, ["admin"])
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_a_transfer_that_pays_sends_the_paid_email_once_after_commit(shop, app, smtp_server):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)

    _pay(shop, 1, 150_000)  # partly paid: no email yet
    _pay(shop, 2, 50_000)
    _pay(shop, 2, 50_000)  # the same transaction again

    message = smtp_server.wait_for_message()
    assert message["Subject"] == f"Đơn hàng {shop['code']} đã được thanh toán"
    assert smtp_server.messages.empty()
