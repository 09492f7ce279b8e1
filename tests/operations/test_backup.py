"""The backup drill: back up a shop with sales and invoices, restore into an empty database and storage,
find every row and file again, and go on numbering invoices without a gap or a duplicate."""

from __future__ import annotations

import os
import uuid

import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from catalogue import create_app
from catalogue.backup import BackupError, create_backup, restore_backup, table_counts
from catalogue.extensions import db
from catalogue.invoices.models import Invoice
from catalogue.storage import storage
from tests.conftest import BACKENDS, _config, _migrated_app, postgres_url
from tests.invoices.invoice_helpers import invoicing_shelf, pay, place
from tests.payments.rail_helpers import use_rails


@pytest.fixture(params=BACKENDS)
def databases(request, tmp_path):
    """Two database URLs of the backend: the shop's, and an empty one to restore into."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shop.db'}", f"sqlite:///{tmp_path / 'restored.db'}"
        return
    base = make_url(postgres_url())
    names = [f"ocop_backup_{uuid.uuid4().hex[:8]}_{suffix}" for suffix in ("shop", "restored")]
    admin = base.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        for name in names:
            connection.execute(f"CREATE DATABASE {name}")
    yield tuple(base.set(database=name).render_as_string(hide_password=False) for name in names)
    with psycopg.connect(admin, autocommit=True) as connection:
        for name in names:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _numbers() -> list[tuple[int, str, int]]:
    return sorted(db.session.execute(select(Invoice.producer_id, Invoice.series, Invoice.number)).tuples())


@pytest.mark.slow
def test_a_restored_shop_has_every_row_and_file_and_numbers_invoices_on(databases, tmp_path):
    shop_url, restored_url = databases
    shop = _migrated_app(_config(shop_url, tmp_path / "shop-media"))
    with shop.app_context():
        use_rails(shop)
        client = shop.test_client()
        products = invoicing_shelf()
        for transaction in (1, 2):
            pay(client, place(client, (products["mien"], 1), (products["tuoi"], 2)), transaction)
        storage().put("products/photo.jpg", b"\xff\xd8 a photo", "image/jpeg")
        storage().put("reports/lot-1.pdf", b"%PDF- a private report", "application/pdf", private=True)
        numbers_before = _numbers()
        counts_before = table_counts()
        manifest = create_backup(tmp_path / "backup")
        db.engine.dispose()
    assert len(numbers_before) >= 2 and manifest["database"]["tables"] == counts_before
    assert {(f["namespace"], f["key"]) for f in manifest["files"]} >= {("public", "products/photo.jpg"),
                                                                         ("private", "reports/lot-1.pdf")}  # fmt: skip

    restored = create_app(_config(restored_url, tmp_path / "restored-media"))
    with restored.app_context():
        done = restore_backup(tmp_path / "backup")

        assert table_counts() == counts_before and done["files"] == len(manifest["files"])
        assert storage().get("products/photo.jpg") == b"\xff\xd8 a photo"
        assert storage().get("reports/lot-1.pdf", private=True) == b"%PDF- a private report"
        assert _numbers() == numbers_before
        # the shop goes on: the next invoices take the next numbers of each series, none twice, none skipped
        use_rails(restored)
        client = restored.test_client()
        pay(client, place(client, (products_of(restored)["mien"], 1)), 3)
        after = _numbers()
        for producer, series in {(p, s) for p, s, _ in after}:
            taken = sorted(n for p, s, n in after if (p, s) == (producer, series))
            assert taken == list(range(1, len(taken) + 1)), (producer, series, taken)
        assert len(after) > len(numbers_before)
        db.session.remove()
        db.engine.dispose()


def products_of(app) -> dict:
    from catalogue.products.models import Product

    by_name = {product.name: product for product in db.session.scalars(select(Product))}
    return {"mien": next(p for name, p in by_name.items() if name.startswith("Miến"))}


def test_a_restore_refuses_a_database_that_is_not_empty(tmp_path, sqlite_template):
    import shutil

    shutil.copy(sqlite_template, tmp_path / "shop.db")
    shop = create_app(_config(f"sqlite:///{tmp_path / 'shop.db'}", tmp_path / "media"))
    with shop.app_context():
        create_backup(tmp_path / "backup")
        with pytest.raises(BackupError, match="not empty"):
            restore_backup(tmp_path / "backup")
        db.engine.dispose()


def test_a_damaged_backup_is_refused_before_anything_is_written(tmp_path, sqlite_template):
    import shutil

    shutil.copy(sqlite_template, tmp_path / "shop.db")
    shop = create_app(_config(f"sqlite:///{tmp_path / 'shop.db'}", tmp_path / "media"))
    with shop.app_context():
        storage().put("products/a.jpg", b"photo", "image/jpeg")
        create_backup(tmp_path / "backup")
        db.engine.dispose()
    (tmp_path / "backup" / "storage" / "public" / "products" / "a.jpg").write_bytes(b"tampered")

    empty = create_app(_config(f"sqlite:///{tmp_path / 'empty.db'}", tmp_path / "empty-media"))
    with empty.app_context():
        with pytest.raises(BackupError, match="damaged"):
            restore_backup(tmp_path / "backup")
        assert db.session.scalar(select(func.count()).select_from(db.text("sqlite_master"))) == 0
        db.engine.dispose()


def test_the_commands_say_what_they_did(tmp_path, sqlite_template):
    import shutil

    shutil.copy(sqlite_template, tmp_path / "shop.db")
    shop = create_app(_config(f"sqlite:///{tmp_path / 'shop.db'}", tmp_path / "media"))
    made = shop.test_cli_runner().invoke(args=["backup", "create", str(tmp_path / "b")])
    again = shop.test_cli_runner().invoke(args=["backup", "create", str(tmp_path / "b")])
    empty = create_app(_config(f"sqlite:///{tmp_path / 'empty.db'}", tmp_path / "empty-media"))
    restored = empty.test_cli_runner().invoke(args=["backup", "restore", str(tmp_path / "b")])

    assert made.exit_code == 0 and "Backed up" in made.output
    assert again.exit_code == 1 and "not empty" in again.output
    assert restored.exit_code == 0 and "checksums and counts match" in restored.output, restored.output
    assert os.path.exists(tmp_path / "empty.db")
