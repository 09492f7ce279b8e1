"""`flask catalogue import PATH [--dry-run]` (contract §8): a decision list imported from the command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from catalogue import clock
from catalogue.accounts.principal import SYSTEM
from catalogue.imports.importing import import_decisions
from catalogue.imports.mappings import saved_mapping
from catalogue.imports.reading import SheetRefused, read_sheet


@click.group("catalogue")
def catalogue_cli() -> None:
    """The OCOP catalogue's spreadsheets."""


@catalogue_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Say what each row would do; change nothing.")
@with_appcontext
def import_command(path: Path, dry_run: bool) -> None:
    """Import the province's OCOP rating decision (XLSX or CSV, the contract's headings)."""
    try:
        sheet = read_sheet(path.read_bytes(), path.name)
        with click.progressbar(length=len(sheet.rows), label="Dòng", file=sys.stderr) as bar:
            done = [0]

            def progress(rows: int) -> None:
                bar.update(rows - done[0])
                done[0] = rows

            report = import_decisions(
                SYSTEM, sheet, clock.today(), dry_run=dry_run, mapping=saved_mapping(), progress=progress
            )
    except SheetRefused as error:
        raise click.ClickException(f"File bị từ chối, không nhập gì: {error.message}") from error
    for outcome in report.outcomes:
        click.echo(outcome.describe())
    counts = report.counts
    heading = "Chạy thử (không thay đổi gì)" if dry_run else "Đã nhập"
    click.echo(
        f"{heading}: {counts['create']} thêm mới, {counts['update']} cập nhật, "
        f"{counts['unchanged']} không đổi, {counts['refused']} từ chối."
    )
