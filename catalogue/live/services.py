"""Live sessions: who may manage which, the live page's facts, the live terms an order gets, and the figures.

The live price is decided here and checked again where the order's money is computed
(catalogue.orders.services.LiveTerms): only inside the session's window, only for the shop's
own checkout, never above the product's price now. A buyer's cap counts the units of the
session's orders (not cancelled) with the same email or phone; the session's row is locked
while counting, so two orders of one session placed at once cannot both pass a cap.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_, select, update

from catalogue.accounts.principal import Principal
from catalogue.errors import InvalidInput, NotFound, PermissionDenied
from catalogue.extensions import db
from catalogue.live.models import LiveCheckout, LivePin, LiveSession
from catalogue.models_base import as_utc
from catalogue.orders.models import Order, OrderLine
from catalogue.orders.services import Customer, LiveTerms
from catalogue.products.models import Product
from catalogue.products.services import products_by_ids
from catalogue.text import phone_digits
from catalogue.transactions import use_case

CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # short, typed from a stream: no 0/o, 1/i/l
CODE_LENGTH = 6
MAX_PINS = 30
MAX_CAP = 99
NOT_COUNTED = ("cancelled", "refund_pending", "refunded")  # orders that no longer hold units of a cap
PAID = ("paid", "shipped", "delivered")


class CapExceeded(InvalidInput):
    """A buyer asked for more of a pinned product than the session allows each buyer."""

    code = "live.cap_exceeded"

    def __init__(self, product_name: str, cap: int, already: int) -> None:
        super().__init__(
            f"At most {cap} of '{product_name}' per buyer in this live session; {already} already ordered.",
            {"live_cap": {"product": product_name, "cap": cap, "already": already}},
            code=self.code,
        )
        self.product_name, self.cap, self.already = product_name, cap, already


@dataclass(frozen=True)
class PinInput:
    product_id: int
    live_price_vnd: int | None = None
    cap_per_buyer: int | None = None


@dataclass(frozen=True)
class PinView:
    """A pinned product as the live page shows it now."""

    product: Product
    price_vnd: int  # what a buyer pays now
    normal_price_vnd: int
    live: bool  # the live price applies now
    cap_per_buyer: int | None


def is_open(session: LiveSession, now: datetime) -> bool:
    return as_utc(session.starts_at) <= now < as_utc(session.ends_at)


# --- who manages what -------------------------------------------------------------------------------------------


def _may_manage(principal: Principal) -> bool:
    return principal.is_admin or (principal.can("catalogue:write") and principal.producer_id is not None)


def sessions_for(principal: Principal) -> list[LiveSession]:
    """The office: every session; a producer: its own."""
    if not _may_manage(principal):
        raise PermissionDenied("Only a producer or the OCOP office manages live sessions.")
    statement = select(LiveSession).order_by(LiveSession.starts_at.desc(), LiveSession.id.desc())
    if not principal.is_admin:
        statement = statement.where(LiveSession.producer_id == principal.producer_id)
    return list(db.session.scalars(statement))


def managed_session(principal: Principal, session_id: int) -> LiveSession:
    """The session, if the principal manages it (404 otherwise: never confirm another producer's session)."""
    found = db.session.get(LiveSession, session_id)
    if found is None or not _may_manage(principal):
        raise NotFound(f"No live session {session_id}.")
    if not principal.is_admin and found.producer_id != principal.producer_id:
        raise NotFound(f"No live session {session_id}.")
    return found


def pinnable_products(principal: Principal) -> list[Product]:
    """What the principal may pin: a producer its own products, the office any (active ones first by name)."""
    statement = select(Product).where(Product.status == "active").order_by(Product.name)
    if not principal.is_admin:
        statement = statement.where(Product.producer_id == principal.producer_id)
    return list(db.session.scalars(statement.limit(500)))


@use_case
def save_session(
    principal: Principal,
    session_id: int | None,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    pins: list[PinInput],
) -> LiveSession:
    """Create (session_id None) or change a session; every pin checked: own product, 0 < live price ≤ price, cap."""
    if not _may_manage(principal):
        raise PermissionDenied("Only a producer or the OCOP office manages live sessions.")
    errors: dict = {}
    title = (title or "").strip()
    if not 2 <= len(title) <= 200:
        errors["title"] = ["Between 2 and 200 characters."]
    if ends_at <= starts_at:
        errors["ends_at"] = ["Must be after starts_at."]
    if len(pins) > MAX_PINS:
        errors["pins"] = [f"At most {MAX_PINS} products."]
    seen: set[int] = set()
    wanted = [pin.product_id for pin in pins]
    products = {product.id: product for product in db.session.scalars(select(Product).where(Product.id.in_(wanted)))}
    for index, pin in enumerate(pins):
        problems = []
        product = products.get(pin.product_id)
        if product is None or (not principal.is_admin and product.producer_id != principal.producer_id):
            problems.append("Not one of your products.")
        elif pin.product_id in seen:
            problems.append("Pinned twice.")
        elif pin.live_price_vnd is not None and not 0 < pin.live_price_vnd <= product.price_vnd:
            problems.append(f"The live price must be above 0 and at most the price ({product.price_vnd}).")
        if pin.cap_per_buyer is not None and not 1 <= pin.cap_per_buyer <= MAX_CAP:
            problems.append(f"The cap per buyer must be between 1 and {MAX_CAP}.")
        seen.add(pin.product_id)
        if problems:
            errors.setdefault("pins", {})[str(index)] = problems
    if errors:
        raise InvalidInput("The live session is not valid.", errors)
    if session_id is None:
        session = LiveSession(code=_new_code(), producer_id=None if principal.is_admin else principal.producer_id)
        db.session.add(session)
    else:
        session = managed_session(principal, session_id)
    session.title, session.starts_at, session.ends_at = title, starts_at, ends_at
    kept = {pin.product_id: pin for pin in session.pins}
    session.pins = []
    db.session.flush()
    for position, pin in enumerate(pins):
        row = kept.get(pin.product_id) or LivePin(product_id=pin.product_id)
        row.position, row.live_price_vnd, row.cap_per_buyer = position, pin.live_price_vnd, pin.cap_per_buyer
        session.pins.append(row)
    return session


def _new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if db.session.scalar(select(LiveSession.id).where(LiveSession.code == code)) is None:
            return code


# --- the live page ------------------------------------------------------------------------------------------------


def session_by_code(code: str) -> LiveSession:
    found = db.session.scalar(select(LiveSession).where(LiveSession.code == (code or "").lower()[:12]))
    if found is None:
        raise NotFound(f"No live session {code}.")
    return found


def pinned(session: LiveSession, now: datetime, today: date) -> list[PinView]:
    """The pinned products on sale now, at the price a buyer pays now (the live one only inside the window)."""
    products = products_by_ids([pin.product_id for pin in session.pins], today)
    open_now = is_open(session, now)
    views = []
    for pin in session.pins:
        product = products.get(pin.product_id)
        if product is None:
            continue
        live = open_now and pin.live_price_vnd is not None and 0 < pin.live_price_vnd <= product.price_vnd
        price = pin.live_price_vnd if live else product.price_vnd
        views.append(PinView(product, price, product.price_vnd, live, pin.cap_per_buyer))
    return views


def stock_of(session_id: int) -> dict[int, dict]:
    """{product_id: {"stock", "version"}} of a session's pins: one indexed read, what the stream compares."""
    rows = db.session.execute(
        select(Product.id, Product.stock, Product.version)
        .join(LivePin, LivePin.product_id == Product.id)
        .where(LivePin.session_id == session_id)
        .order_by(LivePin.position)
    )
    return {row.id: {"stock": row.stock, "version": row.version} for row in rows}


@use_case
def count_visit(session_id: int) -> None:
    """One page view: a single UPDATE, no read (rows of different sessions never wait for one another)."""
    db.session.execute(update(LiveSession).where(LiveSession.id == session_id).values(visits=LiveSession.visits + 1))


@use_case
def reached_checkout(session_id: int, visitor: str) -> None:
    """This browser pressed "Mua ngay" (counted once per browser and session)."""
    exists = db.session.scalar(
        select(LiveCheckout.id).where(LiveCheckout.session_id == session_id, LiveCheckout.visitor == visitor)
    )
    if exists is None:
        db.session.add(LiveCheckout(session_id=session_id, visitor=visitor))


@use_case
def checkout_placed(session_id: int, visitor: str, order_code: str) -> None:
    """The browser's checkout placed an order: kept on its row, so the figures know who reached it and paid."""
    order_id = db.session.scalar(select(Order.id).where(Order.code == order_code))
    db.session.execute(
        update(LiveCheckout)
        .where(LiveCheckout.session_id == session_id, LiveCheckout.visitor == visitor)
        .values(order_id=order_id)
    )


# --- ordering from the live page -------------------------------------------------------------------------------


def terms(session: LiveSession) -> LiveTerms:
    """What an order placed from the session's page gets; the orders service applies it only inside the window."""
    prices = {pin.product_id: pin.live_price_vnd for pin in session.pins if pin.live_price_vnd is not None}
    caps = {pin.product_id: pin.cap_per_buyer for pin in session.pins if pin.cap_per_buyer is not None}
    session_id = session.id

    def check_caps(customer: Customer, wanted: dict[int, int]) -> None:
        _check_caps(session_id, caps, customer, wanted)

    return LiveTerms(session.id, session.starts_at, session.ends_at, prices, check_caps if caps else None)


def _check_caps(session_id: int, caps: dict[int, int], customer: Customer, wanted: dict[int, int]) -> None:
    """Refuse (422) a buyer's order that would take them past a pin's cap; runs inside the reservation."""
    capped = [product_id for product_id in wanted if product_id in caps]
    if not capped:
        return
    # Two orders of this session counted at once would both see the same total: one waits for the other.
    db.session.execute(select(LiveSession.id).where(LiveSession.id == session_id).with_for_update())
    email, digits = customer.email.strip().lower(), phone_digits(customer.phone)
    already = dict(
        db.session.execute(
            select(OrderLine.product_id, func.coalesce(func.sum(OrderLine.quantity), 0))
            .join(Order, Order.id == OrderLine.order_id)
            .where(
                Order.live_session_id == session_id,
                Order.status.not_in(NOT_COUNTED),
                OrderLine.product_id.in_(capped),
                or_(func.lower(Order.customer_email) == email, Order.buyer_phone_digits == digits),
            )
            .group_by(OrderLine.product_id)
        ).all()
    )
    for product_id in capped:
        taken = int(already.get(product_id, 0))
        if taken + wanted[product_id] > caps[product_id]:
            name = db.session.scalar(select(Product.name).where(Product.id == product_id)) or str(product_id)
            raise CapExceeded(name, caps[product_id], taken)


# --- after the session -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductFigures:
    product_id: int
    name: str
    orders: int
    units: int
    revenue_vnd: int


@dataclass(frozen=True)
class Figures:
    visits: int
    orders: int  # paid orders (paid, shipped, delivered)
    units: int
    revenue_vnd: int  # the lines' money of the paid orders (no shipping)
    reached_checkout: int  # browsers that pressed "Mua ngay"
    not_paid: int  # of those, how many have no paid order from the session
    by_product: list[ProductFigures]


def figures(session: LiveSession, producer_id: int | None) -> Figures:
    """The session's figures; a producer's counts only its own lines (the office's sessions may mix producers)."""
    lines = (
        select(
            OrderLine.product_id,
            OrderLine.name,
            func.count(func.distinct(Order.id)).label("orders"),
            func.sum(OrderLine.quantity).label("units"),
            func.sum(OrderLine.line_total_vnd).label("revenue"),
        )
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.live_session_id == session.id, Order.status.in_(PAID))
        .group_by(OrderLine.product_id, OrderLine.name)
        .order_by(func.sum(OrderLine.line_total_vnd).desc())
    )
    if producer_id is not None:
        lines = lines.where(OrderLine.producer_id == producer_id)
    by_product = [
        ProductFigures(row.product_id, row.name, row.orders, int(row.units), int(row.revenue))
        for row in db.session.execute(lines)
    ]
    orders_statement = (
        select(func.count(func.distinct(Order.id)))
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.live_session_id == session.id, Order.status.in_(PAID))
    )
    if producer_id is not None:
        orders_statement = orders_statement.where(OrderLine.producer_id == producer_id)
    reached = db.session.scalar(select(func.count()).where(LiveCheckout.session_id == session.id)) or 0
    paid_visitors = (
        db.session.scalar(
            select(func.count())
            .select_from(LiveCheckout)
            .join(Order, Order.id == LiveCheckout.order_id)
            .where(LiveCheckout.session_id == session.id, Order.status.in_(PAID))
        )
        or 0
    )
    return Figures(
        visits=session.visits,
        orders=db.session.scalar(orders_statement) or 0,
        units=sum(item.units for item in by_product),
        revenue_vnd=sum(item.revenue_vnd for item in by_product),
        reached_checkout=reached,
        not_paid=reached - paid_visitors,
        by_product=by_product,
    )
