"""The money desk's search: which waiting order an unmatched transfer pays, by amount, name, phone or code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from catalogue.extensions import db
from catalogue.orders import money_desk
from catalogue.orders.models import Order, OrderEvent
from catalogue.payments import ledger
from tests import factories
from tests.conftest import count_statements
from tests.order_helpers import shelf

NOW = datetime.now(UTC)


def _order(products, code: str, name: str, phone: str, status: str = "pending_payment", packets: int = 2, **fields):
    """An order of `packets` miến (85 000 ₫ each, 30 000 ₫ shipping) by `name`, committed."""
    made = factories.order([(products["mien"], packets)], code, status, **fields)
    made.customer_name, made.customer_phone = name, phone
    if status == "cancelled":
        made.events.append(
            OrderEvent(from_status="pending_payment", to_status="cancelled", reason="reservation expired")
        )
    db.session.commit()
    return made


@pytest.fixture
def orders(app):
    """Waiting orders (pending, failed, expired, partly paid) and ones the desk must never offer."""
    products = shelf()
    _order(products, "QN-AAAA-2345", "Nguyễn Văn An", "0912 345 678", created_at=NOW - timedelta(hours=3))
    _order(products, "QN-BBBB-2345", "Trần Thị Bình", "0987654321", created_at=NOW - timedelta(hours=2))
    _order(products, "QN-CCCC-2345", "Lê Văn An", "0203 888 999", "cancelled", packets=1,
           created_at=NOW - timedelta(days=2))  # fmt: skip
    _order(products, "QN-DDDD-2345", "Phạm Thu Hà", "+84 355 111 222", "payment_failed",
           created_at=NOW - timedelta(hours=1))  # fmt: skip
    # Never offered by name: cancelled by its buyer, paid, and too old (a code still finds the old one).
    buyer = _order(products, "QN-EEEE-2345", "Nguyễn Văn An", "0912345678", "cancelled")
    buyer.events[-1].reason = "cancelled by buyer"
    _order(products, "QN-FFFF-2345", "Nguyễn Văn An", "0912345678", "paid")
    _order(products, "QN-GGGG-2345", "Nguyễn Văn An", "0912345678", created_at=NOW - timedelta(days=60))
    # 50 000 ₫ already came for this one: 150 000 ₫ is still due.
    partly = _order(products, "QN-HHHH-2345", "Đỗ Minh Đức", "0977000111", created_at=NOW - timedelta(minutes=30))
    ledger.add_money_in(partly, method="vietqr", provider="sepay", reference="FT1", transaction_id="1",
                        amount_vnd=50_000)  # fmt: skip
    db.session.commit()
    return products


def _found(clues) -> list[tuple[str, tuple[str, ...]]]:
    return [(candidate.code, candidate.matched_by) for candidate in money_desk.find_candidates(clues, NOW)]


def test_an_unaccented_name_finds_the_accented_buyer_among_waiting_orders_only(orders):
    assert _found(money_desk.clues_from_query("nguyen van an")) == [("QN-AAAA-2345", ("name",))]
    assert _found(money_desk.clues_from_query("NGUYỄN văn")) == [("QN-AAAA-2345", ("name",))]
    assert _found(money_desk.clues_from_query("duc")) == [("QN-HHHH-2345", ("name",))]  # đ folds to d


def test_an_amount_and_a_name_together_rank_first(orders):
    clues = money_desk.with_amount(money_desk.clues_from_query("van an"), 200_000)

    assert _found(clues) == [
        ("QN-AAAA-2345", ("name", "amount")),
        ("QN-CCCC-2345", ("name",)),  # expired, 115 000 ₫: a late transfer still completes it
        ("QN-DDDD-2345", ("amount",)),
        ("QN-BBBB-2345", ("amount",)),
    ]


def test_the_amount_is_matched_to_what_is_still_due(orders):
    assert _found(money_desk.clues_from_query("150.000đ")) == [("QN-HHHH-2345", ("amount",))]
    assert _found(money_desk.clues_from_query("115000")) == [("QN-CCCC-2345", ("amount",))]
    due = {candidate.code: candidate.due_vnd for candidate in money_desk.find_candidates(
        money_desk.Clues(amount_vnd=150_000), NOW)}  # fmt: skip
    assert due == {"QN-HHHH-2345": 150_000}


def test_a_phone_matches_with_0_or_plus_84(orders):
    for typed in ("0912 345 678", "+84 912 345 678", "84912345678", "0912.345.678"):
        assert _found(money_desk.clues_from_query(typed)) == [("QN-AAAA-2345", ("phone",))], typed
    assert _found(money_desk.clues_from_query("0355111222")) == [("QN-DDDD-2345", ("phone",))]
    assert _found(money_desk.clues_from_query("Bình 0355111222")) == [
        ("QN-DDDD-2345", ("phone",)),
        ("QN-BBBB-2345", ("name",)),
    ]


def test_a_code_matches_with_or_without_dashes_in_any_case_whatever_its_age(orders):
    for typed in ("qnaaaa2345", "QN-AAAA-2345", " qn-aaaa-2345 "):
        assert _found(money_desk.clues_from_query(typed)) == [("QN-AAAA-2345", ("code",))], typed
    assert _found(money_desk.clues_from_query("QNGGGG2345")) == [("QN-GGGG-2345", ("code",))]
    assert _found(money_desk.clues_from_query("aaaa-2345")) == [("QN-AAAA-2345", ("code",))]  # without its QN-
    assert _found(money_desk.clues_from_query("QN-FFFF-2345")) == []  # paid: nothing to match


def test_a_transfer_suggests_orders_by_its_amount_and_the_name_in_its_content(orders):
    content = {"content": "NGUYEN VAN AN chuyen tien mua mien"}
    row = ledger.add_money_in(None, method="vietqr", provider="sepay", reference="FT9", transaction_id="9",
                              amount_vnd=200_000, details=content)  # fmt: skip
    db.session.commit()

    assert _found(money_desk.clues_from_transfer(row)) == [
        ("QN-AAAA-2345", ("name", "amount")),
        ("QN-DDDD-2345", ("amount",)),
        ("QN-BBBB-2345", ("amount",)),
    ]


def test_a_phone_in_the_content_finds_its_order(orders):
    row = ledger.add_money_in(None, method="vietqr", provider="sepay", reference="FT8", transaction_id="8",
                              amount_vnd=1_000, details={"content": "tien hang sdt 0987654321"})  # fmt: skip

    assert _found(money_desk.clues_from_transfer(row)) == [("QN-BBBB-2345", ("phone",))]


def test_nothing_to_search_finds_nothing_and_reads_nothing(orders):
    with count_statements(db.engine) as statements:
        assert money_desk.find_candidates(money_desk.clues_from_query("  "), NOW) == []
        assert money_desk.find_candidates(money_desk.clues_from_query("!!"), NOW) == []

    assert statements == []


def test_the_search_is_one_bounded_statement(orders):
    for number in range(25):
        _order(orders, f"QN-J{number:02d}A-2345".replace("0", "Q").replace("1", "R"), "Vũ Văn Nam", "0900000000")

    with count_statements(db.engine) as statements:
        found = money_desk.find_candidates(money_desk.clues_from_query("vu van nam"), NOW, limit=500)

    assert len(found) == money_desk.MAX_RESULTS == 20
    assert len(statements) == 1


def test_the_search_columns_follow_the_buyer(orders):
    order = db.session.scalar(select(Order).where(Order.code == "QN-DDDD-2345"))
    assert (order.buyer_name_search, order.buyer_phone_digits) == ("pham thu ha", "355111222")

    order.customer_name, order.customer_phone = "Hoàng Thị Ánh", "0203.777.888"
    db.session.commit()

    assert _columns("QN-DDDD-2345") == ("hoang thi anh", "203777888")


def test_the_migration_fills_the_search_columns_of_orders_made_before_it(orders):
    db.session.remove()
    downgrade(revision="0014_reports")

    upgrade()

    assert _columns("QN-AAAA-2345") == ("nguyen van an", "912345678")
    assert _columns("QN-DDDD-2345") == ("pham thu ha", "355111222")
    assert _found(money_desk.clues_from_query("pham thu ha")) == [("QN-DDDD-2345", ("name",))]


def _columns(code: str) -> tuple[str, str]:
    row = db.session.execute(
        text("SELECT buyer_name_search, buyer_phone_digits FROM orders WHERE code = :code"), {"code": code}
    ).one()
    return tuple(row)
