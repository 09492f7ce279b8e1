"""`flask sync …`: the operator's sync commands."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from catalogue import clock
from catalogue.sync import services


@click.group("sync")
def sync_cli() -> None:
    """Marketplace sync."""


@sync_cli.command("notice-expired")
@with_appcontext
def notice_expired_command() -> None:
    """Put products whose OCOP certificate expired into the change feed, so sync unlists them (run daily)."""
    count = services.notice_expired_certificates(clock.today())
    click.echo(f"{count} product(s) with a newly expired certificate sent to the change feed.")


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
        ("sales new / repeat", f"{summary.sales_new} / {summary.sales_repeat}"),
        (f"{summary.marketplace} calls", summary.calls),
        ("complete", "yes" if summary.complete else "no: the next run retries"),
    ]
    width = max(len(name) for name, _ in rows)
    line = "+" + "-" * (width + 2) + "+" + "-" * 28 + "+"
    body = [f"| {name.ljust(width)} | {str(value).rjust(26)} |" for name, value in rows]
    return "\n".join([line, *body, line, *(f"  {message}" for message in summary.messages[:20])])


@sync_cli.command("run")
@click.option("--marketplace", type=click.Choice(["shopee", "lazada"]), required=True)
@click.option("--once", is_flag=True, help="Drain the change feed once and exit (otherwise poll until SIGTERM).")
@click.option("--interval", default=30.0, show_default=True, help="Seconds between polls.")
@click.option("--with-orders", is_flag=True, help="Also import the marketplace's recent orders after each drain.")
@click.option("--orders-hours", default=72, show_default=True, help="How far back orders are imported.")
@with_appcontext
def run_command(marketplace: str, once: bool, interval: float, with_orders: bool, orders_hours: int) -> None:
    """Push catalogue changes to a marketplace through our API (CATALOGUE_API_URL, CATALOGUE_API_TOKEN)."""
    import signal
    import threading

    from flask import current_app

    from catalogue.sync.settings import SettingsMissing, worker_from_env

    stop = threading.Event()
    progress = _Progress(marketplace)
    try:
        worker = worker_from_env(
            marketplace, current_app.instance_path, stop=stop, on_page=progress.page, on_product=progress.product
        )
    except SettingsMissing as error:
        raise click.UsageError(str(error)) from error
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())  # finish the product in hand, then stop
    try:
        while True:
            summary = worker.run_once()
            if with_orders and not stop.is_set():
                worker.import_sales(orders_hours, summary)
            progress.close()
            click.echo(summary_table(summary))
            if once or stop.wait(interval):
                break
    finally:
        progress.close()
        signal.signal(signal.SIGTERM, previous)


@sync_cli.command("orders")
@click.option("--marketplace", type=click.Choice(["shopee", "lazada"]), required=True)
@click.option("--hours", default=72, show_default=True, help="How far back orders are imported.")
@with_appcontext
def orders_command(marketplace: str, hours: int) -> None:
    """Import the marketplace's recent orders: each takes our stock once (safe to repeat)."""
    from flask import current_app

    from catalogue.sync.settings import SettingsMissing, worker_from_env

    try:
        worker = worker_from_env(marketplace, current_app.instance_path)
    except SettingsMissing as error:
        raise click.UsageError(str(error)) from error
    click.echo(summary_table(worker.import_sales(hours)))
