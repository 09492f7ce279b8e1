"""When invoices are issued and sent: after the payment (or refund) commits, as a job.

Invoicing subscribes to the order's events in `create_app` (`subscribe_invoicing`): the order's
lifecycle publishes `order_paid` / `order_refunded` and never imports this package.

With CELERY_BROKER_URL set the job is a Celery task (catalogue.invoices.tasks); without it,
it runs inline right after the commit. Either way the payment is already committed: a failure
here is logged, never undoes or fails it, and the order is picked up again by
`flask invoices issue-missing` (or the beat task), which issues only what is missing.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app
from sqlalchemy.exc import IntegrityError

from catalogue import clock, events
from catalogue.transactions import calls_out

log = logging.getLogger(__name__)


def subscribe_invoicing(app: Flask) -> None:
    """Invoicing reacts to the orders: the company request is kept with the order, invoices follow payments.

    The request is in-transaction: it is written with the order, and a tax code that fails refuses
    the order. Issuing is after commit: it calls the provider, and a paid order that was rolled
    back must not be invoiced (a transition outside a use case is left to the sweep, as before).
    """
    from catalogue.invoices.requests import request_placed

    events.subscribe(app, events.OrderPlaced, request_placed, events.IN_TRANSACTION)
    events.subscribe(app, events.OrderPaid, order_settled)
    events.subscribe(app, events.OrderRefunded, order_settled)
    events.subscribe(app, events.ParcelReturned, order_settled)  # its producer's invoice is adjusted


def order_settled(event: events.OrderPaid | events.OrderRefunded | events.ParcelReturned) -> None:
    """After a payment or refund commits: the order's invoices are issued (and adjusted), as a job."""
    schedule(event.order_id)


def schedule(order_id: int) -> None:
    """Run the invoicing of the order as a Celery task when a broker is set, else now."""
    if current_app.config.get("CELERY_BROKER_URL"):
        from catalogue.invoices.tasks import invoice_order

        invoice_order.delay(order_id)
        return
    process_order(order_id)


@calls_out
def process_order(order_id: int) -> list[int]:
    """Issue what the order lacks, then send what was issued; the ids issued."""
    from catalogue.invoices.issuing import issue_for_order
    from catalogue.invoices.sending import send_invoice

    try:
        issued = issue_for_order(order_id, clock.now())
    except IntegrityError:  # another run issued them first; its numbers stand, ours were rolled back
        log.info("Invoices of order %s were issued by another run", order_id)
        return []
    for invoice_id in issued:
        send_invoice(invoice_id, clock.now())
    return issued
