"""Checkout and the life of an order.

Placing an order reserves stock atomically (see products.stock), commits, and only
then asks the gateway for a PaymentIntent: no transaction is open while Stripe
answers. The order turns `paid` only when a verified webhook says so
(catalogue.orders.settlement, the one path for every rail); unpaid reservations expire and give their
stock back. Every status change is recorded as an OrderEvent.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from catalogue import events
from catalogue.accounts.principal import Principal
from catalogue.delivery import parcels as delivery_parcels
from catalogue.delivery.quotes import Pricing, ShippingQuote, quote_order
from catalogue.errors import Conflict, InvalidInput, NotFound
from catalogue.extensions import db
from catalogue.geography.addresses import resolve_place
from catalogue.models_base import as_utc, token_digest
from catalogue.orders.locking import assert_locked, lock_order, lock_orders
from catalogue.orders.models import RESERVING_STATUSES, Order, OrderEvent, OrderLine
from catalogue.payments import ledger
from catalogue.payments.port import OrderFacts, ProviderUnavailable
from catalogue.payments.stripe_rail import StripeRail
from catalogue.payments.stripe_rail.gateway import (
    MAX_AMOUNT_VND,
    CardDeclined,
    PaymentGateway,
    PaymentIntent,
    PaymentUnavailable,
)
from catalogue.products.models import Product
from catalogue.products.services import products_for_sale
from catalogue.products.stock import return_stock, take_stock
from catalogue.transactions import calls_out, keep_loaded, use_case

log = logging.getLogger(__name__)
R = TypeVar("R")

OUT_OF_STOCK = "order.out_of_stock"  # a line cannot be reserved (not enough stock, or not on sale)
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud on the phone
MAX_LINES = 50
MAX_QUANTITY = 99
TRANSITIONS = {
    "pending_payment": {"paid", "payment_failed", "cancelled"},
    "payment_failed": {"paid", "payment_failed", "cancelled"},
    "cancelled": {"paid", "refund_pending"},  # a payment that lands after expiry
    # A refund may also start at Stripe (the dashboard): its events then arrive directly.
    "paid": {"shipped", "refund_pending", "refunded"},
    "shipped": {"delivered", "refund_pending", "refunded"},
    "delivered": {"refund_pending", "refunded"},
    # Back, if the refund could not start (cancelled: a late payment Stripe will send again).
    "refund_pending": {"refunded", "paid", "shipped", "delivered", "cancelled"},
    "refunded": set(),
}

# The statuses that have an event of their own (`order_paid`, …), besides OrderStatusChanged.
STATUS_EVENTS = {"paid": events.OrderPaid, "cancelled": events.OrderCancelled, "refunded": events.OrderRefunded}


class PaymentDeclined(InvalidInput):
    """Answered as 402: the card was refused; the order stays reserved and retryable.

    `decline_code` is the provider's reason (`insufficient_funds`, …); each page words it for its reader.
    """

    http_status = 402
    code = "payment.declined"

    def __init__(self, message: str, errors: dict | None = None, decline_code: str = "card_declined") -> None:
        super().__init__(message, errors)
        self.decline_code = decline_code


class PaymentServiceUnavailable(Conflict):
    """Answered as 503: the order was not placed because the card provider is unreachable."""

    http_status = 503
    code = "payment.unavailable"


class RefundRefused(Conflict):
    """Answered as 409: the provider answered that it will not refund (MoMo's resultCode); nothing went back."""

    code = "payment.refund_refused"


@dataclass(frozen=True)
class LineRequest:
    product_id: int
    quantity: int


@dataclass(frozen=True)
class CompanyInvoice:
    """The company a buyer wants on the invoice ("xuất hóa đơn công ty"); its tax code checked at checkout."""

    company_name: str
    tax_code: str
    address: str
    email: str = ""


@dataclass(frozen=True)
class Customer:
    name: str
    email: str
    phone: str
    company: CompanyInvoice | None = None


@dataclass(frozen=True)
class Address:
    line1: str
    ward: str
    province: str


@dataclass(frozen=True)
class LiveTerms:
    """The live session an order is placed from (catalogue.live builds it): the order carries the session, and
    inside its window [starts_at, ends_at) its lines are priced at `prices` and `check_caps` runs in the
    reservation's transaction (it raises to refuse). Outside the window the normal prices apply and no cap."""

    session_id: int
    starts_at: datetime
    ends_at: datetime
    prices: dict[int, int] = field(default_factory=dict)
    check_caps: Callable[[Customer, dict[int, int]], None] | None = None

    def open_at(self, now: datetime) -> bool:
        return as_utc(self.starts_at) <= now < as_utc(self.ends_at)


@dataclass(frozen=True)
class PlacedOrder:
    order: Order
    access_token: str
    payment: object | None = None  # payment_start.StartedPayment for the domestic rails; Stripe's is on the order
    money: ledger.OrderMoney | None = None  # the ledger summed as placing committed it (Stripe), else read on demand


@calls_out
def place_order(
    lines: list[LineRequest],
    customer: Customer,
    address: Address,
    *,
    now: datetime,
    today: date,
    gateway: PaymentGateway,
    quote: ShippingQuote | None,
    reservation_minutes: int,
    live: LiveTerms | None = None,
) -> PlacedOrder:
    """Reserve stock for every line or none, then create the order's PaymentIntent.

    Three short steps, so no stock row stays locked while Stripe answers: the
    reservation is committed, the PaymentIntent is created outside any transaction,
    and its id is recorded in a second use case. If Stripe cannot be reached, a third
    gives the stock back at once; if the process dies in between, the order is still
    whole (pending, no PaymentIntent yet): paying creates it, expiry releases it.

    `quote` None: no carrier is configured, so the zone table prices the parcels inside the
    reservation (no network to wait for, one transaction fewer). The order comes back as the
    two transactions committed it, lines, parcels, history and ledger included, with nothing
    read again to answer the buyer (`keep_loaded`).
    """
    order, access_token = reserving(
        reserve_order, lines, customer, address,
        now=now, today=today, quote=quote, reservation_minutes=reservation_minutes, live=live,
    )  # fmt: skip
    code = order.code
    try:
        intent = _card_intent(gateway, code, order.total_vnd)
    except ProviderUnavailable as error:
        log.warning("PaymentIntent for %s failed; releasing its stock: %s", code, error)
        _give_up_reservation(code, "payment provider unavailable")
        raise PaymentServiceUnavailable(  # the provider's own error text stays in the log
            "Card payments are unavailable right now; nothing was reserved. Please try again in a few minutes.",
            {"payment": ["The card payment provider did not answer."]},
        ) from error
    money = _record_placed_intent(order, intent)
    return PlacedOrder(order, access_token, money=money)


def reserving(reserve: Callable[..., R], *args, now: datetime, **kwargs) -> R:
    """Run the reservation use case `reserve`; when it is refused for stock and expired reservations were holding
    some, release them (a use case of its own) and try once more.

    Expired reservations are released by the beat job every minute (`flask orders expire`), when their order is
    read, and here: only when they might be what stands in the buyer's way. An order that finds its stock does
    not pay for the sweep, and the sweep's row locks are never taken inside the reservation's transaction.
    """
    try:
        return reserve(*args, now=now, **kwargs)
    except Conflict as refused:
        if refused.code != OUT_OF_STOCK or not release_expired_reservations(now):
            raise
    return reserve(*args, now=now, **kwargs)


@use_case
def reserve_order(
    lines: list[LineRequest],
    customer: Customer,
    address: Address,
    *,
    now: datetime,
    today: date,
    quote: ShippingQuote | None,
    reservation_minutes: int,
    live: LiveTerms | None = None,
) -> tuple[Order, str]:
    """Take the stock and write the pending order and its parcels at the fees quoted; the order, kept loaded as
    committed (the card checkout records its PaymentIntent on it and answers with it), and its access token.
    From a live session inside its window: its prices, its caps per buyer.

    The stock is taken last, just before the commit: the conditional UPDATE of each product's row is the
    transaction's last statement, so a product's row lock is held for that UPDATE and the COMMIT only, never
    while the order, its lines, parcels and history are written (a flash sale queues on that lock, buyer
    after buyer). A line that the stock as just read cannot serve is refused before anything is written;
    the UPDATE alone decides the others.
    """
    wanted = _merge_lines(lines)
    place = resolve_place(address.province, address.ward)
    products = products_for_sale(list(wanted), today)
    # Priced before any stock is taken: a product without a weight refuses the order (422) first, as the quote does.
    parcels = delivery_parcels.parcels_for(wanted, products, place, quote)
    live_open = live is not None and live.open_at(now)
    if live_open and live.check_caps is not None:
        live.check_caps(customer, wanted)
    _refuse_unavailable(wanted, products)
    prices = live.prices if live_open else {}
    order_lines = [
        line_for(products[product_id], quantity, _live_price(products[product_id], prices.get(product_id)))
        for product_id, quantity in wanted.items()
    ]
    subtotal = sum(line.line_total_vnd for line in order_lines)
    fee = sum(parcel.fee_vnd for parcel in parcels)
    if subtotal + fee > MAX_AMOUNT_VND:
        raise InvalidInput(
            "The order is larger than a card payment allows (99.999.999 ₫); split it into smaller orders.",
            {"lines": ["Total exceeds 99.999.999 ₫."]},
            code="order.too_large",
        )
    access_token = secrets.token_urlsafe(24)
    order = Order(
        code=_new_code(),
        status="pending_payment",
        access_token_hash=token_digest(access_token),
        customer_name=customer.name,
        customer_email=customer.email,
        customer_phone=customer.phone,
        shipping_line1=address.line1,
        shipping_ward=place.ward,
        shipping_ward_code=place.ward_code,
        shipping_province=place.province,
        shipping_province_code=place.province_code,
        subtotal_vnd=subtotal,
        shipping_fee_vnd=fee,
        total_vnd=subtotal + fee,
        weight_g=sum(parcel.weight_g for parcel in parcels),
        reserved_until=now + timedelta(minutes=reservation_minutes),
        stock_held=True,
        live_session_id=live.session_id if live is not None else None,
        lines=order_lines,
        parcels=parcels,
    )
    order.events.append(OrderEvent(from_status=None, to_status="pending_payment", reason="placed"))
    db.session.add(order)
    db.session.flush()  # the order's id, for the event
    # The buyer's company invoice request is kept by invoicing's in-transaction subscriber (its refusal refuses this).
    events.publish(events.OrderPlaced(order.id, order.code, customer.company))
    db.session.flush()  # whatever the subscribers wrote, before the row locks are taken
    _reserve(wanted, products)
    keep_loaded()
    return order, access_token


def _card_intent(gateway: PaymentGateway, code: str, total_vnd: int) -> PaymentIntent:
    """The order's PaymentIntent, started through the Stripe rail (the same one however often asked)."""
    start = StripeRail(gateway).start(OrderFacts(code, total_vnd, code, f"Thanh toan don hang {code}"))
    return PaymentIntent(id=start.reference, client_secret=start.client_secret or "")


@use_case
def _record_payment_intent(code: str, intent: PaymentIntent) -> Order:
    order = find_order(code)
    order.payment_intent_id = intent.id
    order.payment_client_secret = intent.client_secret
    if ledger.attempt_by_reference("stripe", intent.id) is None:
        ledger.add_attempt(order, "stripe", intent.id, order.total_vnd)
    return order


@use_case
def _record_placed_intent(order: Order, intent: PaymentIntent) -> ledger.OrderMoney:
    """The new order's PaymentIntent, recorded on the order the reservation kept loaded (one UPDATE, nothing read
    again but its ledger); that ledger summed, as committed, for the checkout's answer.

    An attempt is added unless the order already has this PaymentIntent's (a PaymentIntent is made for one
    order only: its idempotency key and metadata name the order), as `_record_payment_intent` does.
    """
    rows = ledger.rows_of(order.id)
    if not any(row.kind == "attempt" and row.provider == "stripe" and row.reference == intent.id for row in rows):
        rows.append(ledger.add_attempt(order, "stripe", intent.id, order.total_vnd))
    order.payment_intent_id = intent.id
    order.payment_client_secret = intent.client_secret
    keep_loaded()
    return ledger.order_money(order, rows)


@use_case
def _give_up_reservation(code: str, reason: str) -> None:
    """The order could not get a payment: cancel it and give its stock back (unless expiry already did)."""
    order = lock_order(code)
    if order.status in RESERVING_STATUSES:
        transition(order, "cancelled", reason)
        release_stock(order)


@calls_out
def quote_delivery(lines: list[LineRequest], address: Address, today: date, pricing: Pricing) -> ShippingQuote:
    """The parcels the order would get, priced before anything is reserved (carriers are asked outside any
    transaction); 422 naming the line, or `shipping_address.ward`, before any stock is touched."""
    wanted = _merge_lines(lines)
    place = resolve_place(address.province, address.ward)
    return quote_order(wanted, place, today, pricing)


def _by_product_id(wanted: dict[int, int]) -> list[tuple[int, tuple[int, int]]]:
    """(line index, (product id, quantity)) in product-id order: the order rows are locked in."""
    return sorted(enumerate(wanted.items()), key=lambda item: item[1][0])


def _refuse_unavailable(wanted: dict[int, int], products: dict[int, Product]) -> None:
    """Refuse the first line (in locking order) not on sale or short of stock as `products` were just read.

    No lock is taken: a refusal here is the one the UPDATE would give a moment later, without writing the
    order first. A line that passes may still be refused by the UPDATE, which alone decides.
    """
    for index, (product_id, quantity) in _by_product_id(wanted):
        product = products.get(product_id)
        if product is None:
            _refuse_line(index, product_id, f"Product {product_id} is not on sale.")
        if product.stock < quantity:
            _refuse_line(index, product_id, f"Only {product.stock} of '{product.name}' left; {quantity} asked.")


def _reserve(wanted: dict[int, int], products: dict[int, Product]) -> None:
    """Take every line's stock, or refuse the first line that cannot have it (the use case rolls back the rest)."""
    # Rows are locked in product-id order, so two multi-line orders can never deadlock.
    for index, (product_id, quantity) in _by_product_id(wanted):
        product = products.get(product_id)
        if product is None:
            _refuse_line(index, product_id, f"Product {product_id} is not on sale.")
        if not take_stock(product_id, quantity):
            db.session.refresh(product, ["stock"])
            _refuse_line(index, product_id, f"Only {product.stock} of '{product.name}' left; {quantity} asked.")


def line_for(product, quantity: int, unit_price_vnd: int | None = None) -> OrderLine:
    """A line keeping the product's name, SKU, unit and price as they are now (or the live price given)."""
    price = product.price_vnd if unit_price_vnd is None else unit_price_vnd
    return OrderLine(
        product_id=product.id,
        producer_id=product.producer_id,
        sku=product.sku,
        name=product.name,
        unit=product.unit,
        unit_price_vnd=price,
        quantity=quantity,
        line_total_vnd=price * quantity,
    )


def _live_price(product: Product, live_price: int | None) -> int | None:
    """A live price only where it is a discount: never above the product's price now, never 0."""
    if live_price is None or not 0 < live_price <= product.price_vnd:
        return None
    return live_price


def _merge_lines(lines: list[LineRequest]) -> dict[int, int]:
    if not lines:
        raise InvalidInput("The order has no lines.", {"lines": ["Add at least one product."]})
    if len(lines) > MAX_LINES:
        raise InvalidInput("Too many lines.", {"lines": [f"At most {MAX_LINES} lines."]})
    wanted: dict[int, int] = {}
    for line in lines:
        wanted[line.product_id] = wanted.get(line.product_id, 0) + line.quantity
    for index, (product_id, quantity) in enumerate(wanted.items()):
        if quantity > MAX_QUANTITY:
            raise InvalidInput(
                f"At most {MAX_QUANTITY} of one product per order.",
                {"lines": {str(index): {"quantity": [f"At most {MAX_QUANTITY} (product {product_id})."]}}},
            )
    return wanted


def _refuse_line(index: int, product_id: int, message: str) -> None:
    raise Conflict(
        f"Line {index + 1} cannot be reserved: {message} Nothing was reserved.",
        {"lines": {str(index): {"product_id": product_id, "message": message}}},
        code=OUT_OF_STOCK,
    )


def _new_code() -> str:
    chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"QN-{chars[:4]}-{chars[4:]}"


def transition(order: Order, to_status: str, reason: str, by: str = "") -> None:
    """Move the order to `to_status` if the lifecycle allows it, recording why in its history.

    `by` goes on the status's own event (`order_paid`, …): the rail that paid, who cancelled. A
    refund that could not start (`refund_pending` back to `paid`, `cancelled`…) is no new payment
    or cancellation: it publishes OrderStatusChanged only.
    """
    assert_locked(order)
    if to_status not in TRANSITIONS[order.status]:
        raise Conflict(
            f"Order {order.code} is {order.status}; it cannot become {to_status}.", code="order.invalid_transition"
        )
    from_status = order.status
    order.events.append(OrderEvent(from_status=from_status, to_status=to_status, reason=reason[:200]))
    order.status = to_status
    if to_status not in RESERVING_STATUSES:
        order.reserved_until = None
    # Its subscribers (invoicing, and mail or booking as they move) are wired in create_app, never imported here.
    events.publish(events.OrderStatusChanged(order.id, order.code, from_status, to_status, reason))
    specific = STATUS_EVENTS.get(to_status)
    undone_refund = from_status == "refund_pending" and to_status != "refunded"
    if specific is not None and not undone_refund:
        events.publish(specific(order.id, order.code, by))


def release_stock(order: Order) -> None:
    """Give the order's stock back, if it holds any (never twice)."""
    if not order.stock_held:
        return
    # A parcel that came back already gave its lines' stock back (catalogue.delivery.returns).
    returned = {parcel.producer_id for parcel in order.parcels if parcel.return_settled_at is not None}
    for line in order.lines:
        if line.producer_id in returned:
            continue
        return_stock(line.product_id, line.quantity)
    order.stock_held = False


@use_case
def release_expired_reservations(now: datetime) -> int:
    """Cancel unpaid orders past their reservation and give their stock back."""
    # Rows a payment is settling are skipped: that payment decides them, the next sweep sees the rest.
    expired = lock_orders(Order.status.in_(RESERVING_STATUSES), Order.reserved_until < now, limit=500, skip_locked=True)
    for order in expired:
        # No email: the buyer never paid, and a payment landing late still completes the order.
        transition(order, "cancelled", "reservation expired", by="expiry")
        release_stock(order)
    return len(expired)


def find_order(code: str) -> Order:
    order = db.session.scalar(
        select(Order).where(Order.code == code).options(selectinload(Order.lines), selectinload(Order.events))
    )
    if order is None:
        raise NotFound(f"No order {code}.")
    return order


def order_for_buyer(code: str, access_token: str | None, now: datetime) -> Order:
    """The order, if `access_token` is its token; an expired reservation is released on read."""
    order = find_order(code)
    if not access_token or not hmac.compare_digest(order.access_token_hash, token_digest(access_token)):
        raise NotFound(f"No order {code}.")  # never confirm that a code exists without its token
    if order.status in RESERVING_STATUSES and order.reserved_until and as_utc(order.reserved_until) < now:
        release_expired_reservations(now)
        db.session.refresh(order)
    return order


@calls_out
def attempt_card_payment(
    code: str, access_token: str | None, payment_method_id: str, now: datetime, gateway: PaymentGateway
) -> str:
    """Confirm the order's PaymentIntent with the buyer's card; the order itself changes only on the webhook."""
    payable = _payable_order(code, access_token, now)
    intent_id = payable.payment_intent_id
    try:
        if intent_id is None:  # placing it stopped before the intent was recorded: the same key gives the same one
            intent = _card_intent(gateway, code, payable.total_vnd)
            intent_id = _record_payment_intent(code, intent).payment_intent_id
        return gateway.confirm_card(intent_id, payment_method_id)
    except CardDeclined as error:
        raise PaymentDeclined("The card was declined.", {"card": [error.code]}, decline_code=error.code) from error
    except (PaymentUnavailable, ProviderUnavailable) as error:
        log.warning("Confirming the payment of %s failed: %s", code, error)
        raise PaymentServiceUnavailable(
            "Card payments are unavailable right now; your order stays reserved, please try again shortly.",
            {"payment": ["The card payment provider did not answer."]},
        ) from error


@dataclass(frozen=True)
class _Payable:
    payment_intent_id: str | None
    total_vnd: int


@use_case
def _payable_order(code: str, access_token: str | None, now: datetime) -> _Payable:
    """What paying needs, read in a use case of its own, so no transaction is open while the card is checked."""
    order = order_for_buyer(code, access_token, now)
    if order.status not in RESERVING_STATUSES:
        raise Conflict(f"Order {code} is {order.status}; it is not waiting for a payment.", code="order.not_payable")
    return _Payable(order.payment_intent_id, order.total_vnd)


def order_for_staff(code: str, principal: Principal, now: datetime) -> tuple[Order, list[OrderLine]]:
    """The order for the OCOP office (every line) or a producer with lines in it (only theirs)."""
    order = find_order(code)
    if principal.is_admin:
        return order, list(order.lines)
    if not principal.can("orders:read") or principal.producer_id is None:
        raise NotFound(f"No order {code}.")
    mine = [line for line in order.lines if line.producer_id == principal.producer_id]
    if not mine:
        raise NotFound(f"No order {code}.")  # never confirm that someone else's order exists
    return order, mine


@use_case
def mark_delivered(code: str, reason: str = "delivered") -> Order:
    """The carrier delivered a shipped order."""
    order = lock_order(code)
    if order is None:
        raise NotFound(f"No order {code}.")
    if order.status != "delivered":
        transition(order, "delivered", reason)
    return order
