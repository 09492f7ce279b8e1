"""The payment gateway: the only place that talks to Stripe.

Services depend on the `PaymentGateway` protocol; `StripeGateway` is the real one
(the official SDK, pinned API version, explicit timeouts, an idempotency key on
every create) and tests may pass any object with the same methods.
"""

from __future__ import annotations

import logging
import urllib.request
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

import requests
import stripe

from catalogue import json_input
from catalogue.payments.port import FRESHNESS_SECONDS, RailLabels, RailText

log = logging.getLogger(__name__)

STRIPE_API_VERSION = "2024-06-20"
CONNECT_TIMEOUT_SECONDS = 3.05
READ_TIMEOUT_SECONDS = 15
MAX_AMOUNT_VND = 99_999_999  # Stripe takes at most 8 digits


class PaymentUnavailable(Exception):
    """The payment provider could not be reached or refused the call."""


class CardDeclined(Exception):
    """The card was refused. `code` is the provider's reason (`insufficient_funds`, `expired_card`, …),
    what the shop words for the buyer; the provider's own text is for the log only."""

    def __init__(self, code: str, provider_message: str = "") -> None:
        super().__init__(provider_message or code)
        self.code = code
        self.provider_message = provider_message


class InvalidSignature(Exception):
    """A webhook whose signature does not verify."""


class RefundDeclined(PaymentUnavailable):
    """Stripe answered and will not refund (more than the payment still holds, a disputed charge…): `code` is
    Stripe's error code; asking again the same way will not help."""

    def __init__(self, code: str, provider_message: str = "") -> None:
        super().__init__(provider_message or code)
        self.code = code
        self.provider_message = provider_message


@dataclass(frozen=True)
class PaymentIntent:
    id: str
    client_secret: str


@dataclass(frozen=True)
class StripeRefund:
    """One refund as Stripe has it: its id, amount (dong), status and, when the shop asked it, its request id.

    `status`: pending, requires_action, succeeded, failed or canceled (a card refund may fail after it
    succeeded: the card was closed). `request_id` is the idempotency key the shop asked it under, kept
    in its metadata, so the shop finds its own refund whichever of the answer and the event comes first.
    """

    id: str
    status: str
    amount: int
    payment_intent_id: str | None = None
    request_id: str = ""
    failure_reason: str = ""


@dataclass(frozen=True)
class PaymentEvent:
    """What a verified webhook says, reduced to what orders need."""

    id: str
    type: str
    payment_intent_id: str | None
    order_code: str | None
    failure_message: str | None = None  # the provider's text, for the log
    failure_code: str | None = None  # the provider's reason code, what the order keeps
    amount: int | None = None  # what the PaymentIntent received (a charge: its amount), in dong: VND is zero-decimal
    currency: str | None = None  # "vnd" for every PaymentIntent the shop creates
    charge_id: str | None = None  # a charge's id (charge.refunded)
    amount_refunded: int | None = None  # a charge: what Stripe has returned of it so far, in dong
    fully_refunded: bool | None = None  # a charge: Stripe's `refunded` (all of it went back)
    refund: StripeRefund | None = None  # a refund event (refund.created / .updated / .failed): the refund


class PaymentGateway(Protocol):
    publishable_key: str

    def create_payment_intent(self, order_code: str, amount_vnd: int, idempotency_key: str) -> PaymentIntent: ...

    def cancel_payment_intent(self, payment_intent_id: str, idempotency_key: str) -> None: ...

    def confirm_card(self, payment_intent_id: str, payment_method_id: str) -> str: ...

    def refund(
        self, payment_intent_id: str, amount_vnd: int, idempotency_key: str, order_code: str = ""
    ) -> StripeRefund: ...

    def parse_webhook(self, payload: bytes, signature: str | None) -> PaymentEvent: ...

    def payment_intent_status(self, payment_intent_id: str) -> tuple[str, int, str]: ...


class NoStripe:
    """The gateway of a shop whose Stripe keys are unset (production, Stripe off): nothing reaches Stripe.

    Checkout never offers Stripe then (catalogue.payments.registry); should an older card order still
    ask for something, it is told plainly that Stripe is off.
    """

    publishable_key = ""
    message = "Stripe is not configured in this shop."

    def create_payment_intent(self, order_code: str, amount_vnd: int, idempotency_key: str) -> PaymentIntent:
        raise PaymentUnavailable(self.message)

    def cancel_payment_intent(self, payment_intent_id: str, idempotency_key: str) -> None:
        raise PaymentUnavailable(self.message)

    def confirm_card(self, payment_intent_id: str, payment_method_id: str) -> str:
        raise PaymentUnavailable(self.message)

    def refund(
        self, payment_intent_id: str, amount_vnd: int, idempotency_key: str, order_code: str = ""
    ) -> StripeRefund:
        raise PaymentUnavailable(self.message)

    def parse_webhook(self, payload: bytes, signature: str | None) -> PaymentEvent:
        raise InvalidSignature(self.message)

    def payment_intent_status(self, payment_intent_id: str) -> tuple[str, int, str]:
        raise PaymentUnavailable(self.message)


def _session() -> requests.Session:
    """The SDK's HTTP session, not reading the environment on each call.

    requests looks up the proxy variables (HTTPS_PROXY, NO_PROXY…) in the environment on every request it sends
    with `trust_env`: two scans of os.environ, ~0.3 ms of CPU of every order placed. A worker's environment does
    not change, so the gateway reads them once, when it is built (`_proxies_for`). Stripe's own CA bundle is
    passed on each call by the SDK, so no certificate variable is lost."""
    session = requests.Session()
    session.trust_env = False
    return session


def _proxies_for(url: str) -> dict[str, str] | None:
    """The proxies the environment names for `url`, read now: none when NO_PROXY covers its host."""
    host = urlsplit(url).hostname or ""
    if urllib.request.proxy_bypass_environment(host):
        return None
    named = urllib.request.getproxies()
    proxies = {scheme: named[scheme] for scheme in ("http", "https") if scheme in named}
    return proxies or None


class StripeGateway:
    """Stripe through the official SDK; `api_base` points it at localstripe in tests."""

    def __init__(self, secret_key: str, publishable_key: str, webhook_secret: str, api_base: str | None = None):
        self.publishable_key = publishable_key
        self._webhook_secret = webhook_secret
        self._client = stripe.StripeClient(
            secret_key,
            stripe_version=STRIPE_API_VERSION,
            base_addresses={"api": api_base} if api_base else None,
            http_client=stripe.RequestsClient(
                timeout=(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS),
                session=_session(),
                proxy=_proxies_for(api_base or "https://api.stripe.com"),
            ),
            max_network_retries=2,
        )

    def create_payment_intent(self, order_code: str, amount_vnd: int, idempotency_key: str) -> PaymentIntent:
        """One PaymentIntent per order; VND is zero-decimal, so the amount is whole dong."""
        try:
            intent = self._client.v1.payment_intents.create(
                params={
                    "amount": amount_vnd,
                    "currency": "vnd",
                    "payment_method_types": ["card"],
                    "metadata": {"order_code": order_code},
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            log.warning("PaymentIntent for %s failed: %s", order_code, error)
            raise PaymentUnavailable(str(error.user_message or error)) from error
        return PaymentIntent(id=intent.id, client_secret=intent.client_secret)

    def confirm_card(self, payment_intent_id: str, payment_method_id: str) -> str:
        """Attach the card Stripe.js tokenised in the browser and confirm; returns the intent's status.

        `requires_action` means 3-D Secure: the browser finishes it with Stripe.js.
        Whatever this returns, only the signed webhook marks the order paid.
        """
        try:
            self._client.v1.payment_intents.update(payment_intent_id, params={"payment_method": payment_method_id})
            return self._client.v1.payment_intents.confirm(payment_intent_id).status
        except stripe.CardError as error:
            log.info("Card declined for %s: %s (%s)", payment_intent_id, error.user_message, _reason(error))
            raise CardDeclined(_reason(error) or "card_declined", error.user_message or "") from error
        except stripe.InvalidRequestError as error:
            log.info("Payment %s cannot be confirmed: %s (%s)", payment_intent_id, error.user_message, error.code)
            raise CardDeclined("payment_not_retryable", error.user_message or "") from error
        except stripe.StripeError as error:
            raise PaymentUnavailable(str(error.user_message or error)) from error

    def cancel_payment_intent(self, payment_intent_id: str, idempotency_key: str) -> None:
        try:
            self._client.v1.payment_intents.cancel(payment_intent_id, options={"idempotency_key": idempotency_key})
        except stripe.StripeError as error:
            raise PaymentUnavailable(str(error.user_message or error)) from error

    def refund(
        self, payment_intent_id: str, amount_vnd: int, idempotency_key: str, order_code: str = ""
    ) -> StripeRefund:
        """Refund `amount_vnd` (whole dong: VND is zero-decimal) of the PaymentIntent, once per `idempotency_key`.

        Stripe keeps an idempotency key for 24 hours only: a refund asked again later (its answer was lost,
        the office retries days after) is first looked for among the PaymentIntent's refunds by the request
        id its metadata carries, so it is never made twice. RefundDeclined when Stripe says no.
        """
        try:
            earlier = self._refund_asked_as(payment_intent_id, idempotency_key)
            if earlier is not None:
                return earlier
            made = self._client.v1.refunds.create(
                params={
                    "payment_intent": payment_intent_id,
                    "amount": amount_vnd,
                    "metadata": {"order_code": order_code, "request_id": idempotency_key},
                },
                options={"idempotency_key": idempotency_key},
            )
        except (stripe.InvalidRequestError, stripe.IdempotencyError) as error:
            code = error.code or ("idempotency_error" if isinstance(error, stripe.IdempotencyError) else "refused")
            log.info("Stripe refused refund %s of %s: %s (%s)", idempotency_key, payment_intent_id,
                     error.user_message, code)  # fmt: skip
            raise RefundDeclined(code, str(error.user_message or "")) from error
        except stripe.StripeError as error:
            raise PaymentUnavailable(str(error.user_message or error)) from error
        return _refund(made.to_dict())

    def _refund_asked_as(self, payment_intent_id: str, request_id: str) -> StripeRefund | None:
        """The PaymentIntent's refund the shop asked under `request_id`, if Stripe has one."""
        found = self._client.v1.refunds.list(params={"payment_intent": payment_intent_id, "limit": 100})
        for refund in (refund.to_dict() for refund in found.data):
            if (refund.get("metadata") or {}).get("request_id") == request_id:
                return _refund(refund)
        return None

    def payment_intent_status(self, payment_intent_id: str) -> tuple[str, int, str]:
        """The PaymentIntent as Stripe has it now: (status, amount received, currency)."""
        try:
            intent = self._client.v1.payment_intents.retrieve(payment_intent_id)
        except stripe.StripeError as error:
            raise PaymentUnavailable(str(error.user_message or error)) from error
        received = getattr(intent, "amount_received", None)
        received = received if isinstance(received, int) else 0
        return intent.status, received, str(intent.currency or "")

    def parse_webhook(self, payload: bytes, signature: str | None) -> PaymentEvent:
        """Verify `Stripe-Signature` over the raw body and read the event.

        The SDK refuses a signature whose `t` is more than FRESHNESS_SECONDS old (Stripe's own default,
        300 s): Stripe signs every delivery afresh, so an older one is a captured event played again.
        """
        try:
            stripe.WebhookSignature.verify_header(
                payload.decode("utf-8"), signature or "", self._webhook_secret, tolerance=FRESHNESS_SECONDS
            )
            event = json_input.loads(payload)
        except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError) as error:
            raise InvalidSignature(str(error)) from error
        if not isinstance(event, dict) or not isinstance(event.get("data", {}).get("object"), dict):
            raise InvalidSignature("Signed, but not an event.")
        return _payment_event(event)


def _payment_event(event: dict) -> PaymentEvent:
    obj = event["data"]["object"]
    metadata = obj.get("metadata") or {}
    refund = amount_refunded = fully_refunded = None
    if obj.get("object") == "payment_intent":
        intent_id = obj.get("id")
        error = obj.get("last_payment_error") or {}
        error = error if isinstance(error, dict) else {}
        failure = error.get("message")
        failure_code = error.get("decline_code") or error.get("code")
        # Stripe sends amount_received; localstripe, the test server, only the amount asked for.
        amount = obj.get("amount_received") if "amount_received" in obj else obj.get("amount")
    elif obj.get("object") == "refund":  # refund.created / refund.updated / refund.failed / charge.refund.updated
        refund = _refund(obj)
        intent_id, amount, failure, failure_code = refund.payment_intent_id, refund.amount, None, None
    else:  # a charge (charge.refunded): it names its PaymentIntent, and what went back of it so far
        intent_id = obj.get("payment_intent")
        failure = failure_code = None
        amount = obj.get("amount")
        amount_refunded = _whole(obj.get("amount_refunded"))
        fully_refunded = obj["refunded"] if isinstance(obj.get("refunded"), bool) else None
    return PaymentEvent(
        id=event["id"],
        type=event["type"],
        payment_intent_id=intent_id if isinstance(intent_id, str) else None,
        order_code=metadata.get("order_code") if isinstance(metadata, dict) else None,
        failure_message=failure,
        failure_code=failure_code if isinstance(failure_code, str) else None,
        amount=_whole(amount),
        currency=obj.get("currency") if isinstance(obj.get("currency"), str) else None,
        charge_id=obj.get("id") if obj.get("object") == "charge" and isinstance(obj.get("id"), str) else None,
        amount_refunded=amount_refunded,
        fully_refunded=fully_refunded,
        refund=refund,
    )


def _refund(obj: dict) -> StripeRefund:
    """A Stripe refund object (an API answer or an event's) as the shop reads it."""
    metadata = obj.get("metadata") or {}
    metadata = metadata if isinstance(metadata, dict) else {}
    intent = obj.get("payment_intent")
    intent = intent.get("id") if isinstance(intent, dict) else intent  # expanded, or its id
    return StripeRefund(
        id=str(obj.get("id") or ""),
        status=str(obj.get("status") or ""),
        amount=_whole(obj.get("amount")) or 0,
        payment_intent_id=intent if isinstance(intent, str) else None,
        request_id=str(metadata.get("request_id") or ""),
        failure_reason=str(obj.get("failure_reason") or ""),
    )


def _whole(value: object) -> int | None:
    """An amount as Stripe sent it, when it is a whole number (VND is zero-decimal)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _reason(error: stripe.StripeError) -> str | None:
    """The most precise reason Stripe gives: the issuer's decline code, else the error code."""
    details = getattr(error, "error", None)
    decline_code = getattr(details, "decline_code", None) if details is not None else None
    return decline_code or error.code


# Stripe's words wherever the shop names the rail.
STRIPE_LABELS = RailLabels(
    brand="Stripe",
    vi=RailText(
        name="Thẻ quốc tế (Visa/Mastercard)",
        description="Nhập thẻ trên trang đơn hàng, bảo mật bởi Stripe.",
        how="Sau khi đặt hàng, bạn nhập thông tin thẻ ngay trên trang đơn hàng. Thông tin thẻ được mã hoá "
        "và gửi thẳng tới Stripe (đạt chuẩn PCI DSS); chúng tôi không nhìn thấy và không lưu số thẻ. "
        "Ngân hàng có thể yêu cầu xác thực 3-D Secure (mã OTP). Số tiền được trừ bằng đồng Việt Nam.",
        refund="Tiền được hoàn về đúng thẻ đã thanh toán; ngân hàng thường ghi có sau 5–10 ngày làm việc.",
        short="Thẻ quốc tế",
    ),
    en=RailText(
        name="International card (Visa/Mastercard)",
        description="Enter your card on the order page, secured by Stripe.",
        how="Once the order is placed you enter your card on the order page. The card details are encrypted and "
        "sent straight to Stripe (PCI DSS compliant); we never see or store the card number. Your bank may ask for "
        "3-D Secure (a one-time code). The amount is charged in Vietnamese dong.",
        refund="Money goes back to the card that paid; banks usually credit it within 5–10 working days.",
        short="International card",
    ),
    invoice="Thẻ",
)
