"""What delivering an order costs: one parcel per producer, each priced by where it goes.

With a carrier configured, a parcel's fee is the carrier's own (its fee API), remembered for a
short while by (origin ward, destination ward, weight band, service). A carrier that does not
answer within `SHIPPING_QUOTE_TIMEOUT` seconds (or answers that it is down, or refuses) never
blocks the checkout: the shop's zone table prices that parcel and the parcel records
`fee_source="zone"`. Without a carrier the zone table prices everything.

The database is read in a short use case of its own and let go before any carrier is asked
(no transaction stays open while a carrier answers). Weights are never guessed: a product
without one refuses the quote, naming it, so the office can add it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, replace
from datetime import date

from catalogue.carriers.port import Carrier, CarrierError, CarrierRefused, ParcelSpec, Quote
from catalogue.delivery.pickup import PROVINCE
from catalogue.delivery.quote_cache import QuoteCache
from catalogue.delivery.zones import Band, is_island, read_bands, zone_between, zone_fee
from catalogue.errors import InvalidInput
from catalogue.geography.addresses import Place
from catalogue.products.services import products_for_sale
from catalogue.transactions import calls_out, use_case

log = logging.getLogger(__name__)

WEIGHT_BAND_G = 500  # carriers price by started half-kilo; a band is quoted at its upper weight
SHOP_PROVINCE_CODE = "22"  # Quảng Ninh: where a producer without a pickup ward ships from
_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="carrier-quote")


@dataclass(frozen=True)
class ItemLoad:
    """One line of the order as the parcel sees it."""

    index: int  # the line's position in the request (errors name it)
    product_id: int
    name: str
    sku: str
    quantity: int
    unit_weight_g: int | None
    value_vnd: int


@dataclass(frozen=True)
class ParcelLoad:
    """One producer's goods of the order, before pricing."""

    producer_id: int
    producer_slug: str
    producer_name: str
    origin: Place | None
    items: tuple[ItemLoad, ...]

    @property
    def weight_g(self) -> int:
        return sum((item.unit_weight_g or 0) * item.quantity for item in self.items)

    @property
    def value_vnd(self) -> int:
        return sum(item.value_vnd for item in self.items)


@dataclass(frozen=True)
class ParcelQuote:
    """A priced parcel: exactly what the order will record for it."""

    producer_id: int
    producer_slug: str
    producer_name: str
    weight_g: int
    fee_vnd: int
    fee_source: str  # carrier | zone
    zone: str
    carrier: str | None
    service: str | None
    eta_days: int | None

    @property
    def producer(self) -> dict:
        return {"id": self.producer_id, "slug": self.producer_slug, "name": self.producer_name}


@dataclass(frozen=True)
class ShippingQuote:
    parcels: tuple[ParcelQuote, ...]

    @property
    def shipping_fee_vnd(self) -> int:
        return sum(parcel.fee_vnd for parcel in self.parcels)

    def for_producer(self, producer_id: int) -> ParcelQuote | None:
        return next((parcel for parcel in self.parcels if parcel.producer_id == producer_id), None)


class MissingWeight(InvalidInput):
    """A product of the order has no weight: its delivery cannot be priced (the office adds it)."""

    def __init__(self, item: ItemLoad) -> None:
        self.product_name, self.sku = item.name, item.sku
        message = (f"'{item.name}' (SKU {item.sku}) has no weight yet, so its delivery cannot be priced; "
                   "the OCOP office must add the product's weight before it can be ordered.")  # fmt: skip
        super().__init__(message, {"lines": {str(item.index): {"product_id": [message]}}})


class ParcelTooHeavy(InvalidInput):
    """A producer's parcel weighs more than the carrier takes; it names the heaviest product in it."""

    def __init__(self, load: ParcelLoad, item: ItemLoad, carrier: str, max_weight_g: int) -> None:
        self.product_name, self.weight_g, self.max_weight_g = item.name, load.weight_g, max_weight_g
        message = (f"The parcel of '{load.producer_name}' weighs {load.weight_g} g, over {carrier}'s limit of "
                   f"{max_weight_g} g: order fewer of '{item.name}' or split the order.")  # fmt: skip
        super().__init__(message, {"lines": {str(item.index): {"quantity": [message]}}})


def weight_band_g(weight_g: int) -> int:
    """The upper weight of the half-kilo band a parcel falls in (what a carrier is asked to price)."""
    return max(1, math.ceil(weight_g / WEIGHT_BAND_G)) * WEIGHT_BAND_G


def loads_from_products(wanted: dict[int, int], products: dict) -> list[ParcelLoad]:
    """Group (product id → quantity) into one load per producer; products not on sale are left out
    (the reservation refuses them by line), products without a weight refuse the whole quote."""
    from catalogue.delivery.pickup import pickup_place  # the producer model, read in the caller's session

    grouped: dict[int, list[ItemLoad]] = {}
    producers: dict[int, object] = {}
    for index, (product_id, quantity) in enumerate(wanted.items()):
        product = products.get(product_id)
        if product is None:
            continue
        item = ItemLoad(index, product.id, product.name, product.sku, quantity, product.net_weight_g,
                        product.price_vnd * quantity)  # fmt: skip
        if not item.unit_weight_g or item.unit_weight_g <= 0:
            raise MissingWeight(item)
        grouped.setdefault(product.producer_id, []).append(item)
        producers[product.producer_id] = product.producer
    return [
        ParcelLoad(
            producer_id,
            producers[producer_id].slug,
            producers[producer_id].name,
            pickup_place(producers[producer_id]),
            tuple(items),
        )  # fmt: skip
        for producer_id, items in sorted(grouped.items())
    ]


@use_case
def _read(wanted: dict[int, int], today: date) -> tuple[list[ParcelLoad], list[Band]]:
    """Everything pricing needs, read and let go of (committed) before any carrier is asked."""
    return loads_from_products(wanted, products_for_sale(list(wanted), today)), read_bands()


@dataclass(frozen=True)
class Pricing:
    """How this app prices: its carrier (None: the zone table), the fee memory, the carrier's deadline."""

    carrier: Carrier | None
    cache: QuoteCache | None = None
    timeout_seconds: float = 3.0


@calls_out
def quote_order(wanted: dict[int, int], destination: Place, today: date, pricing: Pricing) -> ShippingQuote:
    """The parcels of an order of (product id → quantity) to `destination`, each priced."""
    loads, bands = _read(wanted, today)
    return price_loads(loads, destination, bands, pricing)


def price_loads(loads: list[ParcelLoad], destination: Place, bands: list[Band], pricing: Pricing) -> ShippingQuote:
    """Price each load: the carrier's fee where it answers in time, the zone table otherwise."""
    carrier = pricing.carrier
    if carrier is not None:
        for load in loads:
            _check_limits(load, carrier)
    asked: dict[int, Callable[[], Quote | None]] = {}
    if carrier is not None:
        for load in loads:
            if load.origin is not None:
                asked[load.producer_id] = _ask(carrier, load, destination, pricing)
    return ShippingQuote(
        tuple(_priced(load, destination, bands, carrier, asked.get(load.producer_id)) for load in loads)
    )


def zone_quote(load: ParcelLoad, destination: Place, bands: list[Band]) -> ParcelQuote:
    """The zone table's price for a load (also what reprices a parcel inside the order's transaction)."""
    origin_code = load.origin.province_code if load.origin else SHOP_PROVINCE_CODE
    zone = zone_between(origin_code, destination.province_code)
    fee = zone_fee(bands, zone, load.weight_g, is_island(load.origin) or is_island(destination))
    if fee is None:
        log.error("The zone table has no row for %s; the office must fill it in", zone)
        raise InvalidInput(
            "Delivery to this address cannot be priced right now; please try again later.",
            {"shipping_address": {"province": [f"No shipping rate for zone {zone}."]}},
        )
    return ParcelQuote(load.producer_id, load.producer_slug, load.producer_name, load.weight_g, fee, "zone", zone,
                       None, None, None)  # fmt: skip


def _check_limits(load: ParcelLoad, carrier: Carrier) -> None:
    limit = carrier.limits.max_weight_g
    if load.weight_g > limit:
        heaviest = max(load.items, key=lambda item: (item.unit_weight_g or 0) * item.quantity)
        raise ParcelTooHeavy(load, heaviest, carrier.labels.brand, limit)


def _cache_key(carrier: Carrier, load: ParcelLoad, destination: Place, service: str | None) -> str:
    return (
        f"{carrier.name}:{load.origin.ward_code}:{destination.ward_code}:{weight_band_g(load.weight_g)}:{service or ''}"
    )


def _ask(carrier: Carrier, load: ParcelLoad, destination: Place, pricing: Pricing) -> Callable[[], Quote | None]:
    """Start asking the carrier (or read the memory); the answer is collected with the deadline."""
    key = _cache_key(carrier, load, destination, None)
    remembered = pricing.cache.get(key) if pricing.cache else None
    if remembered is not None:
        return lambda: remembered
    spec = ParcelSpec(weight_g=weight_band_g(load.weight_g), value_vnd=load.value_vnd)
    future = _pool.submit(carrier.quote, load.origin, destination, spec, None)

    def collect() -> Quote | None:
        try:
            quote = future.result(timeout=pricing.timeout_seconds)
        except FutureTimeout:
            log.warning("%s did not price a parcel within %.1f s; the zone table prices it", carrier.name,
                        pricing.timeout_seconds)  # fmt: skip
            return None
        except CarrierRefused as error:
            log.warning("%s refused to price a parcel (%s); the zone table prices it", carrier.name, error)
            return None
        except CarrierError as error:
            log.warning("%s is unavailable (%s); the zone table prices the parcel", carrier.name, error)
            return None
        if pricing.cache is not None:
            pricing.cache.set(key, quote)
        return quote

    return collect


def _priced(load: ParcelLoad, destination: Place, bands: list[Band], carrier: Carrier | None,
            collect: Callable[[], Quote | None] | None) -> ParcelQuote:  # fmt: skip
    by_zone = zone_quote(load, destination, bands)
    quote = collect() if collect is not None else None
    if carrier is None:
        return by_zone
    if quote is None:  # still booked with the carrier; only its price came from the table
        return replace(by_zone, carrier=carrier.name)
    return ParcelQuote(load.producer_id, load.producer_slug, load.producer_name, load.weight_g, int(quote.fee_vnd),
                       "carrier", by_zone.zone, carrier.name, quote.service, quote.eta_days)  # fmt: skip


def destination_place(province: str, ward: str) -> Place:
    """Resolve the buyer's ward (422 naming `shipping_address.ward`)."""
    from catalogue.geography.addresses import resolve_place

    return resolve_place(province or PROVINCE, ward)
