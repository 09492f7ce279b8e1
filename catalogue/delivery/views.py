"""How parcels read to people: their status in Vietnamese, the carrier's tracking link."""

from __future__ import annotations

from catalogue.delivery.parcels import STATUS_LABELS_VI


def tracking_url(parcel) -> str | None:
    """Where the buyer follows the parcel on its carrier's site; None before it has a tracking code
    or when its carrier is not one the shop has turned on (a parcel sent another way)."""
    if not getattr(parcel, "tracking_code", None) or not getattr(parcel, "carrier", None):
        return None
    from catalogue.delivery.wiring import carriers

    carrier = carriers().get(parcel.carrier)
    return carrier.tracking_url(parcel.tracking_code) if carrier is not None else None


def carrier_name(parcel) -> str | None:
    """The carrier's brand for a page ("GHN"), or the name the producer typed."""
    if not parcel.carrier:
        return None
    from catalogue.delivery.wiring import carriers

    carrier = carriers().get(parcel.carrier)
    return carrier.labels.brand if carrier is not None else parcel.carrier


def status_label(status: str) -> str:
    return STATUS_LABELS_VI.get(status, status)
