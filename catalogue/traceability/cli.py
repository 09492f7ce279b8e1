"""`flask scans flush`: write the buffered stamp scans now (the Celery beat job does it every minute)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from catalogue.traceability.scans import flush

scans_cli = AppGroup("scans", help="Stamp scans (traceability).")


@scans_cli.command("flush")
def flush_command() -> None:
    """Write the buffered scans in one batch: the shared Redis buffer (a worker's memory buffer is its own)."""
    click.echo(f"{flush()} new scans counted.")
