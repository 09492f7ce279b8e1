"""Stripe as a rail that refunds by API, for the one refund planner (catalogue.orders.refunds).

Stripe stays behind its gateway (catalogue.payments.gateway); this adapter only gives it the
refund side every rail has: whether a payment can go back by API, the request id, and the
call. The id is `refund-<order code>` (what the office's cancel and a sold-out late payment
always sent as the idempotency key), so asking twice is one refund at Stripe. Stripe's answer
only says it took the refund: its signed `charge.refunded` webhook finishes it
(catalogue.orders.payment_events), so the outcome is `pending`.
"""

from __future__ import annotations

from catalogue.payments.gateway import STRIPE_LABELS, PaymentGateway, PaymentUnavailable
from catalogue.payments.port import PaymentNotice, ProviderUnavailable, RefundOutcome

NAME = "stripe"


class StripeRefunds:
    """Refunds of a PaymentIntent through the shop's Stripe gateway."""

    name = NAME
    labels = STRIPE_LABELS
    refunds_by_api = True
    unconfirmed_refund_codes: tuple[object, ...] = ()

    def __init__(self, gateway: PaymentGateway):
        self._gateway = gateway

    def refundable(self, payment: PaymentNotice, amount_vnd: int) -> bool:
        """The gateway refunds a whole PaymentIntent: a card payment returned in full."""
        return bool(payment.reference) and amount_vnd == payment.amount_vnd

    def refund_reference(self, payment: PaymentNotice, amount_vnd: int, refused_before: int = 0) -> str:
        """The idempotency key: `refund-<order code>`, as every Stripe refund of the order has been asked."""
        return f"refund-{payment.order_code}" + (f"-{refused_before}" if refused_before else "")

    def refund(self, payment: PaymentNotice, amount_vnd: int, reason: str, request_id: str) -> RefundOutcome:
        """Ask Stripe to refund the PaymentIntent; `charge.refunded` confirms it. ProviderUnavailable if it can't."""
        try:
            self._gateway.refund(payment.reference, idempotency_key=request_id)
        except PaymentUnavailable as error:
            raise ProviderUnavailable(f"Stripe could not start the refund: {error}") from error
        return RefundOutcome(provider=NAME, by_hand=False, reference=request_id, message=reason, pending=True)
