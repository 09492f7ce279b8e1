"""Which carriers this shop knows and which its settings turn on.

Every carrier is one entry of `KNOWN`: its name and how it builds itself from the settings
(None: off; it is on when all its `required` settings are set, and some-but-not-all is a
mistake `carriers_from_config` names). The first carrier on is the one parcels are booked
with (`CARRIER_DEFAULT` names another). Adding a carrier (GHTK, J&T) is one line here and its
own package; nothing else names it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from catalogue.carriers import ghn, viettelpost
from catalogue.carriers.port import Carrier


@dataclass(frozen=True)
class KnownCarrier:
    """A carrier the shop can use and how it builds itself from the settings."""

    name: str
    build: Callable[[Mapping], Carrier | None]
    required: tuple[str, ...] = ()


# In the order the shop prefers them.
KNOWN: tuple[KnownCarrier, ...] = (
    KnownCarrier(ghn.NAME, ghn.from_config, ghn.REQUIRED_SETTINGS),
    KnownCarrier(viettelpost.NAME, viettelpost.from_config, viettelpost.REQUIRED_SETTINGS),
)
NAMES = tuple(known.name for known in KNOWN)


class CarrierSettingsError(ValueError):
    """Some but not all of a carrier's settings are set."""


@dataclass(frozen=True)
class Carriers:
    """The carriers turned on, in order of preference."""

    on: tuple[Carrier, ...] = ()
    default_name: str | None = None

    def get(self, name: str) -> Carrier | None:
        return next((carrier for carrier in self.on if carrier.name == name), None)

    @property
    def default(self) -> Carrier | None:
        """The carrier parcels are priced and booked with; None: the zone table prices, producers ship by hand."""
        if self.default_name:
            return self.get(self.default_name)
        return self.on[0] if self.on else None


def carriers_from_config(config: Mapping, known: tuple[KnownCarrier, ...] | None = None) -> Carriers:
    """Build the carriers the settings turn on."""
    on: list[Carrier] = []
    for entry in KNOWN if known is None else known:
        present = [key for key in entry.required if config.get(key)]
        if present and len(present) < len(entry.required):
            missing = ", ".join(key for key in entry.required if not config.get(key))
            raise CarrierSettingsError(f"{entry.name}: also set {missing}")
        carrier = entry.build(config)
        if carrier is not None:
            on.append(carrier)
    return Carriers(tuple(on), config.get("CARRIER_DEFAULT") or None)
