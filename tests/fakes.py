"""A payment gateway that never leaves the process, for unit tests of the order services.

Webhook parsing is the real Stripe signature check (with the test secret), so forged,
replayed and reordered events are tested against the real verification.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time

from catalogue.payments.stripe_rail.gateway import PaymentIntent, PaymentUnavailable, StripeGateway, StripeRefund

WEBHOOK_SECRET = "whsec_test_secret"


class FakeGateway(StripeGateway):
    """Records every call; `unavailable = True` makes calls fail like an unreachable Stripe.

    A refund is taken as Stripe takes most card refunds at first (`pending`: its event finishes it), one per
    idempotency key; `refund_status` says otherwise (`succeeded`, `failed`).
    """

    def __init__(self):
        super().__init__("sk_test_fake", "pk_test_fake", WEBHOOK_SECRET, api_base="http://127.0.0.1:9")
        self.calls: list[tuple] = []
        self.unavailable = False
        self.refund_status = "pending"
        self.refunds: dict[str, StripeRefund] = {}  # by idempotency key
        self._ids = itertools.count(1)

    def _record(self, *call):
        if self.unavailable:
            raise PaymentUnavailable("Stripe is unreachable (fake)")
        self.calls.append(call)

    def create_payment_intent(self, order_code, amount_vnd, idempotency_key):
        self._record("create", order_code, amount_vnd, idempotency_key)
        number = next(self._ids)
        return PaymentIntent(id=f"pi_fake_{number}", client_secret=f"pi_fake_{number}_secret_x")

    def confirm_card(self, payment_intent_id, payment_method_id):
        self._record("confirm", payment_intent_id, payment_method_id)
        if payment_method_id.startswith("card_declined"):  # card_declined, or card_declined_<decline code>
            from catalogue.payments.stripe_rail.gateway import CardDeclined

            raise CardDeclined(payment_method_id.removeprefix("card_declined_"), "Your card was declined.")
        return "requires_action" if payment_method_id == "card_3ds" else "succeeded"

    def cancel_payment_intent(self, payment_intent_id, idempotency_key):
        self._record("cancel", payment_intent_id, idempotency_key)

    def refund(self, payment_intent_id, amount_vnd, idempotency_key, order_code=""):
        self._record("refund", payment_intent_id, idempotency_key)
        if idempotency_key not in self.refunds:
            self.refunds[idempotency_key] = StripeRefund(
                id=f"re_fake_{next(self._ids)}", status=self.refund_status, amount=amount_vnd,
                payment_intent_id=payment_intent_id, request_id=idempotency_key,
            )  # fmt: skip
        return self.refunds[idempotency_key]


def signed(event: dict, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> tuple[bytes, str]:
    """The body and Stripe-Signature header Stripe would send for `event`."""
    body = json.dumps(event).encode()
    moment = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(secret.encode(), f"{moment}.".encode() + body, hashlib.sha256).hexdigest()
    return body, f"t={moment},v1={signature}"


def intent_event(
    event_id: str,
    kind: str,
    intent_id: str,
    order_code: str,
    failure: str | None = None,
    decline_code: str | None = None,
    *,
    amount: int | None = None,
    currency: str = "vnd",
) -> dict:
    """A payment_intent.* event; a failure carries Stripe's text and, when given, the issuer's decline code.

    `amount` is what the PaymentIntent asked for and, on success, received (VND: whole dong), as Stripe sends it.
    """
    intent = {"id": intent_id, "object": "payment_intent", "metadata": {"order_code": order_code}, "currency": currency}
    if amount is not None:
        intent["amount"] = amount
        intent["amount_received"] = amount if kind == "succeeded" else 0
    if failure:
        intent["last_payment_error"] = {"message": failure, "code": "card_declined"}
        if decline_code:
            intent["last_payment_error"]["decline_code"] = decline_code
    return {"id": event_id, "object": "event", "type": f"payment_intent.{kind}", "data": {"object": intent}}


def refund_event(event_id: str, intent_id: str, amount_refunded: int | None = None, amount: int | None = None) -> dict:
    """A charge.refunded event naming its PaymentIntent: all of it refunded, or `amount_refunded` of `amount` so far."""
    charge = {"id": "ch_" + event_id, "object": "charge", "payment_intent": intent_id, "refunded": True, "metadata": {}}
    if amount_refunded is not None:
        charge.update(amount=amount, amount_refunded=amount_refunded, refunded=amount_refunded >= amount)
    return {"id": event_id, "object": "event", "type": "charge.refunded", "data": {"object": charge}}


def refund_status_event(
    event_id: str, kind: str, refund_id: str, intent_id: str, amount: int, status: str, request_id: str = ""
) -> dict:
    """A refund.created / refund.updated / refund.failed event: the refund, with the shop's request id if it asked."""
    refund = {"id": refund_id, "object": "refund", "amount": amount, "currency": "vnd", "payment_intent": intent_id,
              "status": status, "metadata": {"request_id": request_id} if request_id else {},
              "failure_reason": "expired_or_canceled_card" if status == "failed" else None}  # fmt: skip
    return {"id": event_id, "object": "event", "type": kind, "data": {"object": refund}}
