"""`flask delivery …`: the delivery sweep by hand (the Celery beat task runs the same services)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from catalogue import clock

delivery_cli = AppGroup("delivery", help="Parcels: retry bookings, read back parcels whose callbacks stopped.")


@delivery_cli.command("sweep")
def sweep() -> None:
    """Retry bookings the carrier did not answer, poll parcels on the way with no word for a while, then bring
    orders whose parcels all ended in line with them (delivered, or refunding when they all came back)."""
    from catalogue.delivery.booking import retry_due
    from catalogue.delivery.tracking import follow_ended, poll_quiet

    click.echo(f"bookings: {retry_due(clock.now())}")
    click.echo(f"polled: {poll_quiet(clock.now())}")
    click.echo(f"orders moved: {follow_ended()}")


@delivery_cli.command("poll")
def poll() -> None:
    """Read back parcels whose callbacks stopped (PARCEL_POLL_AFTER_HOURS, default 6)."""
    from catalogue.delivery.tracking import poll_quiet

    click.echo(f"polled: {poll_quiet(clock.now())}")
