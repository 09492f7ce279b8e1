"""Glue for the HTTP layers: call the order services with this app's clock, gateway and rules."""

from __future__ import annotations

from flask import current_app

from catalogue import clock
from catalogue.orders import cancellation, services
from catalogue.orders.shipping import ShippingRule
from catalogue.payments import payment_gateway


def place_order(lines, customer, address) -> services.PlacedOrder:
    """Place an order as of now, with the configured shipping rule and reservation time."""
    return services.place_order(
        lines,
        customer,
        address,
        now=clock.now(),
        today=clock.today(),
        gateway=payment_gateway(),
        shipping=ShippingRule.from_config(current_app.config),
        reservation_minutes=current_app.config["RESERVATION_MINUTES"],
    )


def order_for_buyer(code: str, token: str | None):
    return services.order_for_buyer(code, token, clock.now())


def quote_shipping(parcel: list, subtotal_vnd: int) -> int:
    """The shipping fee of (product, quantity) pairs under the configured rule."""
    return services.quote_shipping(parcel, subtotal_vnd, ShippingRule.from_config(current_app.config))


def cancel_by_buyer(code: str, token: str | None):
    return cancellation.cancel_by_buyer(code, token, clock.now(), payment_gateway())


def cancel_order(code: str, principal, token: str | None):
    """Cancel as the caller may: the buyer with its token (principal None) or the OCOP office."""
    return cancellation.cancel_order(code, principal, token, clock.now(), payment_gateway())


def attempt_card_payment(code: str, token: str | None, payment_method_id: str) -> str:
    return services.attempt_card_payment(code, token, payment_method_id, clock.now(), payment_gateway())


def order_for_staff(code: str, principal):
    return services.order_for_staff(code, principal, clock.now())


def cancel_by_admin(code: str, reason: str):
    return cancellation.cancel_by_admin(code, clock.now(), payment_gateway(), reason)
