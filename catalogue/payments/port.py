"""The one small interface every payment rail sits behind (VietQR, VNPay, MoMo; Stripe to follow).

A provider turns an order's facts into what the buyer needs (`start`), turns a provider's
notification into a `PaymentNotice` the order ledger can record (`verify`), and says whether
money can go back by API or must be returned by hand (`refund`). Providers take plain values;
each module's `from_config(config)` builds one from settings, or None when it is not configured.
A rail that sends the buyer's browser to its own page (VNPay, MoMo) declares that page's origin
as `handoff_origins`: the pages that post to a hand-off allow exactly those origins (issue 20).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Protocol
from urllib.parse import urlsplit

VIETNAM_TIME = timezone(timedelta(hours=7), "GMT+7")  # VNPay dates, bank feeds' local times


class NotificationRefused(Exception):
    """A notification that must change nothing; the webhook answers what its provider expects."""


class BadSignature(NotificationRefused):
    """Unsigned, forged or tampered: the signature or key does not verify."""


class MalformedNotification(NotificationRefused):
    """Signed (or unsignable) but not in the provider's shape: missing fields, bad JSON, bad numbers."""


class ProviderUnavailable(Exception):
    """The provider could not be reached, or refused the call; the message is safe to log."""


class ProviderRefused(ProviderUnavailable):
    """The provider answered and said no (MoMo's non-zero resultCode): asking again the same way will not help."""

    def __init__(self, provider: str, code: object, provider_message: str = "") -> None:
        super().__init__(f"{provider} refused: {code} {provider_message}".rstrip())
        self.provider, self.code, self.provider_message = provider, code, provider_message


@dataclass(frozen=True)
class OrderFacts:
    """What a provider needs to know about one payment attempt of an order."""

    order_code: str
    amount_vnd: int
    attempt_reference: str  # unique per attempt: VNPay's vnp_TxnRef, MoMo's orderId
    description: str  # shown by the provider; plain ASCII is safest
    return_url: str = ""
    notify_url: str = ""
    buyer_ip: str = "127.0.0.1"
    locale: str = "vn"
    created_at: datetime | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True)
class TransferInstructions:
    """What the buyer types or scans to pay by bank transfer."""

    bank_bin: str
    account_no: str
    account_name: str
    amount_vnd: int
    content: str  # the transfer content carrying the order code
    payload: str  # the EMVCo string in the QR
    svg: str  # the QR drawn on the server
    is_demo: bool = False


@dataclass(frozen=True)
class PaymentStart:
    """What the checkout hands the buyer for one attempt."""

    provider: str
    reference: str  # what the provider's notice will carry back
    redirect_url: str | None = None  # VNPay's pay page, MoMo's payUrl
    transfer: TransferInstructions | None = None  # VietQR


@dataclass(frozen=True)
class PaymentNotice:
    """A verified notification, normalised: the ledger records it, deduplicated on (provider, raw_id)."""

    provider: str
    reference: str  # the attempt reference (VNPay TxnRef, MoMo orderId, bank transaction reference)
    order_code: str | None  # None: a bank transfer whose content names no order
    amount_vnd: int
    succeeded: bool
    raw_id: str  # the provider's id for this event, for deduplication
    message: str = ""
    details: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RefundOutcome:
    """What happened when money had to go back."""

    provider: str
    by_hand: bool  # True: the office returns it (bank transfers cannot be refunded by API)
    reference: str = ""
    message: str = ""


class PaymentProvider(Protocol):
    name: str

    def start(self, order: OrderFacts) -> PaymentStart: ...

    def refund(self, notice: PaymentNotice, amount_vnd: int, reason: str) -> RefundOutcome: ...


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of an absolute URL, as a Content-Security-Policy source names it."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an absolute http(s) URL")
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2].lower()}"


def attempt_reference(order_code: str, attempt: int) -> str:
    """The reference of an order's n-th payment attempt: `QN-ABCD-EFGH-2` (VNPay and MoMo both accept it)."""
    if attempt < 1:
        raise ValueError("attempts are numbered from 1")
    return f"{order_code}-{attempt}"


def order_code_of(reference: str) -> str:
    """The order code inside an attempt reference made by `attempt_reference`."""
    code, _, attempt = reference.rpartition("-")
    if not code or not attempt.isdigit():
        raise MalformedNotification(f"{reference!r} is not an attempt reference")
    return code


def required_settings(config: Mapping, *names: str) -> dict[str, str] | None:
    """The named settings when all are set and non-empty, else None (the rail is off)."""
    values = {name: config.get(name) for name in names}
    if not all(isinstance(value, str) and value.strip() for value in values.values()):
        return None
    return {name: value.strip() for name, value in values.items()}
