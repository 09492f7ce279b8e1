"""The order's status follows its parcels, as its buyer reads it (GET /api/v1/orders/{code} with the order's token).

Real carrier adapters talk to their fakes (GHN, Viettel Post); the carrier's `returned` callback is sent, sent
again, and the sweep polls. An order whose every parcel came back is `refund_pending` while its refund waits
(VietQR: the office returns it on the money desk, then it is `refunded`), or `refunded` as soon as a rail that
refunds by API (MoMo, the fake over real HTTP) has made it; the buyer is mailed once. An order one of whose
parcels was delivered and the other came back is `delivered`, the other parcel's refund recorded apart. Replays,
polls and the sweep change nothing more. Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
import requests
from sqlalchemy import select

from catalogue.carriers.port import BOOKED, CANCELLED, DELIVERED, RETURNED
from catalogue.delivery import returns, tracking
from catalogue.extensions import db
from catalogue.mail import OutgoingMail
from catalogue.money import format_vnd
from catalogue.orders.models import Order
from catalogue.payments import ledger
from catalogue.payments.registry import labels_of
from tests.access_helpers import enrol_two_factor, sign_in
from tests.delivery.parcel_helpers import (
    HANOI,
    PASSWORD,
    book_both,
    bring_back,
    carrier_calls_back,
    parcel_amount,
    parcel_of,
    seen_by_buyer,
    ship,
    shipping_shelf,
    use_real_carrier,
)
from tests.invoices.invoice_helpers import invoices_of, pay
from tests.live import serving
from tests.order_helpers import body, stock_of
from tests.payments.payment_fakes import FakeMoMo
from tests.payments.rail_helpers import use_rails
from tests.storefront_helpers import csrf_token

DESK = "/portal/admin/payments/"


@pytest.fixture
def shop(app, case, fake, smtp_server):
    use_real_carrier(app, case, fake)
    shelf = shipping_shelf(app)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)  # the buyer's emails are composed
    yield shelf
    app.config.update(MAIL_SERVER=None)


@pytest.fixture
def momo():
    with FakeMoMo() as server:
        yield server


@pytest.fixture
def momo_shop(app, shop, momo):
    with serving(app) as base:  # MoMo's IPN reaches the shop over HTTP
        use_rails(app, momo_url=momo.url, PUBLIC_BASE_URL=base)
        yield shop


# --- helpers: the buyer, the carrier, the office --------------------------------------------------------


def _place(client, shop, method: str, *lines) -> dict:
    wanted = body(*((product.id, quantity) for product, quantity in lines), payment_method=method,
                  shipping_address=HANOI)  # fmt: skip
    placed = client.post("/api/v1/orders", json=wanted)
    assert placed.status_code == 201, placed.get_json()
    return placed.get_json()


def _paid_by_vietqr(client, shop, *lines) -> dict:
    placed = _place(client, shop, "vietqr", *lines)
    pay(client, placed, 1)
    return placed


def _paid_by_momo(client, shop, momo, *lines) -> dict:
    placed = _place(client, shop, "momo", *lines)
    requests.get(placed["payment"]["redirect_url"], allow_redirects=False, timeout=30)
    assert momo.ipn_answers[-1] == (204, "")
    return placed


def _book(client, shop, code, producer, token) -> None:
    answer = ship(client, code, parcel_of(code, producer).id, shop["tokens"][token])
    assert answer.get_json()["status"] == BOOKED, answer.get_json()


def _move(client, case, fake, parcel, status: str) -> None:
    """The carrier moves the parcel to the shop's `status` and calls back (once)."""
    fake.set_status(parcel.tracking_code, case.native[status])
    carrier_calls_back(client, case, fake, parcel.tracking_code)


def _history(seen: dict) -> list[str]:
    return [step["to_status"] for step in seen["history"]]


def _refunds(code) -> list[tuple]:
    db.session.expire_all()
    order = db.session.scalar(select(Order).where(Order.code == code))
    return [(row.method, row.amount_vnd, row.state) for row in ledger.rows_of(order.id) if row.kind == "refund"]


def _order(code) -> Order:
    db.session.expire_all()
    return db.session.scalar(select(Order).where(Order.code == code))


def _mails(code) -> list[OutgoingMail]:
    db.session.expire_all()
    mails = select(OutgoingMail).where(OutgoingMail.order_code == code).order_by(OutgoingMail.id)
    return list(db.session.scalars(mails))


def _kinds(code) -> list[str]:
    return [mail.kind for mail in _mails(code)]


def _text_of(mail: OutgoingMail) -> str:
    return message_from_bytes(mail.message, policy=policy.default).get_body(("plain",)).get_content()


def _office(app):
    """The office signed in with its second factor, on the money desk."""
    enrol_two_factor("office@example.com")
    client = app.test_client()
    assert sign_in(client, "office@example.com", PASSWORD).status_code == 303
    return client


def _office_returns_refunds(app, code) -> None:
    """The office returns each of the order's due refunds by bank transfer and records it on the money desk."""
    client = _office(app)
    order = _order(code)
    due_rows = [row for row in ledger.rows_of(order.id) if row.kind == "refund" and row.state == "due"]
    assert due_rows
    desk = client.get(DESK).get_data(as_text=True)
    for row in due_rows:  # why each goes back, in the office's words, never the ledger's English
        reference = returns.returned_reference(row.reason)
        worded = f"kiện {reference} bị hoàn về người bán" if reference else "mọi kiện của đơn bị hoàn về người bán"
        assert worded in desk
        assert row.reason not in desk
    for refund_id in (row.id for row in due_rows):
        assert f'data-refund="{refund_id}"' in client.get(DESK).get_data(as_text=True)
        returned = {"reference": f"FT26{refund_id:08d}", "csrf_token": csrf_token(client, DESK)}
        answer = client.post(f"{DESK}refunds/{refund_id}/returned", data=returned)
        assert answer.status_code == 303


def _quiet_again(client, case, fake, parcel) -> None:
    """The carrier says `returned` once more, and the sweep (`flask delivery sweep`) runs."""
    carrier_calls_back(client, case, fake, parcel.tracking_code)
    result = client.application.test_cli_runner().invoke(args=["delivery", "sweep"])
    assert result.exit_code == 0 and "orders moved: 0" in result.output, result.output


# --- every parcel came back ----------------------------------------------------------------------------


def test_an_order_returned_on_vietqr_is_refund_pending_until_the_office_returns_the_money(
    app, empty_client, case, fake, shop
):
    placed = _paid_by_vietqr(empty_client, shop, (shop["mien"], 2))
    code = placed["code"]
    _book(empty_client, shop, code, shop["htx"], "htx")
    assert seen_by_buyer(empty_client, placed)["status"] == "shipped"
    stock = stock_of(shop["mien"])

    bring_back(empty_client, case, fake, parcel_of(code, shop["htx"]))  # called back, again, and polled

    seen = seen_by_buyer(empty_client, placed)
    assert seen["status"] == "refund_pending"
    assert [parcel["status"] for parcel in seen["parcels"]] == [RETURNED]
    assert _history(seen) == ["pending_payment", "paid", "shipped", "refund_pending"]
    total = seen["total_vnd"]
    assert (seen["money"]["to_return_vnd"], seen["money"]["refunded_vnd"]) == (total, 0)
    assert _refunds(code) == [("vietqr", total, "due")]  # the parcel's lines and fee: the whole order
    assert stock_of(shop["mien"]) == stock + 2
    assert _kinds(code).count("returned") == 1 and "cancelled" not in _kinds(code)
    assert "part_returned" not in _kinds(code)  # the whole order came back: one email says all of it
    [mail] = [mail for mail in _mails(code) if mail.kind == "returned"]
    text = _text_of(mail)
    assert mail.subject == f"Đơn hàng {code} không giao được và được hoàn tiền"
    assert "hãng vận chuyển đã hoàn hàng về cho người bán" in text
    assert f"Cửa hàng sẽ chuyển trả {format_vnd(total)} về tài khoản bạn đã dùng để thanh toán" in text
    page = empty_client.get(f"/orders/{code}?token={placed['access_token']}", follow_redirects=True)
    html = page.get_data(as_text=True)
    assert "Đang hoàn tiền" in html and "Đã hoàn hàng" in html
    assert "Đơn hàng không giao được: hãng vận chuyển đã hoàn hàng về người bán." in html

    _office_returns_refunds(app, code)

    seen = seen_by_buyer(empty_client, placed)
    assert seen["status"] == "refunded"
    assert _history(seen) == ["pending_payment", "paid", "shipped", "refund_pending", "refunded"]
    assert (seen["money"]["refunded_vnd"], seen["money"]["to_return_vnd"]) == (total, 0)
    assert stock_of(shop["mien"]) == stock + 2  # given back once, by the return
    adjustments = [invoice.total_vnd for invoice in invoices_of(code) if invoice.kind == "adjustment"]
    assert adjustments == [-total]  # the return's adjustment; the order's refund adds none

    _quiet_again(empty_client, case, fake, parcel_of(code, shop["htx"]))

    seen = seen_by_buyer(empty_client, placed)
    assert seen["status"] == "refunded" and len(seen["history"]) == 5
    assert _kinds(code).count("returned") == 1 and len(invoices_of(code)) == 2
    assert stock_of(shop["mien"]) == stock + 2


def test_an_order_returned_on_momo_is_refunded_once_momo_has_refunded_it(
    app, empty_client, case, fake, momo, momo_shop
):
    shop = momo_shop
    placed = _paid_by_momo(empty_client, shop, momo, (shop["mien"], 2))
    code = placed["code"]
    _book(empty_client, shop, code, shop["htx"], "htx")

    bring_back(empty_client, case, fake, parcel_of(code, shop["htx"]))

    seen = seen_by_buyer(empty_client, placed)
    total = seen["total_vnd"]
    assert seen["status"] == "refunded"
    assert _history(seen) == ["pending_payment", "paid", "shipped", "refund_pending", "refunded"]
    assert (seen["money"]["refunded_vnd"], seen["money"]["to_return_vnd"]) == (total, 0)
    assert _refunds(code) == [("momo", total, "done")]
    assert len(momo.refunded_trans_ids) == 1
    assert _kinds(code).count("returned") == 1 and "cancelled" not in _kinds(code)
    [mail] = [mail for mail in _mails(code) if mail.kind == "returned"]
    momo_name = labels_of("momo").vi.short_name
    assert f"Sẽ hoàn lại {format_vnd(total)} ({momo_name})" in _text_of(mail)  # asked of MoMo once committed

    _quiet_again(empty_client, case, fake, parcel_of(code, shop["htx"]))

    seen = seen_by_buyer(empty_client, placed)
    assert seen["status"] == "refunded" and len(seen["history"]) == 5
    assert len(momo.refunded_trans_ids) == 1 and momo.refund_requests == 1
    assert _kinds(code).count("returned") == 1


def test_two_parcels_returned_one_after_the_other_refund_the_whole_order_and_mail_once(
    app, empty_client, case, fake, momo, momo_shop
):
    shop = momo_shop
    placed = _paid_by_momo(empty_client, shop, momo, (shop["mien"], 2), (shop["men_la"], 1))
    code = placed["code"]
    book_both(empty_client, shop, code)
    first, second = parcel_of(code, shop["htx"]), parcel_of(code, shop["home"])

    bring_back(empty_client, case, fake, first)
    assert seen_by_buyer(empty_client, placed)["status"] == "shipped"  # the other parcel still goes
    assert "returned" not in _kinds(code)
    [part] = [mail for mail in _mails(code) if mail.kind == "part_returned"]  # told of the first parcel at once
    first_amount = parcel_amount(_order(code), first)
    assert f"Sẽ hoàn lại {format_vnd(first_amount)} ({labels_of('momo').vi.short_name})" in _text_of(part)
    assert "vẫn đang được giao" in _text_of(part)
    bring_back(empty_client, case, fake, second)

    seen = seen_by_buyer(empty_client, placed)
    order = _order(code)
    amounts = [parcel_amount(order, first), parcel_amount(order, second)]
    assert seen["status"] == "refunded" and sum(amounts) == seen["total_vnd"]
    assert _refunds(code) == [("momo", amounts[0], "done"), ("momo", amounts[1], "done")]
    assert len(momo.refunded_trans_ids) == 2
    assert _kinds(code).count("returned") == 1
    assert _kinds(code).count("part_returned") == 1  # the last parcel's news is the whole order's email


def test_a_parcel_cancelled_before_it_left_is_refunded_with_the_one_that_came_back(app, empty_client, case, fake, shop):
    placed = _paid_by_vietqr(empty_client, shop, (shop["mien"], 2), (shop["men_la"], 1))
    code = placed["code"]
    book_both(empty_client, shop, code)
    stock = stock_of(shop["men_la"])

    _move(empty_client, case, fake, parcel_of(code, shop["home"]), CANCELLED)  # never picked up
    assert seen_by_buyer(empty_client, placed)["status"] == "shipped"
    bring_back(empty_client, case, fake, parcel_of(code, shop["htx"]))

    seen = seen_by_buyer(empty_client, placed)
    assert seen["status"] == "refund_pending"
    assert sorted(parcel["status"] for parcel in seen["parcels"]) == [CANCELLED, RETURNED]
    assert seen["money"]["to_return_vnd"] == seen["total_vnd"]  # the refunds cover what was paid
    assert [state for _, _, state in _refunds(code)] == ["due", "due"]

    _office_returns_refunds(app, code)

    assert seen_by_buyer(empty_client, placed)["status"] == "refunded"
    assert stock_of(shop["men_la"]) == stock + 1  # the bottle that never left is back on sale


# --- one parcel delivered, the other came back ---------------------------------------------------------


@pytest.mark.parametrize("returned_first", [True, False], ids=["returned_first", "delivered_first"])
def test_an_order_partly_returned_is_delivered_and_the_returned_part_refunded(
    app, empty_client, case, fake, shop, returned_first
):
    placed = _paid_by_vietqr(empty_client, shop, (shop["mien"], 2), (shop["men_la"], 1))
    code = placed["code"]
    book_both(empty_client, shop, code)
    returned, delivered = parcel_of(code, shop["htx"]), parcel_of(code, shop["home"])

    if returned_first:
        bring_back(empty_client, case, fake, returned)
        assert seen_by_buyer(empty_client, placed)["status"] == "shipped"
        _move(empty_client, case, fake, delivered, DELIVERED)
    else:
        _move(empty_client, case, fake, delivered, DELIVERED)
        assert seen_by_buyer(empty_client, placed)["status"] == "shipped"
        bring_back(empty_client, case, fake, returned)

    seen = seen_by_buyer(empty_client, placed)
    amount = parcel_amount(_order(code), returned)
    assert seen["status"] == "delivered"
    assert {parcel["producer"]["slug"]: parcel["status"] for parcel in seen["parcels"]} == {
        shop["htx"].slug: RETURNED, shop["home"].slug: DELIVERED}  # fmt: skip
    assert _history(seen) == ["pending_payment", "paid", "shipped", "delivered"]
    assert _refunds(code) == [("vietqr", amount, "due")]  # the returned parcel's lines and fee, not the order
    assert seen["money"]["to_return_vnd"] == amount < seen["total_vnd"]
    assert "returned" not in _kinds(code) and "cancelled" not in _kinds(code)
    [part] = [mail for mail in _mails(code) if mail.kind == "part_returned"]
    text = _text_of(part)
    assert part.subject == f"Một kiện của đơn hàng {code} không giao được và được hoàn tiền"
    assert f"kiện hàng của {shop['htx'].name} trong đơn {code} không giao được" in text
    assert shop["mien"].name in text and shop["men_la"].name not in text  # its parcel's lines only
    assert f"Tổng của kiện: {format_vnd(amount)}" in text
    assert f"Cửa hàng sẽ chuyển trả {format_vnd(amount)} về tài khoản bạn đã dùng để thanh toán" in text
    assert ("đã được giao" if not returned_first else "vẫn đang được giao") in text
    assert part.status == "sent"  # sent once the carrier's callback committed
    html = empty_client.get(f"/orders/{code}?token={placed['access_token']}", follow_redirects=True).get_data(
        as_text=True
    )
    assert "Đã giao hàng" in html and "Đã hoàn hàng" in html
    assert "Một phần đơn hàng không giao được và đã được hoàn về người bán" in html
    assert "Có kiện hàng không giao được, đã hoàn về người bán" in html  # the history says why
    assert f"Sẽ hoàn lại {format_vnd(amount)}" in html

    _office_returns_refunds(app, code)
    _quiet_again(empty_client, case, fake, returned)

    seen = seen_by_buyer(empty_client, placed)
    assert seen["status"] == "delivered" and len(seen["history"]) == 4  # the part's refund leaves the order be
    assert _kinds(code).count("part_returned") == 1  # replays, polls and the sweep mail nothing more
    assert (seen["money"]["refunded_vnd"], seen["money"]["to_return_vnd"]) == (amount, 0)


# --- a decision missed is made by the sweep; the office's retry never undoes a return ------------------


def test_the_sweep_brings_an_order_whose_parcels_all_ended_in_line(app, empty_client, case, fake, shop, monkeypatch):
    placed = _paid_by_vietqr(empty_client, shop, (shop["mien"], 2))
    code = placed["code"]
    _book(empty_client, shop, code, shop["htx"], "htx")
    monkeypatch.setattr(tracking, "follow_parcels", lambda order: None)  # as before the rule: the order stays put
    bring_back(empty_client, case, fake, parcel_of(code, shop["htx"]))
    monkeypatch.undo()
    assert seen_by_buyer(empty_client, placed)["status"] == "shipped"

    first = app.test_cli_runner().invoke(args=["delivery", "sweep"])
    second = app.test_cli_runner().invoke(args=["delivery", "sweep"])

    assert "orders moved: 1" in first.output and "orders moved: 0" in second.output
    seen = seen_by_buyer(empty_client, placed)
    assert seen["status"] == "refund_pending" and seen["money"]["to_return_vnd"] == seen["total_vnd"]
    assert _kinds(code).count("returned") == 1


def test_the_office_asking_again_for_a_returned_orders_refund_never_undoes_it(
    app, empty_client, case, fake, momo, momo_shop, monkeypatch
):
    shop = momo_shop
    placed = _paid_by_momo(empty_client, shop, momo, (shop["mien"], 2))
    code = placed["code"]
    _book(empty_client, shop, code, shop["htx"], "htx")
    monkeypatch.setattr("catalogue.delivery.returns.refund_return", lambda parcel_id: None)  # stopped before asking
    _move(empty_client, case, fake, parcel_of(code, shop["htx"]), RETURNED)
    monkeypatch.undo()
    total = seen_by_buyer(empty_client, placed)["total_vnd"]
    assert _refunds(code) == [("momo", total, "requested")]
    assert seen_by_buyer(empty_client, placed)["status"] == "refund_pending"
    momo.refuse_next_refunds = [(1001, "Giao dịch thất bại")]

    answer = empty_client.post(f"/api/v1/orders/{code}/cancel",
                               headers={"Authorization": f"Bearer {shop['tokens']['office']}"})  # fmt: skip

    assert answer.status_code == 409, answer.get_json()
    seen = seen_by_buyer(empty_client, placed)
    assert seen["status"] == "refund_pending"  # never back to shipped: the goods came back
    assert _refunds(code) == [("momo", total, "due")]  # the office's now, on the money desk
    assert len(momo.refunds) == 1 and momo.refunded_trans_ids == []
