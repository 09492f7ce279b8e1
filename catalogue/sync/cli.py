"""`flask sync …`: the server's sync command, and the worker's commands as thin aliases."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from catalogue import clock
from catalogue.sync import services
from marketplace_sync.cli import orders_command, run_command


@click.group("sync")
def sync_cli() -> None:
    """Marketplace sync."""


@sync_cli.command("notice-expired")
@with_appcontext
def notice_expired_command() -> None:
    """Put products whose OCOP certificate expired into the change feed, so sync unlists them (run daily)."""
    count = services.notice_expired_certificates(clock.today())
    click.echo(f"{count} product(s) with a newly expired certificate sent to the change feed.")


# The worker needs no app: `flask sync run` is `python -m marketplace_sync run`, kept for operators' habits.
sync_cli.add_command(run_command)
sync_cli.add_command(orders_command)
