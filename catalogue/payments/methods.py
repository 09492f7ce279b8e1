"""Which rails this shop offers, built once from its settings (contract §7).

A rail is on when its settings are set: VietQR (VIETQR_*; the demo account in development),
VNPay (VNPAY_TMN_CODE, VNPAY_HASH_SECRET), MoMo (MOMO_PARTNER_CODE, MOMO_ACCESS_KEY,
MOMO_SECRET_KEY), Stripe (real keys, STRIPE_API_BASE, or a gateway handed in by tests; off in
production while its three keys are unset).
The checkout offers them VietQR first; an API call without `payment_method` gets Stripe when
Stripe is on (so today's clients keep working), else the first rail offered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

from catalogue.config import STRIPE_PLACEHOLDER_SECRET
from catalogue.errors import InvalidInput
from catalogue.payments import bank_feeds, momo, vietqr, vnpay
from catalogue.payments.bank_feeds import BankFeedKeys
from catalogue.payments.models import METHODS
from catalogue.payments.momo import MoMo
from catalogue.payments.port import origin_of
from catalogue.payments.vietqr import VietQRProvider
from catalogue.payments.vnpay import VNPay

OFFER_ORDER = ("vietqr", "vnpay", "momo", "stripe")  # what the checkout shows first


@dataclass(frozen=True)
class Rails:
    """The configured providers; None where a rail is off."""

    vietqr: VietQRProvider | None = None
    vnpay: VNPay | None = None
    momo: MoMo | None = None
    stripe: bool = False
    bank_feeds: BankFeedKeys | None = None

    @property
    def methods(self) -> tuple[str, ...]:
        """The rails on, in the order the checkout offers them (VietQR first)."""
        return tuple(name for name in OFFER_ORDER if getattr(self, name))

    @property
    def handoff_origins(self) -> tuple[str, ...]:
        """The origins of every configured rail's own pay page, where the shop sends the buyer's browser.

        Any rail declaring `handoff_origins` counts (VNPay, MoMo, the next one too): the checkout and
        the order page allow exactly these for `form-action`, since their posts answer a 303 there.
        """
        origins: dict[str, None] = {}
        for rail in fields(self):
            for origin in getattr(getattr(self, rail.name), "handoff_origins", ()):
                origins[origin] = None
        return tuple(origins)

    def is_redirect_rail(self, method: str | None) -> bool:
        """True when `method` is on and pays on its gateway's own page (it declares `handoff_origins`)."""
        return method in self.methods and bool(getattr(getattr(self, method), "handoff_origins", ()))

    def hands_off_to(self, url: str) -> bool:
        """True when `url` is on one of the configured gateways' origins (a browser may be sent there)."""
        try:
            return origin_of(url) in self.handoff_origins
        except ValueError:
            return False

    @property
    def is_demo(self) -> bool:
        """True when VietQR points at the demo account: no one should pay it."""
        return bool(self.vietqr and self.vietqr.account.is_demo)

    def default_method(self) -> str | None:
        """Stripe when it is on (contract §7), else the first rail offered; None when none is."""
        if self.stripe:
            return "stripe"
        return self.methods[0] if self.methods else None

    def choose(self, method: str | None) -> str:
        """The rail to pay with: the one asked for if it is on, else a 422 naming `payment_method`."""
        chosen = method or self.default_method()
        if chosen is None:
            raise InvalidInput("No payment method is configured.", {"payment_method": ["No payment method is on."]})
        if chosen not in METHODS:
            raise InvalidInput(
                f"Unknown payment method {chosen!r}.", {"payment_method": [f"One of: {', '.join(METHODS)}."]}
            )
        if chosen not in self.methods:
            offered = ", ".join(self.methods) or "none"
            raise InvalidInput(
                f"Payment by {chosen} is not available in this shop.",
                {"payment_method": [f"Not configured here; available: {offered}."]},
            )
        return chosen


def stripe_configured(config: Mapping) -> bool:
    """Stripe is on with real keys, a STRIPE_API_BASE (localstripe), or a gateway given by the tests.

    Off without a secret key: production leaves the three keys unset for a shop without cards.
    """
    if config.get("PAYMENT_GATEWAY"):
        return True
    secret = config.get("STRIPE_SECRET_KEY")
    return bool(secret) and (bool(config.get("STRIPE_API_BASE")) or secret != STRIPE_PLACEHOLDER_SECRET)


def rails_from_config(config: Mapping) -> Rails:
    """Every rail its settings turn on; VietQR's demo account only in development."""
    return Rails(
        vietqr=vietqr.from_config(config, allow_demo=config.get("CATALOGUE_ENV") == "development"),
        vnpay=vnpay.from_config(config),
        momo=momo.from_config(config),
        stripe=stripe_configured(config),
        bank_feeds=bank_feeds.from_config(config),
    )


def available_methods(config: Mapping) -> tuple[str, ...]:
    """The rails the checkout may offer with these settings, VietQR first (for the checkout page)."""
    return rails_from_config(config).methods
