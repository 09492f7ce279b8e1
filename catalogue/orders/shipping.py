"""The shipping fee rule: by weight, configurable, in integer VND."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class ShippingRule:
    """`base_fee_vnd` covers the first `base_weight_g`; each further started kilogram costs `per_kg_vnd`.

    Orders from `free_from_vnd` (when set) ship free.
    """

    base_fee_vnd: int = 30_000
    base_weight_g: int = 1_000
    per_kg_vnd: int = 10_000
    free_from_vnd: int | None = None

    def fee_for(self, weight_g: int, subtotal_vnd: int) -> int:
        """The fee for a parcel of `weight_g` grams worth `subtotal_vnd`."""
        if self.free_from_vnd is not None and subtotal_vnd >= self.free_from_vnd:
            return 0
        extra_kg = math.ceil(max(0, weight_g - self.base_weight_g) / 1000)
        return self.base_fee_vnd + extra_kg * self.per_kg_vnd

    @classmethod
    def from_config(cls, config) -> ShippingRule:
        """Read SHIPPING_* settings."""
        free_from = config.get("SHIPPING_FREE_FROM_VND")
        return cls(
            base_fee_vnd=int(config.get("SHIPPING_BASE_FEE_VND", 30_000)),
            base_weight_g=int(config.get("SHIPPING_BASE_WEIGHT_G", 1_000)),
            per_kg_vnd=int(config.get("SHIPPING_PER_KG_VND", 10_000)),
            free_from_vnd=int(free_from) if free_from not in (None, "") else None,
        )
