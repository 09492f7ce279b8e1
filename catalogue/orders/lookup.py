"""Finding an order by its code and the phone number given at checkout (the buyer lost the link).

A wrong code and a wrong phone get the same NotFound, so the look-up never tells
whether a code exists. The proof it gives is read-only: paying and cancelling still
need the order's access token.
"""

from __future__ import annotations

import hmac
import re
from datetime import datetime

from marshmallow import ValidationError

from catalogue.errors import NotFound
from catalogue.extensions import db
from catalogue.models_base import as_utc
from catalogue.orders.models import RESERVING_STATUSES, Order
from catalogue.orders.schemas import vietnamese_phone
from catalogue.orders.services import find_order, release_expired_reservations
from catalogue.transactions import use_case

NOT_FOUND = "No order with this code and phone number."


def normalised_code(code: str) -> str:
    """`qn-ab12 cd34 ` → `QN-AB12-CD34`: what a buyer types, as codes are written."""
    compact = re.sub(r"[\s\-]", "", code or "").upper()
    if len(compact) == 10 and compact.startswith("QN"):
        return f"{compact[:2]}-{compact[2:6]}-{compact[6:]}"
    return compact


def same_phone(given: str, stored: str) -> bool:
    """True when both are the same Vietnamese number, however written (0912 345 678, +84912345678)."""
    try:
        left, right = vietnamese_phone(given or ""), vietnamese_phone(stored or "")
    except ValidationError:
        return False
    return hmac.compare_digest(left, right)


@use_case
def order_by_code_and_phone(code: str, phone: str, now: datetime) -> Order:
    """The order with this code whose checkout phone is `phone`; NotFound alike for either mismatch."""
    try:
        order = find_order(normalised_code(code))
    except NotFound:
        order = None
    if order is None or not same_phone(phone, order.customer_phone):
        raise NotFound(NOT_FOUND)
    return _fresh(order, now)


@use_case
def order_for_lookup(code: str, now: datetime) -> Order:
    """An order the session already proved with its code and phone (read-only view)."""
    return _fresh(find_order(code), now)


def _fresh(order: Order, now: datetime) -> Order:
    """An expired reservation is released on read, as for the buyer's token."""
    if order.status in RESERVING_STATUSES and order.reserved_until and as_utc(order.reserved_until) < now:
        release_expired_reservations(now)
        db.session.refresh(order)
    return order
