"""`python -m marketplace_sync …`: the operator's worker commands (plain click; `flask sync run` is an alias)."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

import click

from marketplace_sync.client import CatalogueRefused, CatalogueUnavailable
from marketplace_sync.marketplace import MarketplaceError
from marketplace_sync.settings import MARKETPLACES, SettingsMissing, worker_from_env

SHOWN_ERRORS = 20  # the summary lists this many of a run's errors, then says how many more there are


class _Progress:
    """A click progress bar per page of the change feed."""

    def __init__(self, marketplace: str):
        self.marketplace, self.bar = marketplace, None

    def page(self, items: list[dict]) -> None:
        self.close()
        if items:
            self.bar = click.progressbar(length=len(items), label=f"{self.marketplace}: {len(items)} change(s)")
            self.bar.__enter__()

    def product(self, product: dict, outcome: str) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def summary_table(summary, shown: int | None = SHOWN_ERRORS) -> str:
    """The run's counts as a small table, then its errors: the first `shown` (None: all) and how many more."""
    rows = [
        ("created", summary.created),
        ("updated", summary.updated),
        ("unlisted", summary.unlisted),
        ("unchanged", summary.unchanged),
        ("errors", summary.errors),
        ("not offered there", summary.not_offered),
        ("sales new / repeat / cancelled", f"{summary.sales_new} / {summary.sales_repeat} / {summary.sales_cancelled}"),
        (f"{summary.marketplace} calls", summary.calls),
        ("complete", "yes" if summary.complete else "no: the next run retries"),
    ]
    width = max(len(name) for name, _ in rows)
    line = "+" + "-" * (width + 2) + "+" + "-" * 28 + "+"
    body = [f"| {name.ljust(width)} | {str(value).rjust(26)} |" for name, value in rows]
    messages = summary.messages if shown is None else summary.messages[:shown]
    listed = [f"  {message}" for message in messages]
    if summary.messages:
        listed.insert(0, f"{len(summary.messages)} problem(s):")
    if len(summary.messages) > len(messages):
        listed.append(f"  … and {len(summary.messages) - len(messages)} more (--all-errors lists every one)")
    return "\n".join([line, *body, line, *listed])


def _worker(marketplace: str, **options):
    try:
        return worker_from_env(marketplace, **options)
    except SettingsMissing as error:
        raise click.UsageError(str(error)) from error


@contextlib.contextmanager
def explained(worker, marketplace: str) -> Iterator[None]:
    """Turn a failure that stops the run into one line saying what is wrong and what to do (exit code 1)."""
    api = worker.client.api
    try:
        yield
    except CatalogueRefused as error:
        if error.status in (401, 403):
            raise click.ClickException(
                f"The catalogue API at {api} refused CATALOGUE_API_TOKEN (HTTP {error.status}): create a token with "
                "the sync scope (flask tokens create --email … --scope sync) and export it as CATALOGUE_API_TOKEN."
            ) from None
        if error.status == 404:
            raise click.ClickException(
                f"The catalogue API is not at {api} (HTTP 404): set CATALOGUE_API_URL to the shop's address, "
                "without /api/v1 (e.g. http://127.0.0.1:5000)."
            ) from None
        raise click.ClickException(f"The catalogue API refused a request ({error}): nothing more was synced.") from None
    except CatalogueUnavailable as error:
        raise click.ClickException(
            f"The catalogue API at {api} cannot be reached ({error}): check CATALOGUE_API_URL and that the shop "
            "is running, then run again (nothing is lost: the change feed resumes where it stopped)."
        ) from None
    except MarketplaceError as error:
        raise click.ClickException(
            f"{marketplace.capitalize()} failed ({error}): check its {marketplace.upper()}_* settings, then run again."
        ) from None


@click.group("marketplace_sync")
def cli() -> None:
    """Keep Shopee, Lazada and TikTok Shop in step with the catalogue, through its API only."""


@cli.command("run")
@click.option("--marketplace", type=click.Choice(MARKETPLACES), required=True)
@click.option("--once", is_flag=True, help="Drain the change feed once and exit (otherwise poll until SIGTERM).")
@click.option("--interval", default=30.0, show_default=True, help="Seconds between polls.")
@click.option("--with-orders", is_flag=True, help="Also import the marketplace's orders after each drain.")
@click.option("--orders-hours", default=72, show_default=True, help="How far back orders are imported.")
@click.option("--all-errors", is_flag=True, help=f"List every error of a run, not only the first {SHOWN_ERRORS}.")
def run_command(
    marketplace: str, once: bool, interval: float, with_orders: bool, orders_hours: int, all_errors: bool
) -> None:
    """Push catalogue changes to a marketplace through our API (CATALOGUE_API_URL, CATALOGUE_API_TOKEN)."""
    stop = threading.Event()
    progress = _Progress(marketplace)
    worker = _worker(marketplace, stop=stop, on_page=progress.page, on_product=progress.product)

    def show(summary) -> None:
        progress.close()
        click.echo(summary_table(summary, None if all_errors else SHOWN_ERRORS))

    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())  # finish the product in hand, then stop
    try:
        with explained(worker, marketplace):
            worker.poll(interval, once=once, with_orders=with_orders, orders_hours=orders_hours, on_summary=show)
    finally:
        progress.close()
        signal.signal(signal.SIGTERM, previous)


@cli.command("orders")
@click.option("--marketplace", type=click.Choice(MARKETPLACES), required=True)
@click.option("--hours", default=72, show_default=True, help="How far back orders are imported.")
@click.option("--all-errors", is_flag=True, help=f"List every error, not only the first {SHOWN_ERRORS}.")
def orders_command(marketplace: str, hours: int, all_errors: bool) -> None:
    """Import the marketplace's orders: each takes our stock once (safe to repeat)."""
    worker = _worker(marketplace)
    with explained(worker, marketplace):
        summary = worker.import_sales(hours)
    click.echo(summary_table(summary, None if all_errors else SHOWN_ERRORS))
