"""Fulfilment: producers see their own lines of paid orders and ship their own parcel."""

from __future__ import annotations

import re
from dataclasses import fields
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from catalogue.accounts.models import AuditEntry, User
from catalogue.accounts.services import principal_for_user
from catalogue.errors import Conflict, InvalidInput, NotFound
from catalogue.extensions import db
from catalogue.orders.fulfilment import OrderShipment, ProducerOrder, mark_shipped, orders_for_producer
from catalogue.orders.models import Order
from tests import factories
from tests.access_helpers import cast, paid_order, portal_client

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


@pytest.fixture
def world(app):
    made = cast()
    made["order"] = paid_order([(made["product"], 2), (made["other_product"], 1)])
    return made


def _principal(email: str):
    return principal_for_user(db.session.scalars(select(User).where(User.email == email)).one())


def _status(code: str) -> str:
    db.session.expire_all()
    return db.session.scalars(select(Order.status).where(Order.code == code)).one()


def test_a_producer_sees_only_its_own_lines(world):
    seen = orders_for_producer(_principal("owner@example.com"))

    assert [order.code for order in seen] == ["PAID2345"]
    assert [(line.name, line.quantity) for line in seen[0].lines] == [("Miến dong Bình Liêu", 2)]
    assert seen[0].total_vnd == 170000
    # What a producer is given of the buyer: a name and a phone to deliver to, never the email or the order's token.
    assert {field.name for field in fields(ProducerOrder)} == {
        "code",
        "status",
        "created_at",
        "customer_name",
        "customer_phone",
        "shipping_address",
        "lines",
        "shipment",
    }
    assert [line.name for line in orders_for_producer(_principal("admin@example.com"))[0].lines] == [
        "Miến dong Bình Liêu",
        "Nước mắm Vân Đồn",
    ]


def test_unpaid_orders_are_not_shown(world):
    world["order"].status = "pending_payment"
    db.session.commit()

    assert orders_for_producer(_principal("owner@example.com")) == []


def test_the_order_is_shipped_once_every_producer_has_shipped(world):
    mark_shipped(_principal("owner@example.com"), "PAID2345", "GHN-0001", NOW)
    assert _status("PAID2345") == "paid"

    mark_shipped(_principal("other@example.com"), "PAID2345", "VTP-0002", NOW)

    assert _status("PAID2345") == "shipped"
    order = db.session.scalars(select(Order).where(Order.code == "PAID2345")).one()
    assert [(event.from_status, event.to_status) for event in order.events] == [("paid", "shipped")]
    assert sorted(db.session.scalars(select(OrderShipment.tracking_number))) == ["GHN-0001", "VTP-0002"]


def test_an_admin_ships_every_remaining_parcel(world):
    mark_shipped(_principal("owner@example.com"), "PAID2345", "GHN-0001", NOW)

    mark_shipped(_principal("admin@example.com"), "PAID2345", "EMS-9999", NOW)

    assert _status("PAID2345") == "shipped"
    assert db.session.scalar(select(func.count(OrderShipment.id))) == 2


@pytest.mark.parametrize(
    ("email", "code", "tracking", "error"),
    [
        ("owner@example.com", "NOSUCH234", "GHN-0001", NotFound),
        ("owner@example.com", "PAID2345", "x", InvalidInput),
        ("owner@example.com", "PAID2345", "<script>", InvalidInput),
    ],
)
def test_refusals_change_nothing(world, email, code, tracking, error):
    audit = db.session.scalar(select(func.count(AuditEntry.id)))

    with pytest.raises(error):
        mark_shipped(_principal(email), code, tracking, NOW)

    assert _status("PAID2345") == "paid"
    assert db.session.scalar(select(func.count(OrderShipment.id))) == 0
    assert db.session.scalar(select(func.count(AuditEntry.id))) == audit


def test_shipping_twice_or_an_unpaid_order_is_a_conflict(world):
    mark_shipped(_principal("owner@example.com"), "PAID2345", "GHN-0001", NOW)
    with pytest.raises(Conflict):
        mark_shipped(_principal("owner@example.com"), "PAID2345", "GHN-0002", NOW)
    assert sorted(db.session.scalars(select(OrderShipment.tracking_number))) == ["GHN-0001"]
    world["order"].status = "refund_pending"
    db.session.commit()

    with pytest.raises(Conflict):
        mark_shipped(_principal("other@example.com"), "PAID2345", "VTP-0002", NOW)

    assert _status("PAID2345") == "refund_pending"
    assert sorted(db.session.scalars(select(OrderShipment.tracking_number))) == ["GHN-0001"]


def test_the_orders_page_shows_a_producer_its_lines_and_the_address(app, world):
    client = portal_client(app, world, "owner")

    html = client.get("/portal/orders").get_data(as_text=True)

    assert "Miến dong Bình Liêu" in html and "12 đường Hạ Long" in html
    assert "Nước mắm Vân Đồn" not in html
    assert 'name="tracking_number"' in html


def test_a_bad_tracking_number_is_shown_on_the_field(app, world):
    from tests.storefront_helpers import csrf_token

    client = portal_client(app, world, "owner")

    response = client.post(
        "/portal/orders/PAID2345/ship", data={"csrf_token": csrf_token(client), "tracking_number": "x"}
    )

    assert response.status_code == 422
    assert "Mã vận đơn gồm 4–60 chữ cái" in response.get_data(as_text=True)
    assert _status("PAID2345") == "paid"


def test_shipping_twice_in_the_portal_says_why_in_vietnamese_and_records_one_parcel(app, world):
    from tests.storefront_helpers import csrf_token

    client = portal_client(app, world, "owner")
    ship = {"csrf_token": csrf_token(client), "tracking_number": "GHN-0001"}
    assert client.post("/portal/orders/PAID2345/ship", data=ship).status_code == 303

    response = client.post(
        "/portal/orders/PAID2345/ship", data={**ship, "tracking_number": "GHN-0002"}, follow_redirects=True
    )

    html = response.get_data(as_text=True)
    assert "Không thể ghi nhận giao hàng: đơn này chưa thanh toán hoặc phần hàng của bạn đã được gửi." in html
    assert "already shipped" not in html
    db.session.expire_all()
    assert sorted(db.session.scalars(select(OrderShipment.tracking_number))) == ["GHN-0001"]


@pytest.fixture
def office_world(world):
    """Beside the paid order: one waiting for money, one whose payment failed, one cancelled."""
    for code, status in (("WAIT2345", "pending_payment"), ("FAIL2345", "payment_failed"), ("GONE2345", "cancelled")):
        factories.order([(world["product"], 1)], code, status)
    db.session.commit()
    return world


def _codes(html: str) -> list[str]:
    return re.findall(r'<h2 id="order-(\w+)">', html)


@pytest.mark.parametrize(
    "status, codes",
    [("", ["PAID2345"]), ("pending_payment", ["WAIT2345"]), ("payment_failed", ["FAIL2345"]),
     ("cancelled", ["GONE2345"])],
)  # fmt: skip
def test_the_office_lists_orders_of_any_status(app, office_world, status, codes):
    client = portal_client(app, office_world, "admin")

    html = client.get("/portal/orders", query_string={"status": status}).get_data(as_text=True)

    assert _codes(html) == codes
    assert f'<option value="{status}" selected>' in html


def test_a_producer_sees_paid_orders_whatever_status_it_asks_for(app, office_world):
    client = portal_client(app, office_world, "owner")

    for status in ("pending_payment", "cancelled", "nonsense"):
        html = client.get("/portal/orders", query_string={"status": status}).get_data(as_text=True)
        assert _codes(html) == ["PAID2345"] and 'data-testid="status-filter"' not in html


def test_an_unknown_status_is_a_400_for_the_office(app, office_world):
    client = portal_client(app, office_world, "admin")

    response = client.get("/portal/orders", query_string={"status": "nonsense"})

    assert response.status_code == 400 and "Trạng thái đơn không hợp lệ." in response.get_data(as_text=True)
