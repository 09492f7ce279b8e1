"""Glue for the HTTP layers: price with this app's carriers, fee memory and deadline."""

from __future__ import annotations

from flask import current_app

from catalogue import clock
from catalogue.carriers.registry import Carriers, carriers_from_config
from catalogue.delivery.quote_cache import cache_from_config
from catalogue.delivery.quotes import Pricing, ShippingQuote, destination_place, quote_order


def carriers() -> Carriers:
    """The carriers the settings turn on (`CARRIERS` in the config: a prebuilt set, as tests give one)."""
    given = current_app.config.get("CARRIERS")
    if given is not None:
        return given
    if "carriers" not in current_app.extensions:
        current_app.extensions["carriers"] = carriers_from_config(current_app.config)
    return current_app.extensions["carriers"]


def pricing() -> Pricing:
    """The default carrier (None: the zone table prices), the fee memory and the carrier's deadline."""
    if "shipping_quote_cache" not in current_app.extensions:
        current_app.extensions["shipping_quote_cache"] = cache_from_config(current_app.config)
    return Pricing(
        carrier=carriers().default,
        cache=current_app.extensions["shipping_quote_cache"],
        timeout_seconds=float(current_app.config.get("SHIPPING_QUOTE_TIMEOUT", 3)),
    )


def quote(wanted: dict[int, int], province: str, ward: str) -> ShippingQuote:
    """The parcels of (product id → quantity) to the ward, as the order would get them."""
    return quote_order(wanted, destination_place(province, ward), clock.today(), pricing())
