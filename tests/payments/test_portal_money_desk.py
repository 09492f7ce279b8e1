"""The office's money desk page: unmatched transfers beside the orders they may pay, matched by hand, audited."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from catalogue.accounts.models import AuditEntry
from catalogue.extensions import db
from tests.access_helpers import cast, portal_client
from tests.order_helpers import body
from tests.payments.rail_helpers import all_rows, ledger_of, post_sepay, sepay_body, status_of, use_rails
from tests.storefront_helpers import csrf_token

DESK = "/portal/admin/payments/desk"
TOTAL = 200_000  # two packets of miến at 85 000 ₫ and 30 000 ₫ shipping


def _order(client, product, name: str, phone: str, packets: int = 2) -> str:
    customer = {"name": name, "email": "an@example.com", "phone": phone}
    answer = client.post("/api/v1/orders", json=body((product.id, packets), payment_method="vietqr", customer=customer))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["code"]


@pytest.fixture
def desk(app):
    """Two orders of 200 000 ₫ waiting (An's, Bình's), one of 115 000 ₫, and An's transfer naming no order."""
    use_rails(app)
    world = cast()
    buyer = app.test_client()
    world["an"] = _order(buyer, world["product"], "Nguyễn Văn An", "0912 345 678")
    world["binh"] = _order(buyer, world["product"], "Trần Thị Bình", "0987 654 321")
    world["small"] = _order(buyer, world["product"], "Lê Thị Cúc", "0333 888 999", packets=1)
    post_sepay(buyer, sepay_body(801, "NGUYEN VAN AN chuyen tien", TOTAL))
    world["client"] = portal_client(app, world, "admin")
    return world


def _transfer_id(html: str) -> int:
    return int(re.search(r'data-transfer="(\d+)"', html).group(1))


def _suggested(html: str) -> list[str]:
    return re.findall(r'<li data-order="([^"]+)">', html)


def test_the_desk_shows_each_transfer_beside_the_orders_it_may_pay(desk):
    response = desk["client"].get(DESK)

    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "private, no-store"
    assert "“NGUYEN VAN AN chuyen tien”" in html
    assert _suggested(html) == [desk["an"], desk["binh"]]  # amount and name first, then the amount alone
    assert "Khớp theo: tên, số tiền" in html and "Còn phải trả 200.000\xa0₫ / tổng 200.000\xa0₫" in html
    assert "Chưa có khoản nào được khớp bằng tay." in html


def test_the_payments_page_links_the_desk(desk):
    html = desk["client"].get("/portal/admin/payments/").get_data(as_text=True)

    assert f'<a href="{DESK}" data-testid="desk-link">' in html


def test_a_search_beside_a_transfer_finds_orders_by_unaccented_name(desk):
    client = desk["client"]
    transfer = _transfer_id(client.get(DESK).get_data(as_text=True))

    html = client.get(DESK, query_string={"transfer": transfer, "q": "le thi cuc"}).get_data(as_text=True)

    assert _suggested(html) == [desk["small"], desk["binh"], desk["an"]]  # the name, then the amount, newest first
    assert "Đơn tìm được cho “le thi cuc”:" in html


@pytest.mark.parametrize("role, status", [("owner", 403), ("anonymous", 302)])
def test_the_desk_is_the_office_s_alone(desk, app, role, status):
    client = portal_client(app, desk, role)

    assert client.get(DESK).status_code == status


def test_matching_a_suggested_order_pays_it_and_audits_who_did(desk):
    client = desk["client"]
    transfer = _transfer_id(client.get(DESK).get_data(as_text=True))

    response = client.post(f"{DESK}/transfers/{transfer}/match",
                           data={"order_code": desk["an"], "csrf_token": csrf_token(client, DESK)})  # fmt: skip

    assert response.status_code == 303 and response.headers["Location"] == DESK
    assert status_of(desk["an"]) == "paid"
    assert ledger_of(desk["an"]) == [("attempt", "started", "vietqr", TOTAL), ("payment", "received", "vietqr", TOTAL)]
    assert ledger_of(None) == []
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "payment.matched")).one()
    assert (entry.actor, entry.entity_type, entry.entity_id) == ("admin@example.com", "payment", transfer)
    assert json.loads(entry.changes) == {
        "order_code": [None, desk["an"]],
        "state": ["unmatched", "received"],
        "amount_vnd": [TOTAL, TOTAL],
        "outcome": [None, "paid"],
    }
    html = client.get(DESK).get_data(as_text=True)
    assert f"Đã khớp khoản chuyển vào đơn {desk['an']} (đơn đã thanh toán)." in html
    assert (f"admin@example.com khớp khoản chuyển #{transfer} (200.000\xa0₫) vào đơn {desk['an']}: "
            "đơn đã thanh toán.") in html  # fmt: skip
    assert "Không có khoản chuyển nào chưa khớp." in html


def test_assigning_by_code_on_the_payments_page_is_audited_too(desk):
    client = desk["client"]
    transfer = _transfer_id(client.get(DESK).get_data(as_text=True))
    typed = desk["binh"].replace("-", "").lower()

    client.post(f"/portal/admin/payments/transfers/{transfer}/assign",
                data={"order_code": typed, "csrf_token": csrf_token(client, DESK)})  # fmt: skip

    assert status_of(desk["binh"]) == "paid"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "payment.matched")).one()
    assert json.loads(entry.changes)["order_code"] == [None, desk["binh"]]


def _nothing_changed(desk, rows: int) -> None:
    assert all_rows() == rows
    assert ledger_of(None) == [("payment", "unmatched", "vietqr", TOTAL)]
    assert (status_of(desk["an"]), status_of(desk["binh"])) == ("pending_payment", "pending_payment")
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "payment.matched")).all() == []


def test_a_producer_s_match_is_refused_and_changes_nothing(desk, app):
    transfer = _transfer_id(desk["client"].get(DESK).get_data(as_text=True))
    rows = all_rows()
    owner = portal_client(app, desk, "owner")

    response = owner.post(f"{DESK}/transfers/{transfer}/match",
                          data={"order_code": desk["an"], "csrf_token": csrf_token(owner, "/portal/")})  # fmt: skip

    assert response.status_code == 403
    _nothing_changed(desk, rows)


def test_a_match_without_the_csrf_token_is_refused_and_changes_nothing(desk):
    client = desk["client"]
    transfer = _transfer_id(client.get(DESK).get_data(as_text=True))
    rows = all_rows()

    response = client.post(f"{DESK}/transfers/{transfer}/match", data={"order_code": desk["an"]})

    assert response.status_code == 400
    _nothing_changed(desk, rows)


def test_a_match_to_an_unknown_order_is_refused_and_changes_nothing(desk):
    client = desk["client"]
    transfer = _transfer_id(client.get(DESK).get_data(as_text=True))
    rows = all_rows()

    response = client.post(f"{DESK}/transfers/{transfer}/match",
                           data={"order_code": "QN-ZZZZ-ZZZZ", "csrf_token": csrf_token(client, DESK)})  # fmt: skip

    assert response.status_code == 422
    assert '<p class="field-error" role="alert" data-testid="desk-error">Không có đơn hàng QN-ZZZZ-ZZZZ.</p>' in (
        response.get_data(as_text=True))  # fmt: skip
    _nothing_changed(desk, rows)


def test_a_transfer_matched_already_is_not_matched_twice(desk):
    client = desk["client"]
    transfer = _transfer_id(client.get(DESK).get_data(as_text=True))
    client.post(f"{DESK}/transfers/{transfer}/match", data={"order_code": desk["an"], "csrf_token": csrf_token(
        client, DESK)})  # fmt: skip
    rows = all_rows()

    response = client.post(f"{DESK}/transfers/{transfer}/match",
                           data={"order_code": desk["binh"], "csrf_token": csrf_token(client, DESK)})  # fmt: skip

    assert response.status_code == 303
    assert "Khoản chuyển này đã được gán vào một đơn hàng." in client.get(DESK).get_data(as_text=True)
    assert all_rows() == rows and status_of(desk["binh"]) == "pending_payment"
    assert len(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "payment.matched")).all()) == 1


def test_an_unknown_transfer_is_404(desk):
    client = desk["client"]

    response = client.post(f"{DESK}/transfers/99999/match",
                           data={"order_code": desk["an"], "csrf_token": csrf_token(client, DESK)})  # fmt: skip

    assert response.status_code == 404 and status_of(desk["an"]) == "pending_payment"
