"""Booking parcels with GHN and Viettel Post (their fakes): a producer books its own parcel once, whatever
the retries or simultaneous clicks; a carrier down leaves it queued and the sweep books it later; a refusal
stays visible with its reason; a parcel sent another way is recorded; the office books automatically."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from catalogue import metrics
from catalogue.delivery import booking
from catalogue.extensions import db
from catalogue.orders.fulfilment import OrderShipment
from catalogue.orders.models import Order
from catalogue.producers.models import Producer
from tests.delivery.parcel_helpers import paid_two_producer_order, parcel_of, ship, shipping_shelf, use_real_carrier
from tests.live import race, serving


@pytest.fixture
def shop(app, case, fake):
    use_real_carrier(app, case, fake)
    return shipping_shelf(app)


def _booked_count(case) -> float:
    return metrics.PARCELS_BOOKED.labels(case.name)._value.get()


def _order(code: str) -> Order:
    db.session.expire_all()
    return db.session.scalar(select(Order).where(Order.code == code))


def test_a_producer_books_its_own_parcel_once_and_prints_its_label(app, empty_client, case, fake, shop):
    placed = paid_two_producer_order(empty_client, shop)
    code = placed["code"]
    mine, theirs = parcel_of(code, shop["htx"]), parcel_of(code, shop["home"])
    counted = _booked_count(case)

    answer = ship(empty_client, code, mine.id, shop["tokens"]["htx"])

    assert answer.status_code == 200, answer.get_json()
    parcel = answer.get_json()
    assert (parcel["id"], parcel["status"], parcel["carrier"], parcel["booking_state"]) == (
        mine.id, "booked", case.name, None
    )  # fmt: skip
    assert parcel["tracking_code"] in fake.orders and parcel["tracking_url"]
    assert fake.creates_made == 1 and _booked_count(case) == counted + 1
    # Clicking again books nothing more.
    again = ship(empty_client, code, mine.id, shop["tokens"]["htx"])
    assert again.status_code == 409 and again.get_json()["error_code"] == "parcel.already_shipped"
    assert fake.creates_made == 1
    # One parcel of two has left: the order is still paid; the other producer's parcel waits.
    assert _order(code).status == "paid" and parcel_of(code, shop["home"]).status == "pending"

    with app.test_request_context():
        from catalogue.accounts.principal import Principal

        principal = Principal(None, "producer", shop["htx"].id, frozenset({"orders:read"}), "htx@example.com")
        name, pdf = booking.label_of(principal, mine.id, "A6")
    assert name.endswith("-A6.pdf") and parcel["tracking_code"] in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()

    # The office books the other one: every parcel has left, the order is shipped.
    other = ship(empty_client, code, theirs.id, shop["tokens"]["office"])
    assert other.status_code == 200 and other.get_json()["status"] == "booked"
    assert _order(code).status == "shipped" and fake.creates_made == 2
    shipments = db.session.scalars(select(OrderShipment).where(OrderShipment.order_id == _order(code).id)).all()
    assert len(shipments) == 2


def test_only_the_parcels_producer_or_the_office_ships_it(app, empty_client, fake, shop):
    code = paid_two_producer_order(empty_client, shop)["code"]
    mine = parcel_of(code, shop["htx"])

    assert ship(empty_client, code, mine.id, None).status_code == 401
    assert ship(empty_client, code, mine.id, shop["tokens"]["catalogue_only"]).status_code == 403
    assert ship(empty_client, code, mine.id, shop["tokens"]["home"]).status_code == 404  # another producer's
    assert ship(empty_client, "QN-NONE-0000", mine.id, shop["tokens"]["htx"]).status_code == 404
    half = ship(empty_client, code, mine.id, shop["tokens"]["htx"], {"carrier": "GHN"})
    assert half.status_code == 422 and "tracking_code" in half.get_json()["errors"]
    assert fake.creates_made == 0 and parcel_of(code, shop["htx"]).status == "pending"


def test_a_parcel_sent_another_way_is_recorded_with_its_carrier_and_code(app, empty_client, fake, shop):
    code = paid_two_producer_order(empty_client, shop)["code"]
    mine = parcel_of(code, shop["htx"])

    bad = ship(empty_client, code, mine.id, shop["tokens"]["htx"], {"carrier": "Bưu điện", "tracking_code": "x"})
    assert bad.status_code == 422 and "tracking_code" in bad.get_json()["errors"]
    answer = ship(empty_client, code, mine.id, shop["tokens"]["htx"],
                  {"carrier": "Bưu điện", "tracking_code": "EB123456789VN"})  # fmt: skip

    assert answer.status_code == 200, answer.get_json()
    parcel = answer.get_json()
    assert (parcel["status"], parcel["carrier"], parcel["tracking_code"], parcel["tracking_url"]) == (
        "booked", "Bưu điện", "EB123456789VN", None
    )  # fmt: skip
    assert fake.creates_made == 0
    assert [event.source for event in parcel_of(code, shop["htx"]).events] == ["shop", "producer"]


def _post(url: str, token: str) -> int:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    request = urllib.request.Request(url, data=b"{}", method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_two_simultaneous_clicks_book_one_carrier_order(app, empty_client, fake, shop):
    code = paid_two_producer_order(empty_client, shop)["code"]
    mine = parcel_of(code, shop["htx"])
    fake.hang_next, fake.hang_seconds = 0, 0.3  # (no fault: the carrier answers, the clicks overlap it)

    with serving(app) as base:
        statuses = race(4, lambda _: _post(f"{base}/api/v1/orders/{code}/parcels/{mine.id}/ship",
                                           shop["tokens"]["htx"]))  # fmt: skip

    assert set(statuses) <= {200, 409} and 200 in statuses, statuses
    assert fake.creates_made == 1
    parcel = parcel_of(code, shop["htx"])
    assert parcel.status == "booked" and parcel.tracking_code in fake.orders
    assert [event.status for event in parcel.events] == ["pending", "booked"]


def test_a_carrier_down_leaves_the_booking_queued_and_the_sweep_books_it_once_later(app, empty_client, fake, shop):
    code = paid_two_producer_order(empty_client, shop)["code"]
    mine = parcel_of(code, shop["htx"])
    fake.fail_next = 50  # every try answers 503

    answer = ship(empty_client, code, mine.id, shop["tokens"]["htx"])

    assert answer.status_code == 200
    parcel = answer.get_json()
    assert (parcel["status"], parcel["booking_state"]) == ("pending", "queued")
    assert parcel["last_error"]  # the reason, in Vietnamese, for the portal
    # Not due yet: the sweep leaves it.
    with app.app_context():
        from catalogue import clock

        assert booking.retry_due(clock.now()) == {}
    # Later the carrier is back; a job lost meanwhile is retried once due, and books once.
    fake.fail_next = 0
    from catalogue import clock

    assert booking.retry_due(clock.now() + timedelta(minutes=6)) == {"booked": 1}
    assert booking.retry_due(clock.now() + timedelta(minutes=30)) == {}
    parcel = parcel_of(code, shop["htx"])
    assert parcel.status == "booked" and parcel.booking_state is None and parcel.last_error is None
    assert fake.creates_made == 1


def test_a_booking_answered_too_late_is_not_made_twice_when_the_job_runs_again(app, empty_client, fake, shop):
    code = paid_two_producer_order(empty_client, shop)["code"]
    mine = parcel_of(code, shop["htx"])
    fake.hang_next, fake.hang_seconds = 10, 1.0  # the carrier makes the order but answers after the timeout

    first = ship(empty_client, code, mine.id, shop["tokens"]["htx"]).get_json()
    assert first["status"] == "pending" and first["booking_state"] == "queued"
    made = fake.creates_made
    assert made >= 1  # the carrier holds an order under the parcel's reference

    fake.hang_next = 0
    from catalogue import clock

    assert booking.book(mine.id) == "booked"  # the job run again (a retry, or Celery redelivering it)
    assert booking.book(mine.id) == "skipped"
    assert fake.creates_made == made  # the reference found the carrier's order: none made again
    assert parcel_of(code, shop["htx"]).status == "booked"
    assert booking.retry_due(clock.now() + timedelta(hours=1)) == {}


def test_a_refused_booking_stays_visible_with_its_reason_and_can_be_retried(app, empty_client, fake, shop):
    code = paid_two_producer_order(empty_client, shop)["code"]
    mine = parcel_of(code, shop["htx"])
    producer = db.session.get(Producer, shop["htx"].id)
    producer.pickup_ward, producer.pickup_province = "", ""  # no pickup address: nothing to book from
    db.session.commit()

    answer = ship(empty_client, code, mine.id, shop["tokens"]["htx"]).get_json()

    assert (answer["status"], answer["booking_state"]) == ("pending", "failed")
    assert "địa chỉ lấy hàng" in answer["last_error"]
    assert fake.creates_made == 0
    from tests.delivery.delivery_helpers import give_pickup

    give_pickup(db.session.get(Producer, shop["htx"].id), "Xã Bình Liêu")
    db.session.commit()
    retried = ship(empty_client, code, mine.id, shop["tokens"]["htx"]).get_json()
    assert (retried["status"], retried["booking_state"], retried["last_error"]) == ("booked", None, None)
    assert fake.creates_made == 1


def test_the_office_books_a_producers_parcels_automatically_on_payment(app, empty_client, fake, shop):
    producer = db.session.get(Producer, shop["home"].id)
    producer.book_on_payment = True
    db.session.commit()

    code = paid_two_producer_order(empty_client, shop)["code"]

    assert parcel_of(code, shop["home"]).status == "booked"
    assert parcel_of(code, shop["htx"]).status == "pending"  # its producer books it by hand
    assert fake.creates_made == 1


def test_an_unpaid_orders_parcel_is_not_booked(app, empty_client, fake, shop):
    from tests.delivery.parcel_helpers import HANOI
    from tests.order_helpers import body

    placed = empty_client.post(
        "/api/v1/orders", json=body((shop["mien"].id, 1), payment_method="vietqr", shipping_address=HANOI)
    ).get_json()
    parcel = parcel_of(placed["code"], shop["htx"])

    answer = ship(empty_client, placed["code"], parcel.id, shop["tokens"]["htx"])

    assert answer.status_code == 409 and answer.get_json()["error_code"] == "parcel.order_not_paid"
    assert fake.creates_made == 0
    assert json.dumps(answer.get_json())  # the contract's error shape
