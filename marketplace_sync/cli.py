"""`python -m marketplace_sync …`: the operator's worker commands (plain click; `flask sync run` is an alias)."""

from __future__ import annotations

import signal
import threading

import click

from marketplace_sync.settings import MARKETPLACES, SettingsMissing, worker_from_env


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


def summary_table(summary) -> str:
    """The run's counts as a small table."""
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
    return "\n".join([line, *body, line, *(f"  {message}" for message in summary.messages[:20])])


def _worker(marketplace: str, **options):
    try:
        return worker_from_env(marketplace, **options)
    except SettingsMissing as error:
        raise click.UsageError(str(error)) from error


@click.group("marketplace_sync")
def cli() -> None:
    """Keep Shopee, Lazada and TikTok Shop in step with the catalogue, through its API only."""


@cli.command("run")
@click.option("--marketplace", type=click.Choice(MARKETPLACES), required=True)
@click.option("--once", is_flag=True, help="Drain the change feed once and exit (otherwise poll until SIGTERM).")
@click.option("--interval", default=30.0, show_default=True, help="Seconds between polls.")
@click.option("--with-orders", is_flag=True, help="Also import the marketplace's orders after each drain.")
@click.option("--orders-hours", default=72, show_default=True, help="How far back orders are imported.")
def run_command(marketplace: str, once: bool, interval: float, with_orders: bool, orders_hours: int) -> None:
    """Push catalogue changes to a marketplace through our API (CATALOGUE_API_URL, CATALOGUE_API_TOKEN)."""
    stop = threading.Event()
    progress = _Progress(marketplace)
    worker = _worker(marketplace, stop=stop, on_page=progress.page, on_product=progress.product)

    def show(summary) -> None:
        progress.close()
        click.echo(summary_table(summary))

    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())  # finish the product in hand, then stop
    try:
        worker.poll(interval, once=once, with_orders=with_orders, orders_hours=orders_hours, on_summary=show)
    finally:
        progress.close()
        signal.signal(signal.SIGTERM, previous)


@cli.command("orders")
@click.option("--marketplace", type=click.Choice(MARKETPLACES), required=True)
@click.option("--hours", default=72, show_default=True, help="How far back orders are imported.")
def orders_command(marketplace: str, hours: int) -> None:
    """Import the marketplace's orders: each takes our stock once (safe to repeat)."""
    click.echo(summary_table(_worker(marketplace).import_sales(hours)))
