"""Stripe as a rail: the port's start, verify, status and refund over the shop's Stripe gateway.

A PaymentIntent is the attempt (its id is the attempt's reference); a signed event becomes a
`PaymentNotice` the one settlement path records: `payment_intent.succeeded` money in (deduplicated
on the ledger by the PaymentIntent's id, its amount and currency checked against the attempt),
`payment_intent.payment_failed` the attempt failing, `charge.refunded` what went back of the payment so
far (kind REFUND: its running total), and `refund.created` / `refund.updated` / `refund.failed` (and the
older `charge.refund.updated`) one refund by its id (kind REFUND_STATUS: succeeded, pending or failed).
Other event types change nothing (`NothingToApply`).

A refund returns any part of the payment (the planner never asks more than it still holds): the
whole order under `refund-<order code>`, a returned parcel under `refund-<order code>-P<id>`, that
key being Stripe's idempotency key and the refund's metadata `request_id`. Stripe's answer says
`succeeded` (the refund is recorded done at once), `pending` (its event finishes it) or `failed`
(refused: ProviderRefused); whichever of the answer and the event lands first records it, once
(catalogue.orders.refund_notices).
"""

from __future__ import annotations

import logging

from catalogue.payments.port import (
    ALREADY_SETTLED,
    REFUND,
    REFUND_STATUS,
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
    ProviderRefused,
    ProviderUnavailable,
    RefundOutcome,
    ReturnResult,
)
from catalogue.payments.stripe_rail.gateway import (
    MAX_AMOUNT_VND,
    STRIPE_LABELS,
    InvalidSignature,
    PaymentEvent,
    PaymentGateway,
    PaymentUnavailable,
    RefundDeclined,
)

log = logging.getLogger(__name__)
NAME = "stripe"
SUCCEEDED, FAILED, REFUNDED = "payment_intent.succeeded", "payment_intent.payment_failed", "charge.refunded"
# One refund's news, by its id: Stripe's refund.* events, and the older charge.refund.updated.
REFUND_EVENTS = ("refund.created", "refund.updated", "refund.failed", "charge.refund.updated")
UNDONE = ("failed", "canceled")  # a refund that returned nothing (after it was asked, or even after it succeeded)

# What the webhook's `outcome` says for each settlement outcome (the rest are said as they are).
_OUTCOME_WORDS = {
    WRONG_AMOUNT: "rejected",
    STRAY: "rejected",
    UNKNOWN_ATTEMPT: "ignored",
    ALREADY_SETTLED: "unchanged",
    "surplus": "unchanged",  # a card payment on an order another rail paid: flagged for the office
    "partly_paid": "unchanged",
    "refund_failed": "unchanged",  # recorded: the refund is the office's to make by hand
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
    # Stripe already had this idempotency key for other parameters: the first request may have refunded.
    unconfirmed_refund_codes: tuple[object, ...] = ("idempotency_error",)
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
        if event.type not in (SUCCEEDED, FAILED, REFUNDED, *REFUND_EVENTS) or not event.payment_intent_id:
            raise NothingToApply(f"Stripe event {event.type} is not acted on")
        details = {"event": event.id, "amount": str(event.amount), "currency": event.currency or ""}
        common = {"provider": NAME, "reference": event.payment_intent_id, "order_code": event.order_code}
        if event.type in REFUND_EVENTS:
            refund = event.refund
            if refund is None or not refund.id:
                raise NothingToApply(f"Stripe event {event.type} carries no refund")
            words = {**details, "status": refund.status, "request_id": refund.request_id,
                     "failure_reason": refund.failure_reason}  # fmt: skip
            return PaymentNotice(**common, amount_vnd=max(refund.amount, 0), succeeded=refund.status == "succeeded",
                                 raw_id=refund.id, kind=REFUND_STATUS, currency=event.currency or "vnd",
                                 message=refund.failure_reason, details=words)  # fmt: skip
        if event.type == REFUNDED:
            so_far = {**details, **_refunded_so_far(event)}
            return PaymentNotice(**common, amount_vnd=max(event.amount or 0, 0), succeeded=True, kind=REFUND,
                                 raw_id=f"refunded:{event.charge_id or event.payment_intent_id}",
                                 currency=event.currency or "vnd", details=so_far)  # fmt: skip
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
        """True for any whole number of dong up to what was paid (the planner asks no more than it still holds)."""
        whole = isinstance(amount_vnd, int) and not isinstance(amount_vnd, bool)
        return bool(payment.reference) and whole and 1 <= amount_vnd <= min(payment.amount_vnd, MAX_AMOUNT_VND)

    def refund_reference(self, payment: PaymentNotice, amount_vnd: int, refused_before: int = 0, part: str = "") -> str:
        """The idempotency key: `refund-<order code>`, as every Stripe refund of the order has been asked."""
        key = f"refund-{payment.order_code}" + (f"-{part}" if part else "")
        return key + (f"-{refused_before}" if refused_before else "")

    def refund(self, payment: PaymentNotice, amount_vnd: int, reason: str, request_id: str = "") -> RefundOutcome:
        """Ask Stripe to refund `amount_vnd` of the PaymentIntent under `request_id`; the outcome names the refund.

        Succeeded: done now. Pending: Stripe's event finishes it. Failed (or a refusal): ProviderRefused;
        no answer: ProviderUnavailable (asked again under the same key, the same refund).
        """
        key = request_id or self.refund_reference(payment, amount_vnd)
        try:
            made = self.gateway.refund(payment.reference, amount_vnd, idempotency_key=key,
                                       order_code=payment.order_code or "")  # fmt: skip
        except RefundDeclined as error:
            raise ProviderRefused(self.name, error.code, error.provider_message) from error
        except PaymentUnavailable as error:
            raise ProviderUnavailable(f"Stripe could not start the refund: {error}") from error
        if made.status in UNDONE:
            raise ProviderRefused(self.name, made.failure_reason or made.status, f"refund {made.id} {made.status}")
        if made.amount != amount_vnd:  # a refund found under this key for another amount: a person looks
            raise ProviderRefused(self.name, "idempotency_error", f"refund {made.id} is of {made.amount} VND")
        return RefundOutcome(provider=NAME, by_hand=False, reference=made.id, message=reason,
                             pending=made.status != "succeeded")  # fmt: skip


def _refunded_so_far(event: PaymentEvent) -> dict[str, str]:
    """A charge's refund total as the notice carries it: `amount_refunded`, and `fully_refunded` ("1" or "")."""
    fully = event.fully_refunded
    if fully is None:  # no flag: a charge.refunded says the charge was refunded; its amount tells how much
        fully = event.amount_refunded is None or (event.amount is not None and event.amount_refunded >= event.amount)
    refunded = "" if event.amount_refunded is None else str(event.amount_refunded)
    return {"amount_refunded": refunded, "fully_refunded": "1" if fully else ""}
