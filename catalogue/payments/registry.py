"""Which rails this shop knows and which its settings turn on, in the order the checkout offers them.

Every rail is one entry of `KNOWN`: its name, its labels and how it builds itself from the
settings (None: off). A rail is on when all its settings are set: VietQR (VIETQR_*; the demo
account in development), VNPay (VNPAY_TMN_CODE, VNPAY_HASH_SECRET), MoMo (MOMO_PARTNER_CODE,
MOMO_ACCESS_KEY, MOMO_SECRET_KEY), ZaloPay (ZALOPAY_APP_ID, ZALOPAY_KEY1, ZALOPAY_KEY2), Stripe
(real keys, STRIPE_API_BASE, or a gateway handed in by tests; off in production while its three
keys are unset). An API call without `payment_method` gets Stripe when Stripe is on (so
today's clients keep working, contract §7), else the first rail offered.

Adding a rail is one line here and its own package: its routes (`/webhooks/<name>`,
`/payments/<name>/return`), its answers, its labels and the origin the CSP lets the buyer go
to all come from the rail object.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from catalogue.config import STRIPE_KEYS, STRIPE_PLACEHOLDER_SECRET, ConfigError, half_set
from catalogue.errors import InvalidInput
from catalogue.payments import bank_feeds, momo, vietqr, vnpay, zalopay
from catalogue.payments.bank_feeds import BankFeedKeys
from catalogue.payments.port import RailLabels, RedirectRail, origin_of
from catalogue.payments.stripe_rail import StripeRail
from catalogue.payments.vietqr import VietQRProvider

STRIPE = StripeRail.name
# The rail a bank transfer pays by: the bank feeds settle it, a refund by hand goes back by it, and the live page
# offers its QR first. Code outside this package says BANK_TRANSFER, never the rail's name.
BANK_TRANSFER = VietQRProvider.name


@dataclass(frozen=True)
class KnownRail:
    """A rail the shop can take: its name, how people read it, and how it builds itself from the settings."""

    name: str
    labels: RailLabels
    build: Callable[[Mapping], object | None]
    required: tuple[str, ...] = ()  # the settings it needs all of; some but not all is a mistake to name


def _vietqr(config: Mapping) -> VietQRProvider | None:
    return vietqr.from_config(config, allow_demo=config.get("CATALOGUE_ENV") == "development")


def _stripe(config: Mapping) -> bool | None:
    return stripe_configured(config) or None


# The checkout offers them in this order (VietQR first: no fee, every bank).
KNOWN = (
    KnownRail(VietQRProvider.name, VietQRProvider.labels, _vietqr, vietqr.REQUIRED_SETTINGS),
    KnownRail(vnpay.VNPay.name, vnpay.VNPay.labels, vnpay.from_config, vnpay.REQUIRED_SETTINGS),
    KnownRail(momo.MoMo.name, momo.MoMo.labels, momo.from_config, momo.REQUIRED_SETTINGS),
    KnownRail(zalopay.ZaloPay.name, zalopay.ZaloPay.labels, zalopay.from_config, zalopay.REQUIRED_SETTINGS),
    KnownRail(STRIPE, StripeRail.labels, _stripe),  # its three keys are checked with the rest of Stripe's (config)
)
NAMES = tuple(rail.name for rail in KNOWN)
_LABELS = {rail.name: rail.labels for rail in KNOWN}


def labels_of(name: str | None) -> RailLabels | None:
    """How rail `name` is read (also for rails since switched off: old orders keep their rail); None if unknown."""
    return _LABELS.get(name or "")


def rail_brand(name: str | None) -> str:
    """Rail `name`'s brand as its records say it ("Stripe", "MoMo"); the raw name for a rail the shop does not know."""
    labels = labels_of(name)
    return labels.brand if labels else (name or "")


def rail_name(name: str | None, locale: str = "vi") -> str:
    """Rail `name` as people read it in `locale`; the raw name for a rail the shop does not know."""
    labels = labels_of(name)
    return labels.in_locale(locale).name if labels else (name or "")


class Rails:
    """The rails this shop's settings turned on (each provider object), and the bank feeds that report transfers."""

    def __init__(self, *, stripe: bool = False, bank_feeds: BankFeedKeys | None = None, **providers: object) -> None:
        unknown = set(providers) - set(NAMES)
        if unknown:
            raise ValueError(f"unknown payment rails: {', '.join(sorted(unknown))}")
        self._providers = {name: provider for name, provider in providers.items() if provider}
        self.stripe = bool(stripe)
        self.bank_feeds = bank_feeds

    @classmethod
    def from_config(cls, config: Mapping) -> Rails:
        """Every rail its settings turn on."""
        built = {rail.name: rail.build(config) for rail in KNOWN}
        return cls(stripe=bool(built.pop(STRIPE)), bank_feeds=bank_feeds.from_config(config), **built)

    def replaced(self, **providers: object) -> Rails:
        """These rails with some providers swapped (None: that rail off); the rest as they are."""
        return Rails(stripe=self.stripe, bank_feeds=self.bank_feeds, **{**self._providers, **providers})

    @property
    def methods(self) -> tuple[str, ...]:
        """The rails on, in the order the checkout offers them (VietQR first)."""
        return tuple(name for name in NAMES if (self.stripe if name == STRIPE else name in self._providers))

    def get(self, name: str):
        """The provider of rail `name` when it is on (None when off, and for Stripe, whose gateway is apart)."""
        return self._providers.get(name)

    def redirect_rail(self, name: str) -> RedirectRail | None:
        """Rail `name` when on and it sends the buyer to its provider (its notices come to /webhooks/<name>)."""
        provider = self._providers.get(name)
        return provider if provider is not None and hasattr(provider, "read_notification") else None

    @property
    def handoff_origins(self) -> tuple[str, ...]:
        """The origins of every configured rail's own pay page, where the shop sends the buyer's browser.

        The checkout and the order page allow exactly these for `form-action`, since their posts
        answer a 303 there (Chromium checks form-action on that redirect too).
        """
        rails = (self.redirect_rail(name) for name in self._providers)
        return tuple(dict.fromkeys(origin for rail in rails if rail is not None for origin in rail.handoff_origins))

    def is_redirect_rail(self, method: str | None) -> bool:
        """True when `method` is on and pays on its gateway's own page."""
        return self.redirect_rail(method or "") is not None

    def hands_off_to(self, url: str) -> bool:
        """True when `url` is on one of the configured gateways' origins (a browser may be sent there)."""
        try:
            return origin_of(url) in self.handoff_origins
        except ValueError:
            return False

    @property
    def vietqr(self) -> VietQRProvider | None:
        """The bank account transfers are made to (the bank feeds report them), when VietQR is on."""
        return self._providers.get(VietQRProvider.name)

    @property
    def is_demo(self) -> bool:
        """True when VietQR points at the demo account: no one should pay it."""
        return bool(self.vietqr and self.vietqr.account.is_demo)

    @property
    def demo_method(self) -> str | None:
        """The rail whose demo account the checkout warns of (only while that rail is chosen), or None."""
        return VietQRProvider.name if self.is_demo else None

    def default_method(self) -> str | None:
        """Stripe when it is on (contract §7), else the first rail offered; None when none is."""
        if self.stripe:
            return STRIPE
        return self.methods[0] if self.methods else None

    def choose(self, method: str | None) -> str:
        """The rail to pay with: the one asked for if it is on, else a 422 naming `payment_method`."""
        chosen = method or self.default_method()
        if chosen is None:
            raise InvalidInput("No payment method is configured.", {"payment_method": ["No payment method is on."]})
        if chosen not in NAMES:
            raise InvalidInput(
                f"Unknown payment method {chosen!r}.",
                {"payment_method": [f"One of: {', '.join(NAMES)}."]},
                code="payment.method_unavailable",
            )
        if chosen not in self.methods:
            offered = ", ".join(self.methods) or "none"
            raise InvalidInput(
                f"Payment by {chosen} is not available in this shop.",
                {"payment_method": [f"Not configured here; available: {offered}."]},
                code="payment.method_unavailable",
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


def require_a_rail(config: Mapping) -> None:
    """A shop in production must be able to take money: Stripe or a domestic rail, at least one.

    A rail with only some of its settings would be silently off; it refuses to start instead, naming what is missing.
    """
    for rail in KNOWN:
        partly = half_set(config, rail.required)
        if partly:
            brand = rail.labels.brand
            raise ConfigError(f"{partly}: set all of {brand}'s settings to take {brand}, or none to leave it off.")
    try:
        rails = rails_from_config(config)
    except ValueError as error:  # a rail's setting in the wrong shape (a BIN that is not 6 digits, …)
        raise ConfigError(str(error)) from error
    if not rails.methods:
        domestic = ", ".join(f"{rail.labels.brand} ({', '.join(rail.required)})" for rail in KNOWN if rail.required)
        raise ConfigError(
            f"No payment rail is configured: set the Stripe keys ({', '.join(STRIPE_KEYS)}), {domestic}: "
            "a shop in production must take money."
        )


def rails_from_config(config: Mapping) -> Rails:
    """Every rail its settings turn on; VietQR's demo account only in development."""
    return Rails.from_config(config)


def available_methods(config: Mapping) -> tuple[str, ...]:
    """The rails the checkout may offer with these settings, VietQR first (for the checkout page)."""
    return rails_from_config(config).methods
