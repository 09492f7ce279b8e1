"""The office's payments pages: the day sheet by rail, assigning an unmatched transfer, recording a hand refund."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from catalogue.clock import VIETNAM
from tests.access_helpers import cast, portal_client
from tests.order_helpers import body
from tests.payments.rail_helpers import all_rows, ledger_of, post_sepay, sepay_body, status_of, use_rails
from tests.storefront_helpers import csrf_token

PAGE = "/portal/admin/payments/"
DAY = "2026-11-21"  # the SePay bodies' transactionDate (Vietnam time)
TOTAL = 200_000  # two packets of miến at 85 000 ₫ and 30 000 ₫ shipping


def _order(client, product) -> str:
    answer = client.post("/api/v1/orders", json=body((product.id, 2), payment_method="vietqr"))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["code"]


@pytest.fixture
def office(app):
    """An exactly paid order, an overpaid one (50 000 ₫ to return), an unpaid one and an unmatched transfer."""
    use_rails(app)
    world = cast()
    buyer = app.test_client()
    paid, overpaid, unpaid = (_order(buyer, world["product"]) for _ in range(3))
    post_sepay(buyer, sepay_body(701, paid.replace("-", ""), TOTAL))
    post_sepay(buyer, sepay_body(702, overpaid.replace("-", ""), TOTAL + 50_000))
    post_sepay(buyer, sepay_body(703, "chuyen tien hang", TOTAL))  # no order code: unmatched
    world.update(paid=paid, overpaid=overpaid, unpaid=unpaid, client=portal_client(app, world, "admin"))
    return world


def _transfer_id(html: str) -> int:
    return int(re.search(r'data-transfer="(\d+)"', html).group(1))


def _refund_id(html: str) -> int:
    return int(re.search(r'data-refund="(\d+)"', html).group(1))


def test_the_day_sheet_shows_money_in_by_rail_unmatched_and_what_is_owed(office):
    html = office["client"].get(f"{PAGE}?day={DAY}").get_data(as_text=True)

    assert ('<tr data-rail="vietqr"><th scope="row">Chuyển khoản VietQR</th><td>2</td><td>450.000\xa0₫</td>'
            "<td>0\xa0₫</td></tr>") in html  # fmt: skip
    assert "Chuyển khoản chưa khớp đơn trong ngày: 1 khoản, 200.000\xa0₫." in html
    assert "Tổng tiền còn phải hoàn lại: 50.000\xa0₫." in html
    assert "“chuyen tien hang”" in html
    assert re.search(rf"<strong>50.000\xa0₫</strong> · đơn <strong>{office['overpaid']}</strong> · "
                     r"Chuyển khoản VietQR · chuyển dư", html)  # fmt: skip
    assert "Chưa có tiền về trong ngày." in office["client"].get(f"{PAGE}?day=2026-11-20").get_data(as_text=True)


def test_a_transfer_into_another_account_is_listed_apart_and_counted_nowhere(office):
    # given a transfer naming the unpaid order, into an account that is not the shop's
    buyer = office["client"]
    post_sepay(buyer, {**sepay_body(704, office["unpaid"].replace("-", ""), TOTAL), "accountNumber": "9999888877"})

    # when the office opens the day's sheet
    html = buyer.get(f"{PAGE}?day={DAY}").get_data(as_text=True)

    # then it is listed with the account it went to, the order still waits, and the day's money is unchanged
    elsewhere = html.split('data-testid="other-account-transfers"')[1].split("</ul>")[0]
    assert (
        "200.000\xa0₫" in elsewhere
        and "tài khoản 9999888877" in elsewhere
        and office["unpaid"].replace("-", "") in elsewhere
    )
    assert "Chuyển vào tài khoản khác trong ngày (1)" in html
    assert status_of(office["unpaid"]) == "pending_payment"
    assert "Chuyển khoản chưa khớp đơn (1)" in html


def test_the_admin_nav_links_the_payments_page(office):
    html = office["client"].get("/portal/admin/products").get_data(as_text=True)

    assert f'<a href="{PAGE}">Thanh toán</a>' in html


def test_assigning_an_unmatched_transfer_pays_the_order(office):
    client = office["client"]
    transfer = _transfer_id(client.get(PAGE).get_data(as_text=True))

    token = csrf_token(client, PAGE)

    response = client.post(f"{PAGE}transfers/{transfer}/assign", data={"order_code": office["unpaid"].lower(),
                                                                       "csrf_token": token})  # fmt: skip

    assert response.status_code == 303 and response.headers["Location"] == PAGE
    assert status_of(office["unpaid"]) == "paid"
    assert ledger_of(office["unpaid"]) == [("attempt", "started", "vietqr", TOTAL),
                                           ("payment", "received", "vietqr", TOTAL)]  # fmt: skip
    assert ledger_of(None) == []
    assert f"Đã gán khoản chuyển vào đơn {office['unpaid']} (đơn đã thanh toán)." in client.get(PAGE).get_data(
        as_text=True)  # fmt: skip


def test_assigning_to_an_unknown_order_is_shown_inline_and_changes_nothing(office):
    client = office["client"]
    transfer = _transfer_id(client.get(PAGE).get_data(as_text=True))
    rows = all_rows()

    response = client.post(f"{PAGE}transfers/{transfer}/assign",
                           data={"order_code": "QN-ZZZZ-ZZZZ", "csrf_token": csrf_token(client, PAGE)})  # fmt: skip

    assert response.status_code == 422
    assert (f'<p class="field-error" id="order_code-{transfer}-error">Không có đơn hàng QN-ZZZZ-ZZZZ.</p>'
            in response.get_data(as_text=True))  # fmt: skip
    assert ledger_of(None) == [("payment", "unmatched", "vietqr", TOTAL)]
    assert all_rows() == rows and status_of(office["unpaid"]) == "pending_payment"


def test_an_empty_order_code_is_refused_inline(office):
    client = office["client"]
    transfer = _transfer_id(client.get(PAGE).get_data(as_text=True))

    response = client.post(f"{PAGE}transfers/{transfer}/assign", data={"order_code": "", "csrf_token": csrf_token(
        client, PAGE)})  # fmt: skip

    assert response.status_code == 422
    assert "Vui lòng nhập thông tin này." in response.get_data(as_text=True)
    assert ledger_of(None) == [("payment", "unmatched", "vietqr", TOTAL)]


def test_marking_a_surplus_returned_records_the_bank_reference(office):
    client = office["client"]
    refund = _refund_id(client.get(PAGE).get_data(as_text=True))

    response = client.post(f"{PAGE}refunds/{refund}/returned",
                           data={"reference": "FT26325123456", "csrf_token": csrf_token(client, PAGE)})  # fmt: skip

    assert response.status_code == 303
    assert ledger_of(office["overpaid"])[-1] == ("refund", "done", "vietqr", 50_000)
    html = client.get(PAGE).get_data(as_text=True)
    assert "Đã ghi hoàn tiền, mã giao dịch FT26325123456." in html and "data-refund=" not in html
    today = datetime.now(VIETNAM).date().isoformat()  # the office returned it now
    assert "<td>50.000\xa0₫</td></tr>" in client.get(f"{PAGE}?day={today}").get_data(as_text=True)


def test_a_refund_without_its_bank_reference_is_refused_inline(office):
    client = office["client"]
    refund = _refund_id(client.get(PAGE).get_data(as_text=True))

    response = client.post(f"{PAGE}refunds/{refund}/returned", data={"reference": "", "csrf_token": csrf_token(
        client, PAGE)})  # fmt: skip

    assert response.status_code == 422
    assert f'id="reference-{refund}-error">Vui lòng nhập thông tin này.</p>' in response.get_data(as_text=True)
    assert ledger_of(office["overpaid"])[-1] == ("refund", "due", "vietqr", 50_000)
