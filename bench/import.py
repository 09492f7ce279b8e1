"""Importing a 5 000-row OCOP decision list (XLSX): the real run, the same file again, and a dry run.

    .venv/bin/python bench/import.py [--rows 5000] [--database-url postgresql+psycopg://…]

In-process, on a fresh SQLite file under bench/results/ (or the given database, in a schema of
its own) holding only the reference data (13 localities, the product sets). The sheet has 500
producers (cooperatives, companies and households across the localities, 4 in 5 with a valid
tax code) of 10 products each, rated by two decisions. The figures go between the `import`
markers of bench/README.md.
"""

from __future__ import annotations

import argparse
import io
import platform
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
RESULTS = REPO / "bench" / "results"
README = REPO / "bench" / "README.md"
MARK_START, MARK_END = "<!-- import:start -->", "<!-- import:end -->"
KINDS = ("HTX Nông sản", "Công ty TNHH Thực phẩm", "Hộ kinh doanh", "HTX Dược liệu", "Công ty CP Đặc sản")
GOODS = ("Miến dong", "Chè hoa vàng", "Nước mắm", "Rượu ba kích", "Tinh dầu quế", "Mật ong rừng", "Chả mực",
         "Gà đồi", "Ruốc hàu", "Trà hoa vàng")  # fmt: skip
SETS = ("Thực phẩm chế biến", "Chè và sản phẩm từ chè", "Gia vị", "Rượu trắng",
        "Tinh dầu, hương và sản phẩm khác từ dược liệu", "Nông sản, thủy sản thô, sơ chế")  # fmt: skip


def tax_code(number: int) -> str:
    """A made-up tax code with a valid check digit."""
    from stdnum.vn import mst

    # One base in eleven has no valid check digit (the remainder 10): the next base serves then.
    for base in (f"57{number:06d}{spare}" for spare in range(10)):
        for digit in "0123456789":
            if mst.is_valid(base + digit):
                return base + digit
    raise ValueError(number)


def sheet_bytes(rows: int) -> bytes:
    """The decision list as Excel saves it: date cells, numbers as numbers."""
    from openpyxl import Workbook

    from catalogue.imports.columns import HEADINGS

    localities = ["Hạ Long", "Cẩm Phả", "Uông Bí", "Móng Cái", "Đông Triều", "Quảng Yên", "Vân Đồn", "Bình Liêu",
                  "Ba Chẽ", "Tiên Yên", "Đầm Hà", "Hải Hà", "Cô Tô"]  # fmt: skip
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(HEADINGS.values()))
    for number in range(rows):
        maker, item = divmod(number, 10)
        place = localities[maker % len(localities)]
        producer = f"{KINDS[maker % len(KINDS)]} {place} số {maker}"
        stars = (3, 3, 3, 4, 4, 5)[number % 6] if number % 6 != 5 else 4
        day = date(2025, 9, 15) if number % 2 else date(2024, 5, 24)
        sheet.append([f"{GOODS[item]} {place} loại {maker}", producer, tax_code(maker) if maker % 5 else None, place,
                      SETS[item % len(SETS)], stars, "2950/QĐ-UBND" if number % 2 else "1733/QĐ-UBND", day,
                      85_000 + 1000 * item, "gói", 10 * item])  # fmt: skip
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def measure(content: bytes) -> dict:
    """Read and import the sheet three ways; seconds of each and what each did."""
    from catalogue import clock
    from catalogue.accounts.principal import SYSTEM
    from catalogue.imports.importing import import_decisions
    from catalogue.imports.reading import read_sheet

    timings, counts = {}, {}
    for name, dry_run in (("read", None), ("first", False), ("again", False), ("dry", True)):
        started = time.perf_counter()
        sheet = read_sheet(content)
        if dry_run is not None:
            counts[name] = import_decisions(SYSTEM, sheet, clock.today(), dry_run=dry_run).counts
        timings[name] = time.perf_counter() - started
    return {"timings": timings, "counts": counts, "rows": len(sheet.rows)}


def main(argv: list[str] | None = None) -> int:
    """Reference data, a sheet, the three runs, the README row."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args(argv)
    from flask_migrate import upgrade
    from sqlalchemy import create_engine, text

    from catalogue import create_app
    from catalogue.extensions import db
    from catalogue.seeding import SeedReport, _upsert_categories, _upsert_localities, read_csv

    RESULTS.mkdir(parents=True, exist_ok=True)
    config = {"CATALOGUE_ENV": "testing", "SECRET_KEY": "bench", "MEDIA_ROOT": str(RESULTS / "media")}
    if args.database_url:
        schema = "bench_import"
        engine = create_engine(args.database_url)
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
        config.update(SQLALCHEMY_DATABASE_URI=args.database_url,
                      SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"options": f"-csearch_path={schema}"}})  # fmt: skip
        backend = "PostgreSQL"
    else:
        database = RESULTS / "import.db"
        database.unlink(missing_ok=True)
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{database}"
        backend = "SQLite"
    content = sheet_bytes(args.rows)
    app = create_app(config)
    with app.app_context():
        upgrade()
        report = SeedReport()
        _upsert_localities(read_csv("localities.csv"), report)
        _upsert_categories(read_csv("categories.csv"), report)
        db.session.commit()
        result = measure(content)
    t, c = result["timings"], result["counts"]
    print(f"{backend}: {result['rows']} rows ({len(content) // 1024} KB XLSX); read {t['read']:.1f} s; "
          f"import {t['first']:.1f} s ({result['rows'] / t['first']:.0f} rows/s) {c['first']}; "
          f"again {t['again']:.1f} s {c['again']}; dry run {t['dry']:.1f} s")  # fmt: skip
    write_readme(backend, result)
    return 0 if c["first"]["create"] == result["rows"] and c["again"]["unchanged"] == result["rows"] else 1


def write_readme(backend: str, result: dict) -> None:
    """Replace this backend's row between the import markers of bench/README.md."""
    t, rows = result["timings"], result["rows"]
    text = README.read_text()
    head = (f"Measured {datetime.now(UTC):%Y-%m-%d}: 2 cores shared with other work, Python "
            f"{platform.python_version()}, in-process; each time includes reading the XLSX.")  # fmt: skip
    row = (f"| {backend} | {rows} | {t['read']:.1f} | {t['first']:.1f} | {rows / t['first']:.0f} | "
           f"{t['again']:.1f} | {t['dry']:.1f} |")  # fmt: skip
    header = ["| database | rows | read XLSX (s) | import, all new (s) | rows/s | same file again (s) | dry run (s) |",
              "|---|--:|--:|--:|--:|--:|--:|"]  # fmt: skip
    if MARK_START not in text:
        intro = ("`.venv/bin/python bench/import.py [--database-url …]` (see its docstring): a 5 000-row decision "
                 "list imported by `flask catalogue import`'s service, then the same file again (every row "
                 "unchanged), then a dry run.")  # fmt: skip
        text += f"\n## Decision-list import\n\n{intro}\n\n{MARK_START}\n{MARK_END}\n"
    before, rest = text.split(MARK_START, 1)
    inside, after = rest.split(MARK_END, 1)
    rows_kept = [line for line in inside.splitlines() if line.startswith("| ") and not line.startswith("| database")]
    rows_kept = [line for line in rows_kept if not line.startswith(f"| {backend} |")] + [row]
    body = "\n".join([head, "", *header, *sorted(rows_kept)])
    README.write_text(f"{before}{MARK_START}\n{body}\n{MARK_END}{after}")


if __name__ == "__main__":
    sys.exit(main())
