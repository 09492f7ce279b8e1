"""The one small interface every payment rail sits behind (VietQR, VNPay, MoMo, ZaloPay, Stripe).

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
from datetime import UTC, datetime, timedelta, timezone
from typing import Protocol
from urllib.parse import urlsplit

VIETNAM_TIME = timezone(timedelta(hours=7), "GMT+7")  # VNPay dates, bank feeds' local times


class NotificationRefused(Exception):
    """A notification that must change nothing; the webhook answers what its provider expects."""


class BadSignature(NotificationRefused):
    """Unsigned, forged or tampered: the signature or key does not verify."""


class MalformedNotification(NotificationRefused):
    """Signed (or unsignable) but not in the provider's shape: missing fields, bad JSON, bad numbers."""


class StaleNotification(BadSignature):
    """Signed, but signed too long ago (or in the future): a captured notification played again.

    A signature alone proves who wrote a message, not when it was sent; answered as a bad signature.
    """


# How old a signed notification may be. Stripe's own default tolerance, and the same idea for
# Casso's `t` and Shopee's `timestamp`: providers send within seconds and sign each delivery
# again, so a message older than this is a replay. A little future skew is allowed for the
# providers' clocks running ahead of ours; more than that cannot be an honest message.
FRESHNESS_SECONDS = 300
FUTURE_SKEW_SECONDS = 60


def check_fresh(sent_at: datetime, now: datetime, what: str) -> None:
    """Refuse a notification signed more than FRESHNESS_SECONDS before `now`, or beyond the skew after it."""
    age = (now - sent_at).total_seconds()
    if age > FRESHNESS_SECONDS:
        raise StaleNotification(f"{what} was signed {int(age)} s ago; at most {FRESHNESS_SECONDS} s is accepted")
    if age < -FUTURE_SKEW_SECONDS:
        raise StaleNotification(f"{what} is dated {int(-age)} s in the future")


def epoch_time(value: object, what: str) -> datetime:
    """A Unix time in seconds or milliseconds (13 digits: Casso's `t`) as an aware UTC datetime.

    Any value of 10^11 or more is read as milliseconds: in seconds it would be the year 5138.
    """
    text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""
    if not (text.isascii() and text.isdigit() and len(text) <= 14):
        raise MalformedNotification(f"{what} is not a Unix time")
    number = int(text)
    return datetime.fromtimestamp(number / 1000 if number >= 10**11 else number, UTC)


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
    client_secret: str | None = None  # Stripe: what Stripe.js confirms the card with on the order page


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
    sent_at: datetime | None = None  # when the provider says it sent it, where it says (a freshness window applies)
    currency: str = "vnd"  # what the provider says the amount is in: anything but dong never matches an attempt
    error_code: str = ""  # a failure's reason as the order keeps it (the pages word it); default <provider>_<message>
    # PAYMENT: money in (or its failure). REFUND: what the provider has returned of the payment so far (Stripe's
    # charge.refunded: details `amount_refunded`, `fully_refunded`). REFUND_STATUS: one refund by the provider's
    # id (`raw_id`), its amount and details `status` (succeeded, pending, failed…) and `request_id` (the shop's).
    kind: str = "payment"


PAYMENT, REFUND, REFUND_STATUS = "payment", "refund", "refund_status"  # PaymentNotice.kind


@dataclass(frozen=True)
class RefundOutcome:
    """What happened when money had to go back."""

    provider: str
    by_hand: bool  # True: the office returns it (bank transfers cannot be refunded by API)
    reference: str = ""
    message: str = ""
    pending: bool = False  # True: the provider took it and its own notification confirms it (Stripe's)


@dataclass(frozen=True)
class RailText:
    """A rail as people read it in one language."""

    name: str  # the checkout, the order page, emails, reports, the portal
    description: str  # one line at the checkout
    how: str  # the payment policy page: how paying works
    refund: str  # the payment policy page: how money goes back
    refunded_to: str = ""  # the email once its API returned money: "ví MoMo của bạn"
    short: str = ""  # inside a sentence (the order page, its money story, the office's pages) when `name` is long

    @property
    def short_name(self) -> str:
        """The name a sentence carries: `short` when the checkout's `name` adds a hint, else `name`."""
        return self.short or self.name


@dataclass(frozen=True)
class RailLabels:
    """How a rail is named wherever the shop shows it, Vietnamese first; the e-invoice's payment method (HTToan)."""

    brand: str  # the provider's own name, the same in every language: "MoMo"
    vi: RailText
    en: RailText
    invoice: str

    def in_locale(self, locale: str) -> RailText:
        """The rail's words in `locale` (Vietnamese unless English)."""
        return self.en if locale == "en" else self.vi


@dataclass(frozen=True)
class Inbound:
    """A provider's HTTP call (a notification, or the buyer's browser coming back) as plain values."""

    method: str
    args: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class Answer:
    """What a webhook answers its provider, in that provider's format."""

    status: int
    body: Mapping[str, object] | str = ""


@dataclass(frozen=True)
class ReturnResult:
    """The buyer's browser back from a gateway: which order, and what the gateway said (a hint, never a payment)."""

    order_code: str
    result: str  # succeeded, failed, pending


# What a notice did to its order (catalogue.orders.settlement.record_notice), for the rail to word its answer.
UNKNOWN_ATTEMPT, DUPLICATE, WRONG_AMOUNT, STALE = "unknown_attempt", "duplicate", "wrong_amount", "stale"
# A failure told after the attempt succeeded: nothing to apply, yet not the same notice again (Stripe's
# payment_failed of an earlier card after the success). Rails answer it as they answer a duplicate.
ALREADY_SETTLED = "already_settled"
# A genuine notice naming an order but not one of its attempts (another PaymentIntent), kept on that order as rejected.
STRAY = "stray"


def notice_refusal(
    notice: PaymentNotice, attempt_amount_vnd: int | None, attempt_state: str | None, already_recorded: bool
) -> str | None:
    """Why a verified notice must not be applied, in the order the providers check it; None: apply it.

    The attempt it names (unknown_attempt when there is none), its amount and currency (wrong_amount),
    then a result already recorded (duplicate: this notice, a success, or a failure told again;
    already_settled: a failure after the success). A success after a recorded failure is applied: money came.
    """
    if attempt_amount_vnd is None:
        return UNKNOWN_ATTEMPT
    said_amount = notice.succeeded or notice.amount_vnd  # a failure without an amount moved no money to check
    if said_amount and (notice.currency != "vnd" or notice.amount_vnd != attempt_amount_vnd):
        return WRONG_AMOUNT
    if already_recorded or (attempt_state == "succeeded" and notice.succeeded):
        return DUPLICATE
    if attempt_state == "failed" and not notice.succeeded:
        return DUPLICATE
    return ALREADY_SETTLED if attempt_state == "succeeded" else None


class PaymentProvider(Protocol):
    name: str

    def start(self, order: OrderFacts) -> PaymentStart: ...

    def refund(self, notice: PaymentNotice, amount_vnd: int, reason: str) -> RefundOutcome: ...


class RefundsByApi(Protocol):
    """A rail whose provider returns money by API (catalogue.orders.refunds asks it; issue 20).

    `refunds_by_api` says whether it can now (VNPay only with its refund API configured). The
    request id comes from the payment and the amount (`refund_reference`; `part` names a partial
    refund such as a returned parcel, so two parts of one payment are two refunds), is stored before the
    provider is asked and is passed back as `request_id`, so asking twice is one refund.
    `refund` raises ProviderRefused when the provider says no (`unconfirmed_refund_codes`: it may
    have refunded, a person checks) and ProviderUnavailable when it does not answer.
    """

    name: str
    labels: RailLabels
    refunds_by_api: bool
    unconfirmed_refund_codes: tuple[object, ...]

    def refundable(self, payment: PaymentNotice, amount_vnd: int) -> bool: ...

    def refund_reference(
        self, payment: PaymentNotice, amount_vnd: int, refused_before: int = 0, part: str = ""
    ) -> str: ...

    def refund(self, payment: PaymentNotice, amount_vnd: int, reason: str, request_id: str) -> RefundOutcome: ...


class RedirectRail(PaymentProvider, Protocol):
    """A rail whose buyer leaves for the provider's page and whose provider calls `/webhooks/<name>` back.

    Nothing outside the rail's own module names it: its routes, its answers, its labels and
    the origin the shop's CSP lets the buyer go to all come from here.
    """

    labels: RailLabels
    starts_online: bool  # True: `start` calls the provider, so it runs with no transaction open
    notification_methods: tuple[str, ...]  # the HTTP methods its notifications come by

    @property
    def handoff_origins(self) -> tuple[str, ...]: ...  # where the buyer's browser is sent: the CSP allows them

    def read_notification(self, inbound: Inbound) -> PaymentNotice: ...

    def answer(self, outcome: str | None, error: Exception | None = None) -> Answer: ...

    def read_return(self, inbound: Inbound) -> ReturnResult: ...


_DEFAULT_PORTS = {"http": ":80", "https": ":443"}


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of an absolute URL, as a Content-Security-Policy source and a browser's `Origin`
    header name it: lower case, no user, no default port (`https://x:443/a` is `https://x`)."""
    parts = urlsplit(url)
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"{url!r} is not an absolute http(s) URL")
    host = parts.netloc.rpartition("@")[2].lower()
    return f"{parts.scheme}://{host.removesuffix(_DEFAULT_PORTS[parts.scheme])}"


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
