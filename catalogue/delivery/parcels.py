"""Parcels written with their order: the fees the buyer was quoted become the fees the order charges."""

from __future__ import annotations

import logging
import secrets

from flask_babel import lazy_gettext as _l

from catalogue.carriers.port import PENDING
from catalogue.delivery.models import Parcel, ParcelEvent
from catalogue.delivery.quotes import ParcelQuote, ShippingQuote, loads_from_products, zone_quote
from catalogue.delivery.zones import read_bands
from catalogue.geography.addresses import Place

log = logging.getLogger(__name__)

# How the buyer, the order look-up and the emails name a parcel's status.
STATUS_LABELS_VI = {
    "pending": _l("Chờ gửi hàng"),
    "booked": _l("Đã tạo vận đơn"),
    "picked_up": _l("Đã lấy hàng"),
    "in_transit": _l("Đang vận chuyển"),
    "delivered": _l("Đã giao hàng"),
    "failed": _l("Giao không thành công"),
    "returning": _l("Đang hoàn hàng"),
    "returned": _l("Đã hoàn hàng"),
    "cancelled": _l("Đã huỷ"),
}


def parcels_for(
    wanted: dict[int, int], products: dict, destination: Place, quote: ShippingQuote | None
) -> list[Parcel]:
    """One parcel per producer of the reserved lines (inside the order's transaction).

    Each keeps its quoted fee, carrier and service. A parcel the quote did not price as it is now
    (a product's weight changed in between, a rare race) is priced again from the zone table here,
    never by calling a carrier inside the transaction. `quote` None (no carrier configured: the zone
    table prices every parcel, which needs no network) prices them all here, from the products the
    transaction read: the same fees a quote would have given (catalogue.delivery.quotes._priced).
    A product without a weight refuses the order here, before any stock is taken (MissingWeight).
    """
    bands = None
    parcels: list[Parcel] = []
    producers = {product.producer_id: product.producer for product in products.values()}
    for load in loads_from_products(wanted, products):
        quoted = quote.for_producer(load.producer_id) if quote is not None else None
        if quoted is None or quoted.weight_g != load.weight_g:
            if quote is not None:
                log.warning(
                    "Parcel of producer %s changed since it was quoted; the zone table prices it", load.producer_id
                )
            bands = bands if bands is not None else read_bands()
            quoted = zone_quote(load, destination, bands)
        parcel = new_parcel(quoted)
        parcel.producer = producers[load.producer_id]  # loaded with the products: never read again
        parcels.append(parcel)
    return parcels


def new_parcel(quoted: ParcelQuote) -> Parcel:
    parcel = Parcel(
        producer_id=quoted.producer_id,
        weight_g=quoted.weight_g,
        fee_vnd=quoted.fee_vnd,
        fee_source=quoted.fee_source,
        zone=quoted.zone,
        carrier=quoted.carrier,
        service=quoted.service,
        eta_days=quoted.eta_days,
        status=PENDING,
        reference=f"P{secrets.token_hex(8).upper()}",
    )
    parcel.events.append(ParcelEvent(status=PENDING, source="shop"))
    return parcel
