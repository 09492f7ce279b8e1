"""Tracking parcels: carriers' callbacks are hints, the carrier's own API is the truth.

`/webhooks/<carrier>` (GHN, Viettel Post: contract §8) authenticates the callback with the carrier's
webhook token (`<NAME>_WEBHOOK_TOKEN`), finds the parcel, then reads its status back with
`carrier.status()` before anything changes (`confirm_callback`). A status only moves forward in the
contract's order (pending → booked → picked_up → in_transit → delivered, or failed → returning →
returned; cancelled before pick-up): a replayed or late callback, or one the carrier's API does not
confirm, changes nothing. A callback for a parcel the shop does not know is acknowledged and logged.

Parcels whose callbacks stopped (booked and on the way, and no word from the carrier for
PARCEL_POLL_AFTER_HOURS) are read back by the sweep (`poll_quiet`: the Celery beat task and
`flask delivery sweep`). A parcel that comes back `returned` settles its return once
(catalogue.delivery.returns). The order's status follows its parcels by one rule, `follow_parcels`
(booking calls it too): `shipped` once every parcel has left, `delivered` once every parcel ended and one
at least was delivered, `refund_pending` then `refunded` when every parcel came back.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import exists, or_, select

from catalogue import clock, events
from catalogue.carriers.port import (
    BOOKED,
    CANCELLED,
    DELIVERED,
    FAILED,
    IN_TRANSIT,
    PENDING,
    PICKED_UP,
    RETURNED,
    RETURNING,
    CarrierError,
    InboundCall,
    StatusReport,
)
from catalogue.delivery.booking import lock_parcel
from catalogue.delivery.models import Parcel, ParcelEvent
from catalogue.extensions import db
from catalogue.orders import refunds
from catalogue.orders.locking import lock_order_by_id
from catalogue.orders.models import Order
from catalogue.orders.services import transition
from catalogue.transactions import calls_out, use_case

log = logging.getLogger(__name__)

# How far along each status is; a parcel only ever moves to a higher rank.
RANK = {PENDING: 0, BOOKED: 1, PICKED_UP: 2, IN_TRANSIT: 3, FAILED: 4, RETURNING: 5, DELIVERED: 6, RETURNED: 6}
FINAL = (DELIVERED, RETURNED, CANCELLED)
ON_THE_WAY = (BOOKED, PICKED_UP, IN_TRANSIT, FAILED, RETURNING)
LEFT = (*ON_THE_WAY, DELIVERED, RETURNED)  # booked, or further: it has left its producer
FOLLOWED = ("paid", "shipped")  # the order statuses its parcels decide
PART_RETURNED_IN = (*FOLLOWED, "delivered")  # a parcel back while the order is still these: only a part came back
# Why the order moved, in its history (the order page words them: catalogue.storefront.pages.order_timeline).
EVERY_LEFT, EVERY_DELIVERED = "every parcel has left", "every parcel delivered"
PARTLY_RETURNED, EVERY_RETURNED = "delivered; the other parcels came back", "every parcel came back"
DEFAULT_POLL_AFTER_HOURS = 6
APPLIED, UNCHANGED, UNKNOWN = "applied", "unchanged", "unknown_parcel"


def moves_forward(current: str, new: str) -> bool:
    """Whether `new` is a later step than `current` (cancelled: only before pick-up)."""
    if current in FINAL or new == current or new not in RANK and new != CANCELLED:
        return False
    if new == CANCELLED:
        return current in (PENDING, BOOKED)
    return RANK[new] > RANK.get(current, 0)


def webhook_token(carrier_name: str) -> str:
    return current_app.config.get(f"{carrier_name.upper()}_WEBHOOK_TOKEN") or ""


@calls_out
def confirm_callback(carrier, call: InboundCall) -> str:
    """Authenticate a callback (ForgedCallback, CarrierRefused for a malformed body: the caller answers 401/400),
    confirm its parcel's status with the carrier's API (CarrierError: the caller answers 503), apply it."""
    callback = carrier.read_callback(call, webhook_token(carrier.name))
    parcel_id = _find(carrier.name, callback.tracking_code, callback.reference)
    db.session.rollback()  # the read's transaction ends before the carrier is asked
    if parcel_id is None:
        log.warning("%s callback for a parcel the shop does not know: %s (%s)", carrier.name, callback.tracking_code,
                    callback.reference)  # fmt: skip
        return UNKNOWN
    report = carrier.status(callback.tracking_code)
    return _applied(parcel_id, report, "callback")


def _applied(parcel_id: int, report: StatusReport, source: str) -> str:
    """Apply the report; a parcel now `returned` has its refund asked of its rail once that commit is done.

    Asked after any report saying `returned`, not only the one that moved it: a refund whose provider
    never answered is asked again (same request id) by the next callback or poll; one already made is not.
    """
    outcome = apply_report(parcel_id, report, source)
    if report.status == RETURNED:
        from catalogue.delivery.returns import refund_return

        refund_return(parcel_id)
    return outcome


def _find(carrier_name: str, tracking_code: str, reference: str | None) -> int | None:
    found = db.session.scalar(
        select(Parcel.id).where(Parcel.carrier == carrier_name, Parcel.tracking_code == tracking_code)
    )
    if found is None and reference:
        found = db.session.scalar(
            select(Parcel.id).where(Parcel.reference == reference, Parcel.tracking_code == tracking_code)
        )
    return found


@use_case
def apply_report(parcel_id: int, report: StatusReport, source: str) -> str:
    """The carrier's confirmed status: recorded when it moves the parcel forward; the order follows."""
    order_id = db.session.scalar(select(Parcel.order_id).where(Parcel.id == parcel_id))
    order = lock_order_by_id(order_id)  # the order first, then its parcel, as every order change takes them
    parcel = lock_parcel(parcel_id)
    now = clock.now()
    parcel.last_event_at = now  # the carrier spoke: the poll leaves it for a while
    if report.tracking_code and report.tracking_code != parcel.tracking_code:
        log.warning("Parcel %s: %s reported %s, not its code", parcel_id, source, report.tracking_code)
        return UNCHANGED
    if report.expected_delivery is not None:
        parcel.expected_delivery = report.expected_delivery
    if not moves_forward(parcel.status, report.status):
        return UNCHANGED
    at = report.at or now
    parcel.status = report.status
    parcel.events.append(ParcelEvent(status=report.status, carrier_status=report.carrier_status[:60], at=at,
                                     source=source))  # fmt: skip
    if report.status == DELIVERED:
        parcel.delivered_at = at
    elif report.status == RETURNED:
        from catalogue.delivery.returns import settle_return

        settle_return(order, parcel, now)  # its refund is planned before the order's status is decided
    follow_parcels(order)
    if report.status == RETURNED and order.status in PART_RETURNED_IN:
        # The rest of the order was delivered or still goes: this parcel's buyer hears of it now, not only if the
        # whole order comes back (OrderReturned).
        events.publish(events.PartReturned(order.id, order.code, parcel.id, parcel.producer_id))
    return APPLIED


def follow_parcels(order: Order) -> None:
    """The order's status from its parcels: the one rule, for every writer that moves a parcel (the order locked).

    Only an order the parcels still decide (`paid`, `shipped`) moves; one the office cancelled (refund_pending),
    or refunded, or finished, is left as it is. Parcels `cancelled` before they left count for nothing, unless
    nothing else is left:

    - every parcel has left (booked or further): `paid` → `shipped`;
    - every parcel ended, one at least delivered: `delivered` (what arrived arrived; a parcel that came back
      is refunded by its return, catalogue.delivery.returns, and the order keeps the rest);
    - every parcel ended, none delivered, one at least returned: the order came back (`_came_back`).

    A transition happens once (the next call finds the order moved on): a replayed or late callback, a poll or
    the sweep (`follow_ended`) change nothing more.
    """
    if order.status not in FOLLOWED:
        return
    going = [parcel.status for parcel in order.parcels if parcel.status != CANCELLED]
    if not going:
        return  # nothing left (every parcel cancelled before it left): the office decides
    if order.status == "paid" and all(status in LEFT for status in going):
        transition(order, "shipped", EVERY_LEFT)
    if any(status not in FINAL for status in going):
        return  # a parcel is still on its way
    if DELIVERED in going:
        transition(order, "delivered", PARTLY_RETURNED if RETURNED in going else EVERY_DELIVERED)
    else:
        _came_back(order)


def _came_back(order: Order) -> None:
    """Every parcel came back (or never left): the order is refunding, through the refunds its returns planned.

    Whatever the order still holds that no refund claims (a parcel cancelled before it left was never refunded)
    is flagged for the office, so the refunds cover what was paid. The order is `refunded` once they are all made:
    at once when they were made already, else by the refund's own last step (`refunds.complete_refund`: the
    provider's confirmation, or the office on the money desk). The buyer is told once (OrderReturned).
    """
    transition(order, "refund_pending", EVERY_RETURNED)
    refunds.refund_by_hand(order, EVERY_RETURNED)
    refunds.complete_refund(order, EVERY_RETURNED, by="returned")
    events.publish(events.OrderReturned(order.id, order.code))


def follow_ended(limit: int = 200) -> int:
    """Orders still `paid`/`shipped` whose parcels have all ended (a decision missed, or made before the rule
    existed): each brought in line by `follow_parcels`; how many moved. Part of the delivery sweep."""
    ended = (
        select(Order.id)
        .where(Order.status.in_(FOLLOWED))
        .where(exists().where(Parcel.order_id == Order.id, Parcel.status.in_((DELIVERED, RETURNED))))
        .where(~exists().where(Parcel.order_id == Order.id, Parcel.status.not_in(FINAL)))
        .order_by(Order.id)
        .limit(limit)
    )
    ids = db.session.scalars(ended).all()
    db.session.rollback()
    return sum(_follow(order_id) for order_id in ids)


@use_case
def _follow(order_id: int) -> bool:
    order = lock_order_by_id(order_id)
    before = order.status if order is not None else None
    if order is not None:
        follow_parcels(order)
    return order is not None and order.status != before


def poll_quiet(now: datetime, limit: int = 200) -> dict[str, int]:
    """Parcels on the way whose carrier has not spoken for PARCEL_POLL_AFTER_HOURS: read back and applied."""
    from catalogue.delivery.wiring import carriers

    hours = float(current_app.config.get("PARCEL_POLL_AFTER_HOURS") or DEFAULT_POLL_AFTER_HOURS)
    on = {carrier.name: carrier for carrier in carriers().on}
    quiet = db.session.execute(
        select(Parcel.id, Parcel.carrier, Parcel.tracking_code)
        .where(Parcel.status.in_(ON_THE_WAY), Parcel.carrier.in_(list(on)), Parcel.tracking_code.is_not(None))
        .where(or_(Parcel.last_event_at.is_(None), Parcel.last_event_at < now - timedelta(hours=hours)))
        .order_by(Parcel.last_event_at)
        .limit(limit)
    ).all()
    db.session.rollback()  # nothing held while the carriers answer
    outcomes: dict[str, int] = {}
    for parcel_id, name, code in quiet:
        try:
            outcome = _applied(parcel_id, on[name].status(code), "poll")
        except CarrierError as error:
            log.warning("Polling parcel %s at %s: %s", parcel_id, name, error)
            outcome = "unavailable"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes
