"""Exports (issue 26): the office's whole catalogue, a producer's own range only, formula-safe in CSV and XLSX."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from catalogue.extensions import db
from catalogue.imports.exports import COLUMNS
from catalogue.spreadsheets import csv_cell as neutralise
from tests.access_helpers import cast, portal_client


@pytest.fixture
def world(app):
    made = cast()
    made["product"].name = '=HYPERLINK("http://evil.example","Bấm")'
    db.session.commit()
    return made


def _csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_neutralise_defuses_what_a_spreadsheet_would_run():
    assert [neutralise(v) for v in ("=1+1", "+84", "-2", "@SUM(A1)", "\tx", "Miến", 85000, None)] == [
        "'=1+1",
        "'+84",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "Miến",
        85000,
        None,
    ]


def test_a_producer_downloads_only_its_own_range(app, world):
    owner = portal_client(app, world, "owner")

    answer = owner.get("/portal/products/export.csv")

    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    rows = _csv_rows(answer.data)
    assert rows[0] == list(COLUMNS)
    assert [row[0] for row in rows[1:]] == [world["product"].sku]
    assert rows[1][1] == "'" + world["product"].name  # shown as text, never run
    assert world["other_product"].sku not in answer.get_data(as_text=True)


def test_the_office_downloads_the_whole_catalogue_as_xlsx_with_text_never_a_formula(app, world):
    office = portal_client(app, world, "admin")

    answer = office.get("/portal/admin/exports/catalogue.xlsx")

    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(COLUMNS)
    assert sorted(row[0] for row in rows[1:]) == sorted([world["product"].sku, world["other_product"].sku])
    cells = [row for row in sheet.iter_rows(min_row=2) if row[0].value == world["product"].sku][0]
    assert (cells[1].value, cells[1].data_type) == (world["product"].name, "s")


def test_a_producer_cannot_download_the_whole_catalogue_nor_an_unknown_format(app, world):
    owner = portal_client(app, world, "owner")

    assert owner.get("/portal/admin/exports/catalogue.csv").status_code == 403
    assert owner.get("/portal/products/export.pdf").status_code == 404
