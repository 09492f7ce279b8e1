"""`flask users create …` and `flask tokens create …` (contract §3)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from catalogue import clock
from catalogue.accounts import passwords, services
from catalogue.accounts.models import ROLES, SCOPES
from catalogue.accounts.principal import SYSTEM
from catalogue.errors import DomainError


@click.group("users")
def users_cli() -> None:
    """Manage users."""


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True, help="At least 10 characters, not a common or easily guessed one.")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--producer", "producer_slug", help="The producer's slug (producers only).")
@with_appcontext
def create_user_command(email: str, password: str, role: str, producer_slug: str | None) -> None:
    """Create a user."""
    try:
        user = services.create_user(email, password, role, producer_slug)
    except passwords.WeakPassword as error:
        with current_app.test_request_context():  # the advice is worded in the shop's language (Vietnamese)
            raise click.ClickException(passwords.advice(error.reason)) from error
    except DomainError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Created {user.role} {user.email}.")


@click.group("tokens")
def tokens_cli() -> None:
    """Manage API tokens."""


@tokens_cli.command("create")
@click.option("--email", required=True)
@click.option("--scope", "scopes", required=True, multiple=True, type=click.Choice(SCOPES))
@click.option("--name", default="", help="What the token is for, e.g. 'shopee sync'.")
@with_appcontext
def create_token_command(email: str, scopes: tuple[str, ...], name: str) -> None:
    """Print a new API token (shown once; only its hash is kept)."""
    try:
        raw, _ = services.create_token(email, list(scopes), name)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    click.echo(raw)


@tokens_cli.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
def revoke_token_command(token_id: int) -> None:
    """Revoke a token by its id."""
    try:
        services.revoke_token(token_id, SYSTEM, clock.now())
    except DomainError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Revoked token {token_id}.")
