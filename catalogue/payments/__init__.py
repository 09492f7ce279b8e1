"""Payments: Stripe behind its gateway, the domestic rails (VietQR, VNPay, MoMo) behind the port."""

from __future__ import annotations

from flask import Flask, current_app

from catalogue.payments.stripe_rail.gateway import NoStripe, PaymentGateway, StripeGateway


def init_payments(app: Flask) -> None:
    """Build the gateway once per app (NoStripe while Stripe's keys are unset); tests may hand one in as
    PAYMENT_GATEWAY."""
    from catalogue.payments.registry import rails_from_config, require_a_rail

    if app.config.get("CATALOGUE_ENV") == "production":
        require_a_rail(app.config)

    gateway = app.config.get("PAYMENT_GATEWAY")
    if gateway is None and app.config.get("STRIPE_SECRET_KEY"):
        gateway = StripeGateway(
            secret_key=app.config["STRIPE_SECRET_KEY"],
            publishable_key=app.config["STRIPE_PUBLISHABLE_KEY"],
            webhook_secret=app.config["STRIPE_WEBHOOK_SECRET"],
            api_base=app.config["STRIPE_API_BASE"],
        )
    app.extensions["payment_gateway"] = gateway or NoStripe()
    app.extensions["payment_rails"] = app.config.get("PAYMENT_RAILS") or rails_from_config(app.config)


def payment_gateway() -> PaymentGateway:
    """The app's gateway (HTTP layers pass it to the order services)."""
    return current_app.extensions["payment_gateway"]


def payment_rails():
    """The app's configured rails (catalogue.payments.registry.Rails)."""
    return current_app.extensions["payment_rails"]
