"""Helpers of the decision-list import tests: reference data, fixture files, and a dump of every table."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from catalogue import clock
from catalogue.accounts.principal import SYSTEM
from catalogue.extensions import db
from catalogue.imports.importing import ImportReport, import_decisions
from catalogue.imports.reading import read_sheet
from catalogue.seeding import SeedReport, _upsert_categories, _upsert_localities, read_csv

DATA = Path(__file__).resolve().parents[1] / "data"


def reference_data() -> None:
    """The 13 localities and every product set, as the seed has them; no producer, no product."""
    report = SeedReport()
    _upsert_localities(read_csv("localities.csv"), report)
    _upsert_categories(read_csv("categories.csv"), report)
    db.session.commit()


def fixture_bytes(name: str) -> bytes:
    return (DATA / name).read_bytes()


def run(name_or_bytes: str | bytes, dry_run: bool = False, mapping: dict | None = None) -> ImportReport:
    """Import a fixture file (or bytes) as the command line does."""
    content = fixture_bytes(name_or_bytes) if isinstance(name_or_bytes, str) else name_or_bytes
    return import_decisions(SYSTEM, read_sheet(content), clock.today(), dry_run=dry_run, mapping=mapping)


def actions(report: ImportReport) -> list[tuple[int, str, str]]:
    return [(outcome.row, outcome.action, outcome.product) for outcome in report.outcomes]


def dump_database() -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order: equal dumps are an unchanged database."""
    db.session.expire_all()
    dump = {}
    for table in db.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        dump[table.name] = [tuple(row) for row in db.session.execute(select(table).order_by(*order))]
    db.session.rollback()
    return dump
