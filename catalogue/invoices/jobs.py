"""When invoices are issued and sent: after the payment (or refund) commits, as a job.

With CELERY_BROKER_URL set the job is a Celery task (catalogue.invoices.tasks); without it,
it runs inline right after the commit. Either way the payment is already committed: a failure
here is logged, never undoes or fails it, and the order is picked up again by
`flask invoices issue-missing` (or the beat task), which issues only what is missing.
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy.exc import IntegrityError

from catalogue import clock
from catalogue.orders.models import Order
from catalogue.transactions import after_commit, calls_out

log = logging.getLogger(__name__)
INVOICING_STATUSES = ("paid", "refunded")


def order_changed(order: Order, to_status: str) -> None:
    """Called by the order's lifecycle: a paid or refunded order gets its invoices once this use case commits."""
    if to_status not in INVOICING_STATUSES:
        return
    order_id = order.id
    try:
        after_commit(lambda: schedule(order_id))
    except RuntimeError:  # a transition outside a use case (a test's direct call): nothing to announce
        log.debug("Order %s changed outside a use case; invoices follow with the next sweep", order_id)


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
