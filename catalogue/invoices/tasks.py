"""Invoicing as Celery tasks on the catalogue's Celery app (catalogue.tasks), when a broker is set."""

from __future__ import annotations

from catalogue.tasks import app, periodic


@app.task(name="catalogue.invoices.tasks.invoice_order", acks_late=True)
def invoice_order(order_id: int) -> list[int]:
    """Issue and send the invoices of one paid (or refunded) order; idempotent."""
    from catalogue import create_app
    from catalogue.invoices.jobs import process_order

    with create_app().app_context():
        return process_order(order_id)


@app.task(name="catalogue.invoices.tasks.send_due")
@periodic("send-invoices")
def send_due() -> dict:
    """Retry every queued invoice whose next try has come; issue those a lost job left out."""
    from catalogue import clock, create_app
    from catalogue.invoices.sending import send_due as send
    from catalogue.invoices.sweep import issue_missing

    with create_app().app_context():
        issued = issue_missing(clock.now())
        return {**send(clock.now()), "issued": issued}
