"""The payment gateway: the only place that talks to Stripe.

Services depend on the `PaymentGateway` protocol; `StripeGateway` is the real one
(the official SDK, pinned API version, explicit timeouts, an idempotency key on
every create) and tests may pass any object with the same methods.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

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


@dataclass(frozen=True)
class PaymentIntent:
    id: str
    client_secret: str


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


class PaymentGateway(Protocol):
    publishable_key: str

    def create_payment_intent(self, order_code: str, amount_vnd: int, idempotency_key: str) -> PaymentIntent: ...

    def cancel_payment_intent(self, payment_intent_id: str, idempotency_key: str) -> None: ...

    def confirm_card(self, payment_intent_id: str, payment_method_id: str) -> str: ...

    def refund(self, payment_intent_id: str, idempotency_key: str) -> None: ...

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

    def refund(self, payment_intent_id: str, idempotency_key: str) -> None:
        raise PaymentUnavailable(self.message)

    def parse_webhook(self, payload: bytes, signature: str | None) -> PaymentEvent:
        raise InvalidSignature(self.message)

    def payment_intent_status(self, payment_intent_id: str) -> tuple[str, int, str]:
        raise PaymentUnavailable(self.message)


class StripeGateway:
    """Stripe through the official SDK; `api_base` points it at localstripe in tests."""

    def __init__(self, secret_key: str, publishable_key: str, webhook_secret: str, api_base: str | None = None):
        self.publishable_key = publishable_key
        self._webhook_secret = webhook_secret
        self._client = stripe.StripeClient(
            secret_key,
            stripe_version=STRIPE_API_VERSION,
            base_addresses={"api": api_base} if api_base else None,
            http_client=stripe.RequestsClient(timeout=(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS)),
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

    def refund(self, payment_intent_id: str, idempotency_key: str) -> None:
        try:
            self._client.v1.refunds.create(
                params={"payment_intent": payment_intent_id}, options={"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as error:
            raise PaymentUnavailable(str(error.user_message or error)) from error

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
    if obj.get("object") == "payment_intent":
        intent_id = obj.get("id")
        error = obj.get("last_payment_error") or {}
        error = error if isinstance(error, dict) else {}
        failure = error.get("message")
        failure_code = error.get("decline_code") or error.get("code")
        # Stripe sends amount_received; localstripe, the test server, only the amount asked for.
        amount = obj.get("amount_received") if "amount_received" in obj else obj.get("amount")
    else:  # a charge (charge.refunded): it names its PaymentIntent
        intent_id = obj.get("payment_intent")
        failure = failure_code = None
        amount = obj.get("amount")
    return PaymentEvent(
        id=event["id"],
        type=event["type"],
        payment_intent_id=intent_id,
        order_code=metadata.get("order_code"),
        failure_message=failure,
        failure_code=failure_code if isinstance(failure_code, str) else None,
        amount=amount if isinstance(amount, int) and not isinstance(amount, bool) else None,
        currency=obj.get("currency") if isinstance(obj.get("currency"), str) else None,
        charge_id=obj.get("id") if obj.get("object") == "charge" and isinstance(obj.get("id"), str) else None,
    )


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
