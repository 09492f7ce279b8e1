"""`flask invoices …`: issue what a lost job left out, and retry the queue (what the beat task does)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from catalogue import clock
from catalogue.invoices import sending, sweep


@click.group("invoices")
def invoices_cli() -> None:
    """E-invoices."""


@invoices_cli.command("issue-missing")
@with_appcontext
def issue_missing_command() -> None:
    """Issue the invoices paid orders still lack (and the adjustments of refunded ones)."""
    click.echo(f"Issued {sweep.issue_missing(clock.now())} invoice(s).")


@invoices_cli.command("send")
@with_appcontext
def send_command() -> None:
    """Send every queued invoice whose next try has come."""
    outcomes = sending.send_due(clock.now())
    click.echo(", ".join(f"{outcome}: {count}" for outcome, count in sorted(outcomes.items())) or "Nothing due.")
