"""Booking a paid order's parcels with the carrier: a job, never a carrier call inside a transaction.

A producer (or the office) asks for a parcel to be booked (`request_booking`: one click in the
portal, or `POST /api/v1/orders/{code}/parcels/{id}/ship` with `{}`); a producer the office set
to "book automatically" has its parcels asked for as soon as the order is paid (`order_paid`).
The ask is written (`booking_state` queued) and committed, then the job runs: a Celery task when
CELERY_BROKER_URL is set, else right after the commit in the same process.

The job (`book`) claims the parcel in a short transaction (its row locked: two clicks, or a job
retried while another runs, find it `booking` and leave it), commits, calls the carrier with the
parcel's `reference` as the idempotency key (the carrier never makes a second order for it, even
when a killed job is run again), then writes the answer in a new transaction. A carrier that does
not answer leaves the parcel queued with its reason, and the sweep (`retry_due`) tries again
later; one that refuses (an address it does not serve, bad credentials) leaves it `failed` with
its reason in Vietnamese for the producer or the office to fix and retry.

A parcel sent another way is recorded with its carrier and tracking code (`record_shipped`).
Either way, once every parcel of the order has left, the order is `shipped`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from catalogue import clock, events, metrics, notifications
from catalogue.accounts.principal import Principal
from catalogue.carriers.port import (
    BOOKED,
    PENDING,
    BookingRequest,
    CarrierError,
    CarrierUnavailable,
    Contact,
    ParcelSpec,
)
from catalogue.delivery.models import Parcel, ParcelEvent
from catalogue.delivery.pickup import pickup_place
from catalogue.errors import Conflict, InvalidInput, NotFound
from catalogue.extensions import db
from catalogue.geography.addresses import Place
from catalogue.models_base import as_utc
from catalogue.orders.fulfilment import OrderShipment
from catalogue.orders.locking import lock_order_by_id
from catalogue.orders.models import Order
from catalogue.transactions import after_commit, calls_out, use_case

log = logging.getLogger(__name__)

QUEUED, BOOKING, FAILED = "queued", "booking", "failed"
BOOKING_STATES = (QUEUED, BOOKING, FAILED)
# A claim older than this is a job that died mid-call: another run may claim it (the reference keeps it one order).
STALE_AFTER = timedelta(minutes=10)
# A booking the carrier did not answer is tried again this long after, at most MAX_ATTEMPTS times in all.
RETRY_AFTER = timedelta(minutes=5)
MAX_ATTEMPTS = 12
# Orders whose parcels may be booked: paid, or partly shipped already.
BOOKABLE_ORDER_STATUSES = ("paid", "shipped")
LEFT = (BOOKED, "picked_up", "in_transit", "delivered", "failed", "returning", "returned")
TRACKING_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]{3,59}$")
CARRIER_NAME = re.compile(r"^[\w .\-]{2,20}$")

NO_CARRIER_VI = "Cửa hàng chưa kết nối hãng vận chuyển nào: hãy tự gửi hàng rồi nhập hãng và mã vận đơn."
NO_PICKUP_VI = "Chưa có địa chỉ lấy hàng: hãy nhập địa chỉ lấy hàng rồi đặt lại."
GAVE_UP_VI = "Hãng vận chuyển không trả lời sau nhiều lần thử: hãy đặt lại sau hoặc tự gửi hàng."


# --- the parcel's row lock -------------------------------------------------------------------


def lock_parcel(parcel_id: int) -> Parcel | None:
    """The parcel, its row held until the use case ends (as catalogue.orders.locking holds orders)."""
    session = db.session
    if session.get_bind().dialect.name == "sqlite":
        # Take the database's write lock first: what is read after it is what the last writer committed.
        session.execute(
            update(Parcel)
            .where(Parcel.id == parcel_id)
            .values(status=Parcel.status)
            .execution_options(synchronize_session=False)
        )
        query = select(Parcel).where(Parcel.id == parcel_id)
    else:
        query = select(Parcel).where(Parcel.id == parcel_id).with_for_update(of=Parcel)
    return session.scalar(query.execution_options(populate_existing=True))


# --- who may touch which parcel --------------------------------------------------------------


def parcel_of(principal: Principal, code: str | None, parcel_id: int) -> Parcel:
    """The parcel `parcel_id` (of order `code` when given), if the principal is the office or the parcel's
    producer; else 404."""
    parcel = db.session.get(Parcel, parcel_id)
    order = db.session.get(Order, parcel.order_id) if parcel is not None else None
    if order is None or (code is not None and order.code != code) or not _may_ship(principal, parcel):
        raise NotFound(f"No parcel {parcel_id} in order {code}.")  # another producer's parcel is not told of
    return parcel


def _may_ship(principal: Principal, parcel: Parcel) -> bool:
    if principal.is_admin:
        return True
    return principal.producer_id is not None and principal.producer_id == parcel.producer_id


def parcels_for(principal: Principal, waiting_only: bool = False, limit: int = 200) -> list[Parcel]:
    """Parcels of paid (and later) orders the principal ships: its own, or every one for the office; newest first."""
    statement = (
        select(Parcel)
        .join(Order, Order.id == Parcel.order_id)
        .where(Order.status.in_(("paid", "shipped", "delivered", "refund_pending", "refunded")))
        .order_by(Parcel.id.desc())
        .limit(limit)
    )
    if not principal.is_admin:
        if principal.producer_id is None:
            return []
        statement = statement.where(Parcel.producer_id == principal.producer_id)
    if waiting_only:
        statement = statement.where(Parcel.status == PENDING)
    return list(db.session.scalars(statement))


# --- asking for a booking --------------------------------------------------------------------


def _carrier_for(parcel: Parcel):
    """The carrier a parcel is booked with: the one that priced it when it is on, else the default."""
    from catalogue.delivery.wiring import carriers

    configured = carriers()
    return (configured.get(parcel.carrier) if parcel.carrier else None) or configured.default


@use_case
def request_booking(principal: Principal, code: str | None, parcel_id: int, now: datetime) -> Parcel:
    """Ask for the parcel to be booked with the carrier (the job runs after the commit); the parcel.

    Asking again while a booking is queued or running changes nothing: the parcel is booked once.
    """
    parcel_of(principal, code, parcel_id)
    parcel = lock_parcel(parcel_id)
    order = db.session.get(Order, parcel.order_id)
    _check_bookable(order, parcel)
    if _carrier_for(parcel) is None:
        raise Conflict("No carrier is configured: record the carrier and tracking code of a parcel sent another way.",
                       {"carrier": [NO_CARRIER_VI]}, code="parcel.no_carrier")  # fmt: skip
    if parcel.booking_state == QUEUED or (parcel.booking_state == BOOKING and not _stale(parcel, now)):
        return parcel  # already asked for: the job in hand books it
    _queue(parcel, now)
    return parcel


def _check_bookable(order: Order, parcel: Parcel) -> None:
    if parcel.status != PENDING:
        raise Conflict(f"Parcel {parcel.id} is {parcel.status}; it has left already.", code="parcel.already_shipped")
    if order.status not in BOOKABLE_ORDER_STATUSES:
        raise Conflict(f"Order {order.code} is {order.status}; only a paid order's parcels are shipped.",
                       code="parcel.order_not_paid")  # fmt: skip


def _queue(parcel: Parcel, now: datetime) -> None:
    parcel.booking_state, parcel.booking_at = QUEUED, now
    parcel_id = parcel.id
    after_commit(lambda: schedule(parcel_id))


def _stale(parcel: Parcel, now: datetime) -> bool:
    return parcel.booking_at is None or _utc(parcel.booking_at) < now - STALE_AFTER


def _utc(moment: datetime) -> datetime:
    return as_utc(moment)


def schedule(parcel_id: int) -> None:
    """Run the booking as a Celery task when a broker is set (acks late: a killed worker's job runs again), else now."""
    if current_app.config.get("CELERY_BROKER_URL"):
        from catalogue.delivery.tasks import book_parcel

        book_parcel.delay(parcel_id)
        return
    book(parcel_id)


def order_paid(event: events.OrderPaid) -> None:
    """After a payment commits: the parcels of producers the office set to book automatically are asked for."""
    queue_automatic(event.order_id, clock.now())


@use_case
def queue_automatic(order_id: int, now: datetime) -> list[int]:
    from catalogue.delivery.wiring import carriers
    from catalogue.producers.models import Producer

    if carriers().default is None:
        return []
    candidates = db.session.scalars(
        select(Parcel.id)
        .join(Producer, Producer.id == Parcel.producer_id)
        .where(
            Parcel.order_id == order_id,
            Parcel.status == PENDING,
            Parcel.booking_state.is_(None),
            Producer.book_on_payment.is_(True),
        )  # fmt: skip
    ).all()
    queued = []
    for parcel_id in candidates:
        parcel = lock_parcel(parcel_id)
        if parcel.status == PENDING and parcel.booking_state is None:
            _queue(parcel, now)
            queued.append(parcel_id)
    return queued


# --- the job -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Claim:
    carrier_name: str
    request: BookingRequest


@calls_out
def book(parcel_id: int) -> str:
    """Book the parcel once: claim it, call the carrier with no transaction open, record the answer.

    `booked`, `skipped` (booked already, or another run holds it), `retry` (the carrier did not
    answer: the sweep tries again) or `failed` (it refused: a person fixes it and retries).
    """
    claim = _claim(parcel_id, clock.now())
    if isinstance(claim, str):
        return claim
    from catalogue.delivery.wiring import carriers

    carrier = carriers().get(claim.carrier_name)
    try:
        if carrier is None:
            raise CarrierError(f"carrier {claim.carrier_name} is off", NO_CARRIER_VI)
        booking = carrier.book(claim.request)
    except CarrierUnavailable as error:
        log.warning("Booking parcel %s with %s: %s; tried again later", parcel_id, claim.carrier_name, error)
        _not_booked(parcel_id, error.message_vi, retry=True)
        return "retry"
    except CarrierError as error:
        log.warning("Booking parcel %s with %s refused: %s", parcel_id, claim.carrier_name, error)
        _not_booked(parcel_id, error.message_vi, retry=False)
        return "failed"
    if _booked(parcel_id, claim.carrier_name, booking):
        metrics.PARCELS_BOOKED.labels(claim.carrier_name).inc()
        return "booked"
    return "skipped"


@use_case
def _claim(parcel_id: int, now: datetime) -> _Claim | str:
    parcel = lock_parcel(parcel_id)
    if parcel is None or parcel.status != PENDING:
        return "skipped"
    if parcel.booking_state == BOOKING and not _stale(parcel, now):
        return "skipped"  # another run is calling the carrier for it right now
    order = db.session.get(Order, parcel.order_id)
    if order.status not in BOOKABLE_ORDER_STATUSES:
        parcel.booking_state = None
        return "skipped"
    carrier = _carrier_for(parcel)
    sender = pickup_place(parcel.producer)
    sender = sender if sender is not None and sender.ward and sender.ward_code else None
    if carrier is None or sender is None:
        parcel.booking_state, parcel.last_error = FAILED, NO_CARRIER_VI if carrier is None else NO_PICKUP_VI
        return "failed"
    parcel.booking_state, parcel.booking_at = BOOKING, now
    parcel.booking_attempts = (parcel.booking_attempts or 0) + 1
    return _Claim(carrier.name, _request(parcel, order, sender))


def _request(parcel: Parcel, order: Order, sender: Place) -> BookingRequest:
    producer = parcel.producer
    lines = [line for line in order.lines if line.producer_id == parcel.producer_id]
    recipient = Place(order.shipping_province, order.shipping_province_code, order.shipping_ward,
                      order.shipping_ward_code)  # fmt: skip
    return BookingRequest(
        reference=parcel.reference,
        sender=Contact(producer.name, producer.pickup_phone or producer.phone, producer.pickup_address, sender),
        recipient=Contact(order.customer_name, order.customer_phone, order.shipping_line1, recipient),
        parcel=ParcelSpec(
            weight_g=parcel.weight_g,
            value_vnd=sum(line.line_total_vnd for line in lines),
            contents=", ".join(f"{line.name} x{line.quantity}" for line in lines)[:200],
        ),
        service=parcel.service,
        note=f"Đơn {order.code}",
    )


@use_case
def _not_booked(parcel_id: int, reason_vi: str, retry: bool) -> None:
    parcel = lock_parcel(parcel_id)
    if parcel is None or parcel.status != PENDING:
        return
    gave_up = retry and (parcel.booking_attempts or 0) >= MAX_ATTEMPTS
    parcel.booking_state = QUEUED if retry and not gave_up else FAILED
    parcel.booking_at = clock.now()
    parcel.last_error = (GAVE_UP_VI if gave_up else reason_vi)[:500]


@use_case
def _booked(parcel_id: int, carrier_name: str, booking) -> bool:
    """Record the carrier's booking; False when the parcel was recorded otherwise meanwhile (logged)."""
    order_id = db.session.scalar(select(Parcel.order_id).where(Parcel.id == parcel_id))
    order = lock_order_by_id(order_id)  # the order first, as every order change does: then its parcel
    parcel = lock_parcel(parcel_id)
    if parcel.status != PENDING:
        log.warning("Parcel %s was %s before %s's booking %s came back", parcel_id, parcel.status, carrier_name,
                    booking.tracking_code)  # fmt: skip
        return False
    now = clock.now()
    parcel.carrier, parcel.tracking_code, parcel.service = carrier_name, booking.tracking_code, booking.service
    parcel.expected_delivery = booking.expected_delivery
    parcel.booking_state, parcel.last_error = None, None
    _left(order, parcel, now, "shop", carrier_name)
    return True


# --- a parcel sent another way -------------------------------------------------------------------


@use_case
def record_shipped(principal: Principal, code: str | None, parcel_id: int, carrier: str, tracking_code: str,
                   now: datetime) -> Parcel:  # fmt: skip
    """The producer (or the office) sent the parcel another way: its carrier and tracking code."""
    carrier, tracking_code = (carrier or "").strip(), (tracking_code or "").strip()
    errors = {}
    if not CARRIER_NAME.match(carrier):
        errors["carrier"] = ["The carrier's name: 2–20 letters, digits, spaces, dots or dashes."]
    if not TRACKING_CODE.match(tracking_code):
        errors["tracking_code"] = ["4–60 letters, digits, dots or dashes."]
    parcel_of(principal, code, parcel_id)
    if errors:
        raise InvalidInput("The carrier or tracking code is not valid.", errors)
    order = lock_order_by_id(db.session.scalar(select(Parcel.order_id).where(Parcel.id == parcel_id)))
    parcel = lock_parcel(parcel_id)
    _check_bookable(order, parcel)
    if parcel.booking_state == BOOKING and not _stale(parcel, now):
        raise Conflict(f"Parcel {parcel.id} is being booked with the carrier right now.", code="parcel.booking")
    from catalogue.delivery.wiring import carriers

    known = next((c for c in carriers().on if carrier.lower() in (c.name, c.labels.brand.lower())), None)
    parcel.carrier = known.name if known is not None else carrier
    parcel.tracking_code = tracking_code
    parcel.booking_state, parcel.last_error = None, None
    _left(order, parcel, now, "office" if principal.is_admin else "producer", parcel.carrier)
    return parcel


def _left(order: Order, parcel: Parcel, now: datetime, source: str, carrier_status: str) -> None:
    """The parcel is booked: its history, the producer's shipment, the order shipped once every parcel has left."""
    parcel.status, parcel.booked_at, parcel.last_event_at = BOOKED, now, now
    parcel.events.append(ParcelEvent(status=BOOKED, carrier_status=carrier_status[:60], at=now, source=source))
    shipment = select(OrderShipment.id).where(
        OrderShipment.order_id == order.id, OrderShipment.producer_id == parcel.producer_id
    )
    if db.session.scalar(shipment) is None:
        db.session.add(OrderShipment(order_id=order.id, producer_id=parcel.producer_id,
                                     tracking_number=parcel.tracking_code, shipped_at=now))  # fmt: skip
    if order.tracking_number is None:
        order.tracking_number = parcel.tracking_code
    db.session.flush()
    everything_left = all(other.status in LEFT or other.status == "cancelled" for other in order.parcels)
    from catalogue.delivery.tracking import follow_parcels  # the one rule of the order's status from its parcels
    from catalogue.delivery.views import tracking_url

    follow_parcels(order)

    notifications.announce(
        "shipped",
        order,
        lines=[line for line in order.lines if line.producer_id == parcel.producer_id],
        tracking_number=parcel.tracking_code,
        tracking_url=tracking_url(parcel),
        more_to_come=not everything_left,
    )


@use_case
def set_book_on_payment(principal: Principal, producer_id: int, on: bool) -> None:
    """The office's choice per producer: book its parcels automatically once the order is paid."""
    from catalogue.accounts.services import record
    from catalogue.producers.models import Producer

    producer = db.session.get(Producer, producer_id)
    if producer is None or not principal.is_admin:
        raise NotFound(f"No producer {producer_id}.")
    if producer.book_on_payment != on:
        record(principal, "producer.book_on_payment", "producer", producer.id, {"book_on_payment": [not on, on]})
        producer.book_on_payment = on


def label_of(principal: Principal, parcel_id: int, size: str) -> tuple[str, bytes]:
    """The carrier's printable label of a booked parcel (A6 or A5 PDF): its file name and bytes.

    Read, the read transaction ended, then the carrier asked: no transaction waits on it.
    """
    parcel = parcel_of(principal, None, parcel_id)
    if size not in ("A6", "A5"):
        raise InvalidInput("The label is A6 or A5.", {"size": ["A6 or A5."]})
    name, code = parcel.carrier, parcel.tracking_code
    db.session.rollback()
    from catalogue.delivery.wiring import carriers

    carrier = carriers().get(name) if name else None
    if carrier is None or not code:
        raise Conflict(f"Parcel {parcel_id} has no label of a carrier the shop books with.", code="parcel.no_label")
    return f"nhan-{code}-{size}.pdf", carrier.label_pdf([code], size)


# --- the sweep -------------------------------------------------------------------------------------


def retry_due(now: datetime, limit: int = 100) -> dict[str, int]:
    """Bookings the carrier did not answer, or whose job was lost, tried again; the outcomes counted."""
    due = db.session.scalars(
        select(Parcel.id)
        .where(Parcel.status == PENDING)
        .where(
            or_(
                (Parcel.booking_state == QUEUED) & (Parcel.booking_at < now - RETRY_AFTER),
                (Parcel.booking_state == BOOKING) & (Parcel.booking_at < now - STALE_AFTER),
            )
        )
        .order_by(Parcel.id)
        .limit(limit)
    ).all()
    db.session.commit()  # nothing is held while the carrier is called
    outcomes: dict[str, int] = {}
    for parcel_id in due:
        try:
            outcome = book(parcel_id)
        except Exception:  # one parcel's fault must not stop the others
            log.exception("Booking parcel %s again failed", parcel_id)
            db.session.rollback()
            outcome = "error"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes
