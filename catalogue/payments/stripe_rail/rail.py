"""Stripe as a rail: the port's start, verify, status and refund over the shop's Stripe gateway.

A PaymentIntent is the attempt (its id is the attempt's reference); a signed event becomes a
`PaymentNotice` the one settlement path records: `payment_intent.succeeded` money in (deduplicated
on the ledger by the PaymentIntent's id, its amount and currency checked against the attempt),
`payment_intent.payment_failed` the attempt failing, `charge.refunded` the payment returned
(kind REFUND, deduplicated on the charge). Other event types change nothing (`NothingToApply`).
A refund is asked under `refund-<order code>` (what every Stripe refund of an order has been
asked as), and only taken: `charge.refunded` finishes it, so the outcome is `pending`.
"""

from __future__ import annotations

import logging

from catalogue.payments.port import (
    ALREADY_SETTLED,
    REFUND,
    STRAY,
    UNKNOWN_ATTEMPT,
    WRONG_AMOUNT,
    Answer,
    BadSignature,
    Inbound,
    MalformedNotification,
    NotificationRefused,
    OrderFacts,
    PaymentNotice,
    PaymentStart,
    ProviderUnavailable,
    RefundOutcome,
    ReturnResult,
)
from catalogue.payments.stripe_rail.gateway import (
    STRIPE_LABELS,
    InvalidSignature,
    PaymentEvent,
    PaymentGateway,
    PaymentUnavailable,
)

log = logging.getLogger(__name__)
NAME = "stripe"
SUCCEEDED, FAILED, REFUNDED = "payment_intent.succeeded", "payment_intent.payment_failed", "charge.refunded"

# What the webhook's `outcome` says for each settlement outcome (the rest are said as they are).
_OUTCOME_WORDS = {
    WRONG_AMOUNT: "rejected",
    STRAY: "rejected",
    UNKNOWN_ATTEMPT: "ignored",
    ALREADY_SETTLED: "unchanged",
    "surplus": "unchanged",  # a card payment on an order another rail paid: flagged for the office
    "partly_paid": "unchanged",
}


class NothingToApply(NotificationRefused):
    """A genuine event of a type the shop does not act on: acknowledged, nothing recorded."""


class StripeRail:
    """International cards through Stripe: a PaymentIntent per order, paid on the order page with Stripe.js."""

    name = NAME
    labels = STRIPE_LABELS
    starts_online = True
    notification_methods = ("POST",)
    handoff_origins: tuple[str, ...] = ()  # the card is entered on the shop's own page
    refunds_by_api = True
    unconfirmed_refund_codes: tuple[object, ...] = ()
    keeps_strays = True  # an event of another PaymentIntent naming an order is kept on it, rejected

    def __init__(self, gateway: PaymentGateway):
        self.gateway = gateway

    @property
    def publishable_key(self) -> str:
        return self.gateway.publishable_key

    # --- start ----------------------------------------------------------------------------

    def start(self, order: OrderFacts) -> PaymentStart:
        """The order's PaymentIntent (one per order: the idempotency key makes asking again the same one)."""
        try:
            intent = self.gateway.create_payment_intent(
                order.order_code, order.amount_vnd, idempotency_key=f"order-{order.order_code}"
            )
        except PaymentUnavailable as error:
            raise ProviderUnavailable(f"Stripe could not create the PaymentIntent: {error}") from error
        return PaymentStart(provider=NAME, reference=intent.id, client_secret=intent.client_secret)

    # --- notifications ----------------------------------------------------------------------

    def read_notification(self, inbound: Inbound) -> PaymentNotice:
        """Verify `Stripe-Signature` (and its 300 s window) over the raw body; the event as a notice."""
        signature = next((value for name, value in inbound.headers.items() if name.lower() == "stripe-signature"), None)
        try:
            event = self.gateway.parse_webhook(inbound.body, signature)
        except InvalidSignature as error:
            raise BadSignature(str(error)) from error
        return self.verify(event)

    def verify(self, event: PaymentEvent) -> PaymentNotice:
        """A verified event as the notice the settlement path records; NothingToApply for other types."""
        if event.type not in (SUCCEEDED, FAILED, REFUNDED) or not event.payment_intent_id:
            raise NothingToApply(f"Stripe event {event.type} is not acted on")
        details = {"event": event.id, "amount": str(event.amount), "currency": event.currency or ""}
        common = {"provider": NAME, "reference": event.payment_intent_id, "order_code": event.order_code}
        if event.type == REFUNDED:
            return PaymentNotice(**common, amount_vnd=max(event.amount or 0, 0), succeeded=True, kind=REFUND,
                                 raw_id=f"refunded:{event.charge_id or event.payment_intent_id}",
                                 currency=event.currency or "vnd", details=details)  # fmt: skip
        if event.type == FAILED:
            code = event.failure_code or "card_declined"
            log.info("Stripe payment %s failed: %s (%s)", event.payment_intent_id, event.failure_message, code)
            return PaymentNotice(**common, amount_vnd=0, succeeded=False, raw_id=f"failed:{event.id}", message=code,
                                 error_code=code, details=details)  # fmt: skip
        return PaymentNotice(**common, amount_vnd=max(event.amount or 0, 0), succeeded=True,
                             raw_id=event.payment_intent_id, currency=(event.currency or "").lower(),
                             details=details)  # fmt: skip

    def answer(self, outcome: str | None, error: Exception | None = None) -> Answer:
        """Stripe reads the status: 400 for a bad signature, 503 to have it sent again, else 200 and the outcome.

        A refused event (another PaymentIntent, another amount) is answered 200 too: it is genuine and now
        recorded, so a retry would be refused the same way; a 4xx would only make Stripe resend it for days.
        """
        if isinstance(error, NothingToApply):
            return Answer(200, {"received": True, "outcome": "ignored"})
        if isinstance(error, BadSignature | MalformedNotification):
            return Answer(400, "Invalid Stripe-Signature: the event was not applied.")
        if error is not None:
            return Answer(503, "Payment provider unavailable; retry later.")
        return Answer(200, {"received": True, "outcome": _OUTCOME_WORDS.get(outcome or "", outcome)})

    def read_return(self, inbound: Inbound) -> ReturnResult:
        raise MalformedNotification("Stripe sends no buyer back: the card is paid on the order page")

    # --- status ------------------------------------------------------------------------------

    def status(self, payment_intent_id: str) -> str:
        """The PaymentIntent read back from Stripe: paid, failed or processing (ProviderUnavailable if it can't)."""
        try:
            state, _received, _currency = self.gateway.payment_intent_status(payment_intent_id)
        except PaymentUnavailable as error:
            raise ProviderUnavailable(f"Stripe could not be asked: {error}") from error
        if state == "succeeded":
            return "paid"
        if state in ("canceled", "requires_payment_method"):
            return "failed"
        return "processing"

    # --- refunds (catalogue.orders.refunds) ----------------------------------------------------

    def refundable(self, payment: PaymentNotice, amount_vnd: int) -> bool:
        """The gateway refunds a whole PaymentIntent: a card payment returned in full."""
        return bool(payment.reference) and amount_vnd == payment.amount_vnd

    def refund_reference(self, payment: PaymentNotice, amount_vnd: int, refused_before: int = 0, part: str = "") -> str:
        """The idempotency key: `refund-<order code>`, as every Stripe refund of the order has been asked."""
        key = f"refund-{payment.order_code}" + (f"-{part}" if part else "")
        return key + (f"-{refused_before}" if refused_before else "")

    def refund(self, payment: PaymentNotice, amount_vnd: int, reason: str, request_id: str = "") -> RefundOutcome:
        """Ask Stripe to refund the PaymentIntent; `charge.refunded` confirms it. ProviderUnavailable if it can't."""
        try:
            self.gateway.refund(payment.reference, idempotency_key=request_id or f"refund-{payment.order_code}")
        except PaymentUnavailable as error:
            raise ProviderUnavailable(f"Stripe could not start the refund: {error}") from error
        return RefundOutcome(provider=NAME, by_hand=False, reference=request_id, message=reason, pending=True)
