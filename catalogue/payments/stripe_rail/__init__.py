"""Stripe (international cards) behind the rail port, like every other rail.

`gateway` is the only module that imports the Stripe SDK; `rail.StripeRail` is the port's
adapter over it: start (a PaymentIntent), verify (a signed event → a PaymentNotice), status
(the PaymentIntent read back), refund (through the one refund planner) and its answers in
Stripe's words. Its notices are settled by the one settlement path (catalogue.orders.settlement).
"""

from catalogue.payments.stripe_rail.gateway import STRIPE_LABELS
from catalogue.payments.stripe_rail.rail import NAME, StripeRail

__all__ = ["NAME", "STRIPE_LABELS", "StripeRail"]
