"""Starting a payment on the rail the buyer chose: at checkout, or again before the reservation expires.

Each start is an attempt in the ledger, recorded (committed) before the provider is asked,
so a notice that comes back quickly finds it; MoMo's create is the only network call and
runs with no transaction open. A buyer who failed with one rail may start another while
the order is still reserved; VietQR asks for what is still due.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from catalogue.delivery.quotes import Pricing
from catalogue.errors import Conflict, InvalidInput, NotFound
from catalogue.models_base import as_utc
from catalogue.orders import services
from catalogue.orders.locking import lock_order
from catalogue.orders.models import RESERVING_STATUSES
from catalogue.payments import ledger
from catalogue.payments.port import (
    OrderFacts,
    PaymentStart,
    ProviderUnavailable,
    TransferInstructions,
    attempt_reference,
)
from catalogue.payments.registry import STRIPE, Rails
from catalogue.payments.stripe_rail.gateway import PaymentGateway
from catalogue.payments.vietqr import transfer_content
from catalogue.transactions import calls_out, use_case

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Payer:
    """Where the buyer is and where the providers send them (and us) back."""

    buyer_ip: str = "127.0.0.1"
    locale: str = "vi"
    base_url: str = ""  # the shop's public base: a rail's return page and notification URL are under it

    def return_url(self, rail: str) -> str:
        """Where rail `rail` sends the buyer back (its return page)."""
        return f"{self.base_url}/payments/{rail}/return" if self.base_url else ""

    def notify_url(self, rail: str) -> str:
        """Where rail `rail` sends its notifications (VNPay's is registered with the terminal instead)."""
        return f"{self.base_url}/webhooks/{rail}" if self.base_url else ""


@dataclass(frozen=True)
class StartedPayment:
    """What the buyer needs to pay one attempt (the API's `payment`, the order page's payment block)."""

    method: str
    reference: str
    amount_vnd: int
    deadline: datetime | None
    redirect_url: str | None = None  # VNPay's pay page, MoMo's payUrl
    transfer: TransferInstructions | None = None  # VietQR


@calls_out
def place_order(
    lines: list[services.LineRequest],
    customer: services.Customer,
    address: services.Address,
    *,
    method: str | None,
    rails: Rails,
    payer: Payer,
    now: datetime,
    today: date,
    gateway: PaymentGateway,
    pricing: Pricing,
    reservation_minutes: int,
    live: services.LiveTerms | None = None,
) -> services.PlacedOrder:
    """Check the rail (422 naming `payment_method` before anything is reserved), price the parcels, reserve
    (the order keeps the fees just quoted), start paying.

    A carrier is asked for its fees before the reservation, outside any transaction; without one the zone
    table prices the parcels inside the reservation itself (the same fees, one transaction fewer)."""
    chosen = rails.choose(method)
    quote = services.quote_delivery(lines, address, today, pricing) if pricing.carrier is not None else None
    options = {"now": now, "today": today, "quote": quote, "reservation_minutes": reservation_minutes, "live": live}
    if chosen == STRIPE:
        return services.place_order(lines, customer, address, gateway=gateway, **options)
    order, access_token = services.reserving(services.reserve_order, lines, customer, address, **options)
    code = order.code
    try:
        started = start_payment(code, chosen, rails=rails, payer=payer, now=now)
    except services.PaymentServiceUnavailable:
        services._give_up_reservation(code, f"{chosen} unavailable")
        raise
    return services.PlacedOrder(services.find_order(code), access_token, started)


@calls_out
def start_payment(code: str, method: str, *, rails: Rails, payer: Payer, now: datetime) -> StartedPayment:
    """Start (or, for VietQR, show again) an attempt by `method` for what the order still owes.

    Refuses (409) an order that no longer waits for a payment, and (422) a rail that is off or
    Stripe (whose PaymentIntent is made at checkout and paid on the order page).
    """
    if method == STRIPE or method not in rails.methods:
        raise InvalidInput(
            f"Payment by {method} cannot be started here.",
            {"payment_method": ["Not available."]},
            code="payment.method_unavailable",
        )
    rail = rails.get(method)
    facts, start = _record_attempt(code, rail, payer, now)
    if start is None:  # a rail whose start asks its provider: asked now that the attempt is committed
        try:
            start = rail.start(facts)
        except ProviderUnavailable as error:
            brand = rail.labels.brand
            log.warning("%s create for %s failed: %s", brand, facts.attempt_reference, error)
            _attempt_failed(method, facts.attempt_reference)
            raise services.PaymentServiceUnavailable(
                f"{brand} is unavailable right now; please try again in a few minutes or choose another method.",
                {"payment_method": [f"{brand} did not answer."]},
            ) from error
        _remember_start(method, facts.attempt_reference, start)
    return StartedPayment(
        method=method,
        reference=start.reference,
        amount_vnd=facts.amount_vnd,
        deadline=facts.expires_at,
        redirect_url=start.redirect_url,
        transfer=start.transfer,
    )


@use_case
def _record_attempt(code: str, rail, payer: Payer, now: datetime):
    """The attempt's facts and (for rails that need no network: VietQR, VNPay) its start, committed."""
    order = lock_order(code)  # the attempt's number and amount due hold until it is recorded
    if order is None:
        raise NotFound(f"No order {code}.")
    if order.status not in RESERVING_STATUSES:
        raise Conflict(f"Order {code} is {order.status}; it is not waiting for a payment.", code="order.not_payable")
    due = ledger.order_money(order).due_vnd
    number = len(ledger.attempts_of(order.id)) + 1
    transfer = _pays_by_transfer(rail)
    facts = OrderFacts(
        order_code=code,
        amount_vnd=due,
        attempt_reference=transfer_content(code) if transfer else attempt_reference(code, number),
        description=f"Thanh toan don hang {code}",
        return_url=payer.return_url(rail.name),
        notify_url=payer.notify_url(rail.name),
        buyer_ip=payer.buyer_ip,
        locale=payer.locale,
        created_at=now,
        expires_at=order.reserved_until and as_utc(order.reserved_until),
    )
    start: PaymentStart | None = None if rail.starts_online else rail.start(facts)
    if transfer:
        previous = [row for row in ledger.attempts_of(order.id, rail.name) if row.state == "started"]
        if previous and previous[-1].amount_vnd == due and order.payment_method == rail.name:
            return facts, start  # the same QR shown again: no new attempt
    details = _start_details(start) if start is not None else {}
    ledger.add_attempt(order, rail.name, facts.attempt_reference, due, details, unique=not transfer)
    return facts, start


def _pays_by_transfer(rail) -> bool:
    """True for the bank transfer rail: every attempt is the same transfer content, the bank feeds report it."""
    return getattr(rail, "pays_by_transfer", False)


def _start_details(start: PaymentStart) -> dict:
    """What the ledger keeps of a start: where the buyer was sent, or what the QR said."""
    if start.transfer is not None:
        return {"payload": start.transfer.payload, "content": start.transfer.content, "demo": start.transfer.is_demo}
    return {"redirect_url": start.redirect_url, "provider_reference": start.reference}


@use_case
def _attempt_failed(method: str, reference: str) -> None:
    row = ledger.attempt_by_reference(method, reference)
    if row is not None and row.state == "started":
        row.state = "failed"


@use_case
def _remember_start(method: str, reference: str, start: PaymentStart) -> None:
    row = ledger.attempt_by_reference(method, reference)
    if row is not None:
        row.details = ledger.json_details(_start_details(start))


def current_payment(order, rails: Rails) -> StartedPayment | None:
    """The order's latest domestic attempt still open, rebuilt for the order page (None: Stripe or none)."""
    if order.status not in RESERVING_STATUSES:
        return None
    attempts = [row for row in ledger.attempts_of(order.id) if row.method != STRIPE and row.state == "started"]
    if not attempts or attempts[-1].method != order.payment_method:
        return None
    row, details = attempts[-1], ledger.details_of(attempts[-1])
    deadline = order.reserved_until and as_utc(order.reserved_until)
    transfer = None
    rail = rails.get(row.method)
    if rail is not None and _pays_by_transfer(rail):
        due = ledger.order_money(order).due_vnd
        facts = OrderFacts(order.code, due, row.reference, f"Thanh toan don hang {order.code}")
        transfer = rail.start(facts).transfer
        return StartedPayment(row.method, row.reference, due, deadline, transfer=transfer)
    return StartedPayment(row.method, row.reference, row.amount_vnd, deadline, redirect_url=details.get("redirect_url"))
