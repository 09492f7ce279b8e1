"""A parcel that came back (`returned`): its stock goes back once, and its lines and fee are owed to the buyer.

Settled inside the tracking use case that records the `returned` status, with the order locked, and
only once (`return_settled_at`): a replayed callback or a poll after it finds it settled.

The money: the parcel's lines plus its fee (never more than the order still holds, after what is
already claimed) is written as a refund row `due` in the ledger, the same row the refund planner
(catalogue.orders.refunds) flags for rails the office refunds by hand, so the money desk lists it
with its reason until the office records it returned. The order itself stays as it is (its other
parcels may be delivered): a whole-order refund later never returns this parcel's stock again
(`release_stock` skips the lines of a settled return). Asking an API rail (MoMo, ZaloPay, VNPay,
Stripe) for a partial refund automatically, and the adjustment invoice of a partial refund, are not
built yet: the office returns the money by hand and the invoices stay as issued.
"""

from __future__ import annotations

import logging
from datetime import datetime

from catalogue.delivery.models import Parcel
from catalogue.orders.models import Order
from catalogue.payments import ledger
from catalogue.products.stock import return_stock

log = logging.getLogger(__name__)


def returned_amount(order: Order, parcel: Parcel) -> int:
    """What the buyer paid for this parcel: its lines and its fee."""
    lines = sum(line.line_total_vnd for line in order.lines if line.producer_id == parcel.producer_id)
    return lines + parcel.fee_vnd


def settle_return(order: Order, parcel: Parcel, now: datetime) -> int:
    """Stock back and the refund flagged, once; the amount flagged (0 when settled before or nothing is held)."""
    if parcel.return_settled_at is not None:
        return 0
    parcel.return_settled_at = now
    if order.stock_held:
        for line in order.lines:
            if line.producer_id == parcel.producer_id:
                return_stock(line.product_id, line.quantity)
    money = ledger.order_money(order)
    held = money.received_vnd - sum(row.amount_vnd for row in money.rows if row.kind == "refund")
    amount = min(returned_amount(order, parcel), max(held, 0))
    if amount > 0:
        method = order.settled_by or order.payment_method or "vietqr"
        ledger.add_refund(order, method=method, amount_vnd=amount, reason=f"parcel {parcel.reference} returned")
        log.info("Order %s: parcel %s came back; %s ₫ flagged for the office to return", order.code,
                 parcel.reference, amount)  # fmt: skip
    return amount
