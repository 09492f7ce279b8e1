"""Fulfilment: each producer ships its own lines of a paid order.

An order with products of several producers leaves in several parcels; each
producer records its own shipment with a tracking number. When every producer
of the order has shipped, the order turns `shipped` (through the order's one
transition rule, `orders.services.transition`). Producers see only the orders
that contain their products, and only their own lines — never the buyer's token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, selectinload

from catalogue import events
from catalogue.accounts.principal import Principal
from catalogue.accounts.services import record
from catalogue.errors import Conflict, InvalidInput, NotFound
from catalogue.extensions import db
from catalogue.models_base import utcnow
from catalogue.orders.locking import lock_order
from catalogue.orders.models import Order, OrderLine
from catalogue.orders.services import transition
from catalogue.transactions import use_case

# Orders a producer has something to do with or to know about: paid and after.
VISIBLE_STATUSES = ("paid", "shipped", "delivered", "refund_pending", "refunded")
TRACKING_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]{3,59}$")


class OrderShipment(db.Model):
    """One producer's parcel of an order, with its carrier's tracking number."""

    __tablename__ = "order_shipments"
    __table_args__ = (UniqueConstraint("order_id", "producer_id", name="uq_order_shipments_order_producer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producers.id"), index=True)
    tracking_number: Mapped[str] = mapped_column(String(60))
    shipped_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    shipped_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


@dataclass(frozen=True)
class ProducerOrder:
    """What a producer sees of an order: where it goes, its own lines, its own shipment."""

    code: str
    status: str
    created_at: datetime
    customer_name: str
    customer_phone: str
    shipping_address: str
    lines: list[OrderLine]
    shipment: OrderShipment | None

    @property
    def total_vnd(self) -> int:
        return sum(line.line_total_vnd for line in self.lines)

    @property
    def may_ship(self) -> bool:
        return self.status == "paid" and self.shipment is None


def orders_for_producer(principal: Principal, limit: int = 100, status: str | None = None) -> list[ProducerOrder]:
    """Paid (and later) orders containing the principal's products, newest first; admins see all.

    The office may ask for one `status`, any of them (orders waiting for money, cancelled ones);
    a producer's list stays paid and later whatever it asks for.
    """
    statuses = (status,) if principal.is_admin and status else VISIBLE_STATUSES
    statement = (
        select(Order)
        .where(Order.status.in_(statuses))
        .options(selectinload(Order.lines))
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(limit)
    )
    if not principal.is_admin:
        if principal.producer_id is None:
            return []
        mine = select(OrderLine.order_id).where(OrderLine.producer_id == principal.producer_id)
        statement = statement.where(Order.id.in_(mine))
    orders = db.session.scalars(statement).all()
    shipments = _shipments_of([order.id for order in orders])
    return [_view(principal, order, shipments) for order in orders]


@use_case
def mark_shipped(principal: Principal, order_code: str, tracking_number: str, now: datetime) -> Order:
    """Record the principal's parcel of a paid order; the order is shipped once every producer's is."""
    order = lock_order(order_code)
    producers = {line.producer_id for line in order.lines} if order else set()
    if order is None or not (principal.is_admin or principal.producer_id in producers):
        raise NotFound(f"No order {order_code}.")  # other producers' orders are not theirs to know of
    tracking_number = tracking_number.strip()
    if not TRACKING_NUMBER.match(tracking_number):
        raise InvalidInput(
            "The tracking number is not valid.",
            {"tracking_number": ["4–60 letters, digits, dots or dashes."]},
        )
    if order.status != "paid":
        raise Conflict(f"Order {order.code} is {order.status}; only paid orders are shipped.")
    shipped = set(db.session.scalars(select(OrderShipment.producer_id).where(OrderShipment.order_id == order.id)))
    shipping_for = (producers - shipped) if principal.is_admin else {principal.producer_id} - shipped
    if not shipping_for:
        raise Conflict(f"Order {order.code} is already shipped.")
    for producer_id in sorted(shipping_for):
        db.session.add(
            OrderShipment(
                order_id=order.id,
                producer_id=producer_id,
                tracking_number=tracking_number,
                shipped_at=now,
                shipped_by_user_id=principal.user_id,
            )
        )
    if order.tracking_number is None:
        order.tracking_number = tracking_number
    whole_order_shipped = shipped | shipping_for >= producers
    if whole_order_shipped:
        transition(order, "shipped", "every producer shipped")
    record(principal, "order.ship", "order", order.id, {"tracking_number": [None, tracking_number]})
    # One event (and email) per parcel: producers ship on different days, each parcel with its tracking number.
    events.publish(
        events.OrderShipped(order.id, order.code, tuple(sorted(shipping_for)), tracking_number, whole_order_shipped)
    )
    return order


def _shipments_of(order_ids: list[int]) -> dict[tuple[int, int], OrderShipment]:
    if not order_ids:
        return {}
    rows = db.session.scalars(select(OrderShipment).where(OrderShipment.order_id.in_(order_ids)))
    return {(shipment.order_id, shipment.producer_id): shipment for shipment in rows}


def _view(principal: Principal, order: Order, shipments: dict) -> ProducerOrder:
    if principal.is_admin:
        lines = list(order.lines)
        shipment = next((s for (order_id, _), s in shipments.items() if order_id == order.id), None)
        if order.status == "paid":
            producers = {line.producer_id for line in lines}
            shipment = None if any((order.id, p) not in shipments for p in producers) else shipment
    else:
        lines = [line for line in order.lines if line.producer_id == principal.producer_id]
        shipment = shipments.get((order.id, principal.producer_id))
    return ProducerOrder(
        code=order.code,
        status=order.status,
        created_at=order.created_at,
        customer_name=order.customer_name,
        customer_phone=order.customer_phone,
        shipping_address=f"{order.shipping_line1}, {order.shipping_ward}, {order.shipping_province}",
        lines=lines,
        shipment=shipment,
    )
