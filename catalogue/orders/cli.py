"""`flask orders …`: the operator's tools until the admin portal exists."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from catalogue import clock
from catalogue.errors import DomainError
from catalogue.orders import cancellation, services
from catalogue.payments import payment_gateway, payment_rails


@click.group("orders")
def orders_cli() -> None:
    """Manage orders."""


@orders_cli.command("expire")
@with_appcontext
def expire_command() -> None:
    """Release the stock of unpaid orders whose reservation has expired."""
    released = services.release_expired_reservations(clock.now())
    click.echo(f"Released {released} expired reservation(s).")


@orders_cli.command("cancel")
@click.argument("code")
@click.option("--reason", default="cancelled by admin", show_default=True)
@with_appcontext
def cancel_command(code: str, reason: str) -> None:
    """Cancel an order; a paid one is refunded by its rail's API where it has one, or flagged for a refund by hand."""
    try:
        order = cancellation.cancel_by_admin(code, clock.now(), payment_gateway(), reason, payment_rails())
    except DomainError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"{order.code}: {order.status}")


@orders_cli.command("deliver")
@click.argument("code")
@with_appcontext
def deliver_command(code: str) -> None:
    """Record that a shipped order was delivered."""
    try:
        order = services.mark_delivered(code)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"{order.code}: {order.status}")
