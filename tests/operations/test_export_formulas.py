"""No export turns a producer's or buyer's text into a live spreadsheet formula (issue 22, OWASP "CSV injection").

Each export is attacked with text starting `= + - @` (and tab / carriage return): in CSV it must
arrive prefixed with `'`, in XLSX as a string cell (quote prefix), never a formula. A walk over
the source fails when any module writes CSV or XLSX without catalogue.spreadsheets, and a walk
over the routes fails when an export route has no attack test here.
"""

from __future__ import annotations

import ast
import csv
import inspect
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from catalogue.extensions import db
from catalogue.spreadsheets import CsvWriter, csv_cell
from tests.access_helpers import cast, paid_order, portal_client

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])

CATALOGUE = Path(__file__).resolve().parents[2] / "catalogue"
HELPER = CATALOGUE / "spreadsheets.py"
ATTACKS = ['=HYPERLINK("https://evil.example","Bấm")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1", "\r=1"]
# Every route that answers a CSV or an XLSX, and the test below that attacks it.
EXPORT_ROUTES = {
    "feeds.google_csv": "test_the_google_csv_feed_neutralises_formula_text",
    "portal_invoices.invoices_export": "test_the_invoice_csv_neutralises_a_buyers_formula_name",
    "portal.producer_export": "test_report_exports_neutralise_names_in_csv_and_xlsx",
    "portal_admin.office_export": "test_report_exports_neutralise_names_in_csv_and_xlsx",
    "portal.export_range": "test_the_catalogue_exports_neutralise_product_names",
    "portal_admin.export_catalogue": "test_the_catalogue_exports_neutralise_product_names",
}
_EXPORT_MARKS = ("text/csv", "XLSX_MIMETYPE", "spreadsheetml", "_csv(", "as_xlsx", "_export(")


@pytest.mark.parametrize("text", ATTACKS)
def test_the_helper_prefixes_every_formula_start(app, text):
    out = io.StringIO()
    CsvWriter(out).writerow([text, 42, -3, "Miến dong"])

    assert next(csv.reader(io.StringIO(out.getvalue()))) == ["'" + text, "42", "-3", "Miến dong"]
    assert csv_cell(-3) == -3


def _writers_outside_the_helper() -> list[str]:
    """Modules that call csv.writer / csv.DictWriter or touch openpyxl's Workbook themselves."""
    found = []
    for path in sorted(CATALOGUE.rglob("*.py")):
        if path == HELPER:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("writer", "DictWriter", "Workbook", "append"):
                owner = node.value
                if isinstance(owner, ast.Name) and owner.id in ("csv", "openpyxl"):
                    found.append(f"{path.relative_to(CATALOGUE)}:{node.lineno} {owner.id}.{node.attr}")
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "openpyxl":
                names = {alias.name for alias in node.names}
                # styles are harmless, and so is reading (the office's import reads what it is sent)
                if names - {
                    "Font",
                    "Alignment",
                    "PatternFill",
                    "Border",
                    "Side",
                    "load_workbook",
                    "InvalidFileException",
                }:
                    found.append(f"{path.relative_to(CATALOGUE)}:{node.lineno} from {node.module} import {names}")
            if isinstance(node, ast.ImportFrom) and node.module == "csv":
                found.append(f"{path.relative_to(CATALOGUE)}:{node.lineno} from csv import …")
    return found


def test_every_csv_and_xlsx_writer_goes_through_the_helper(app):
    assert _writers_outside_the_helper() == []


def test_every_export_route_is_attacked_here(app):
    exports = set()
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        try:
            source = inspect.getsource(view)
        except (OSError, TypeError):
            continue
        if rule.rule.endswith((".csv", ".xlsx", "<fmt>")) or any(mark in source for mark in _EXPORT_MARKS):
            exports.add(rule.endpoint)

    assert exports == set(EXPORT_ROUTES), "a new export route needs an attack test and catalogue.spreadsheets"
    assert all(name in globals() for name in EXPORT_ROUTES.values())


def test_the_google_csv_feed_neutralises_formula_text(app):
    world = cast()
    world["product"].name = ATTACKS[0]
    world["product"].description = ATTACKS[3]
    db.session.commit()

    rows = list(csv.DictReader(io.StringIO(app.test_client().get("/feeds/google.csv").get_data(as_text=True))))

    row = next(row for row in rows if row["id"] == str(world["product"].id) or ATTACKS[0] in row["title"])
    assert row["title"] == "'" + ATTACKS[0]
    assert row["description"].startswith("'@")


def test_the_invoice_csv_neutralises_a_buyers_formula_name(app):
    from tests.invoices.invoice_helpers import issue_for

    world = cast()
    order = paid_order([(world["product"], 1)])
    order.customer_name = ATTACKS[1]
    db.session.commit()
    issue_for(order, world["owner_producer"])

    exported = portal_client(app, world, "owner").get("/portal/invoices.csv")

    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert "'" + ATTACKS[1] in rows[1]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_report_exports_neutralise_names_in_csv_and_xlsx(app):
    from catalogue.accounts import services as accounts
    from tests.reports.report_fixtures import province
    from tests.reports.report_pages_helpers import signed_in

    world = province()
    world["p4"].name = ATTACKS[0]
    world["c"].name = ATTACKS[2]
    db.session.commit()
    accounts.create_user("office@example.com", "mật khẩu đủ dài 123", "admin")
    client = signed_in(app, "office@example.com")

    as_csv = client.get("/portal/admin/reports/lapsing_certificates.csv?period=month&month=2026-11")
    as_xlsx = client.get("/portal/admin/reports/lapsing_certificates.xlsx?period=month&month=2026-11")

    row = next(csv.reader(io.StringIO(as_csv.get_data(as_text=True).lstrip("\ufeff").splitlines()[1])))
    assert row[:2] == ["'" + ATTACKS[0], "'" + ATTACKS[2]]
    sheet = load_workbook(io.BytesIO(as_xlsx.data)).active
    name, producer = sheet["A5"], sheet["B5"]
    assert (name.value, producer.value) == (ATTACKS[0], ATTACKS[2])  # shown as typed…
    assert (name.data_type, producer.data_type) == ("s", "s")  # …as text, never a formula
    assert name.quotePrefix and producer.quotePrefix


def test_the_catalogue_exports_neutralise_product_names(app):
    world = cast()
    world["product"].name = ATTACKS[0]
    db.session.commit()
    owner, office = portal_client(app, world, "owner"), portal_client(app, world, "admin")

    as_csv = owner.get("/portal/products/export.csv").get_data(as_text=True).lstrip("\ufeff")
    as_xlsx = office.get("/portal/admin/exports/catalogue.xlsx")

    row = next(csv.reader(io.StringIO(as_csv.splitlines()[1])))
    assert row[1] == "'" + ATTACKS[0]
    sheet = load_workbook(io.BytesIO(as_xlsx.data)).active
    cell = next(r[1] for r in sheet.iter_rows(min_row=2) if r[1].value == ATTACKS[0])
    assert cell.data_type == "s" and cell.quotePrefix  # shown as typed, never a formula
