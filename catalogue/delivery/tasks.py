"""Delivery's jobs as Celery tasks on the catalogue's Celery app (catalogue.tasks), when a broker is set."""

from __future__ import annotations

from catalogue.tasks import app, periodic


@app.task(name="catalogue.delivery.tasks.book_parcel", acks_late=True)
def book_parcel(parcel_id: int) -> str:
    """Book one parcel with its carrier; idempotent (a killed worker's job run again books it once)."""
    from catalogue import create_app
    from catalogue.delivery.booking import book

    with create_app().app_context():
        return book(parcel_id)


@app.task(name="catalogue.delivery.tasks.sweep")
@periodic("delivery-sweep")
def sweep() -> dict:
    """Bookings the carrier did not answer tried again; parcels whose callbacks stopped read back; orders whose
    parcels all ended brought in line with them."""
    from catalogue import clock, create_app
    from catalogue.delivery.booking import retry_due

    with create_app().app_context():
        from catalogue.delivery.tracking import follow_ended, poll_quiet

        return {"bookings": retry_due(clock.now()), "polled": poll_quiet(clock.now()), "orders": follow_ended()}
