"""Glue for the HTTP layers: call the order services with this app's clock, gateway, rails and rules."""

from __future__ import annotations

from flask import current_app, has_request_context, request

from catalogue import clock, waiting_room
from catalogue.delivery import wiring as delivery
from catalogue.orders import cancellation, money_desk, payment_start, placement_limits, services, settlement
from catalogue.payments import payment_gateway, payment_rails
from catalogue.urls import absolute_url


def payer() -> payment_start.Payer:
    """The buyer's address and language, and the shop's base URL the rails send the buyer and their notices to."""
    if not has_request_context():
        return payment_start.Payer()
    locale = "en" if (request.accept_languages.best_match(["vi", "en"]) == "en") else "vi"
    return payment_start.Payer(
        buyer_ip=request.remote_addr or "127.0.0.1",
        locale=locale,
        base_url=absolute_url("/").rstrip("/"),
    )


def place_order(lines, customer, address, payment_method: str | None = None, live=None) -> services.PlacedOrder:
    """Place an order as of now, paid by `payment_method` (default: Stripe when on, else the first rail).

    Within the office's caps (units per line and order), this process's room for one more placement
    (Busy, 503, past it: not counted), and the limits (orders per client and contact), counted first.
    """
    config = current_app.config
    if current_app.testing and has_request_context() and waiting_room.counted_as_page():
        raise RuntimeError(f"{request.endpoint} places orders: mark its view with waiting_room.places_orders")
    placement_limits.check_units(config, [line.quantity for line in lines])
    buyer = (request.remote_addr or "", customer.email, customer.phone) if has_request_context() else None
    with placement_limits.admitted(config, buyer):
        return payment_start.place_order(
            lines,
            customer,
            address,
            method=payment_method,
            rails=payment_rails(),
            payer=payer(),
            now=clock.now(),
            today=clock.today(),
            gateway=payment_gateway(),
            pricing=delivery.pricing(),
            reservation_minutes=config["RESERVATION_MINUTES"],
            live=live,
        )


def start_payment(code: str, token: str | None, method: str) -> payment_start.StartedPayment:
    """The buyer (with the order's token) pays again, maybe by another rail, before the reservation expires."""
    services.order_for_buyer(code, token, clock.now())  # 404 without the order's token
    return payment_start.start_payment(code, method, rails=payment_rails(), payer=payer(), now=clock.now())


def current_payment(order) -> payment_start.StartedPayment | None:
    """The order's open VietQR / VNPay / MoMo attempt, for the order page."""
    return payment_start.current_payment(order, payment_rails())


def order_for_buyer(code: str, token: str | None):
    return services.order_for_buyer(code, token, clock.now())


def quote_delivery(lines, address):
    """The parcels and fees the order of `lines` to `address` would get (contract §8)."""
    return services.quote_delivery(lines, address, clock.today(), delivery.pricing())


def cancel_by_buyer(code: str, token: str | None):
    return cancellation.cancel_by_buyer(code, token, clock.now(), payment_gateway())


def cancel_order(code: str, principal, token: str | None):
    """Cancel as the caller may: the buyer with its token (principal None) or the OCOP office."""
    return cancellation.cancel_order(code, principal, token, clock.now(), payment_gateway(), payment_rails())


def attempt_card_payment(code: str, token: str | None, payment_method_id: str) -> str:
    return services.attempt_card_payment(code, token, payment_method_id, clock.now(), payment_gateway())


def order_for_staff(code: str, principal):
    return services.order_for_staff(code, principal, clock.now())


def cancel_by_admin(code: str, reason: str):
    """The office cancels; a paid order is refunded by its rail's API where it has one, else flagged for the office."""
    return cancellation.cancel_by_admin(code, clock.now(), payment_gateway(), reason, payment_rails())


def assign_transfer(principal, transfer_id: int, order_code: str) -> str:
    """The office puts an unmatched bank transfer on an order, audited (see money_desk.match_transfer)."""
    return money_desk.match_transfer(principal, transfer_id, order_code, clock.now())


def mark_refund_returned(principal, refund_id: int, reference: str):
    """The office returned a due refund by hand."""
    return settlement.mark_refund_returned(principal, refund_id, reference, clock.now())


def return_held_money(principal, order_code: str, reference: str):
    """The office returned what a cancelled order held."""
    return settlement.return_held_money(principal, order_code, reference, clock.now())
