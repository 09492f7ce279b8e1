"""`flask seed`: the 2023-shaped OCOP catalogue, real facts kept, idempotent."""

import csv
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from catalogue.extensions import db
from catalogue.geography.models import Locality
from catalogue.producers.models import Producer
from catalogue.products.models import Certificate, Product
from catalogue.products.revision import current_revision
from catalogue.seeding import SEED_DIR, analyze_database, expiry_for, scale_catalogue, seed_catalogue
from catalogue.text import fold
from tests.conftest import TODAY

KNOWN = Path(__file__).resolve().parents[3] / "shared" / "data" / "ocop-quangninh-known.csv"


def _snapshot():
    return db.session.execute(
        select(Product.sku, Product.name, Product.price_vnd, Product.stock, Product.version).order_by(Product.sku)
    ).all()


def test_seed_loads_the_catalogue_across_all_localities(app):
    report = seed_catalogue()

    assert report.products_created == db.session.scalar(select(func.count(Product.id))) == 346
    per_locality = dict(
        db.session.execute(
            select(Locality.code, func.count(Product.id))
            .join(Product, Product.locality_id == Locality.id)
            .group_by(Locality.code)
        ).all()
    )
    assert len(per_locality) == 13 and min(per_locality.values()) >= 8


def test_every_product_is_rated_today_and_some_expire_soon(seeded_app):

    current = db.session.scalars(select(Certificate).join(Product, Product.current_certificate_id == Certificate.id))
    certificates = list(current)
    assert len(certificates) == 346
    assert all(certificate.is_valid_on(TODAY) for certificate in certificates)
    assert all(certificate.expires_on == expiry_for(certificate.issued_on) for certificate in certificates)
    expiring_soon = [c for c in certificates if (c.expires_on - TODAY).days <= 60]
    assert 3 <= len(expiring_soon) <= 15


def test_certificate_history_is_kept(seeded_app):

    renewed = db.session.scalars(
        select(Product)
        .join(Certificate, Certificate.product_id == Product.id)
        .group_by(Product.id)
        .having(func.count(Certificate.id) > 1)
    ).all()
    assert len(renewed) >= 10
    for product in renewed:
        assert product.current_certificate == max(product.certificates, key=lambda c: c.issued_on)
        assert not product.certificates[0].is_valid_on(TODAY)


def test_seed_keeps_changes_made_after_it(app):
    seed_catalogue()
    product = db.session.scalar(select(Product).where(Product.sku == "QN-BL-0001"))
    product.price_vnd, product.stock = 99000, 3
    db.session.commit()

    seed_catalogue()

    db.session.refresh(product)
    assert (product.price_vnd, product.stock) == (99000, 3)


@pytest.mark.skipif(not KNOWN.exists(), reason="needs ../shared/data beside the checkout")
def test_real_products_keep_their_names_producers_localities_and_stars(seeded_app):
    rows = db.session.execute(
        select(Product.name, Producer.name, Locality.name, Certificate.stars)
        .join(Product.producer)
        .join(Product.locality)
        .join(Product.current_certificate)
        .where(Product.is_sample.is_(False))
    ).all()
    seeded = {(name, producer): (locality, stars) for name, producer, locality, stars in rows}
    with open(KNOWN, encoding="utf-8") as handle:
        known = [
            row
            for row in csv.DictReader(handle)
            if row["stars"] and row["producer"] and row["locality"] and "not stated" not in row["producer"]
        ]
    assert known
    for row in known:
        assert seeded[(row["product_name"], row["producer"])] == (row["locality"], int(row["stars"]))


def test_seed_files_mark_sample_rows(app):
    with open(SEED_DIR / "products.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["sample"] for row in rows} == {"yes", "no"}
    assert sum(row["sample"] == "no" for row in rows) >= 30


def test_placeholder_images_are_our_own_files(seeded_app):
    product = db.session.scalar(select(Product).where(Product.sku == "QN-BL-0001"))
    image = product.images[0]

    path = Path(seeded_app.config["MEDIA_ROOT"]) / image.path
    assert path.read_text(encoding="utf-8").startswith("<svg")
    assert (image.width, image.height) == (800, 800)
    assert image.alt == product.name


@pytest.mark.slow
def test_scale_adds_generated_variants_that_search_finds(app, backend):
    seed_catalogue()

    created = scale_catalogue(1200)

    assert created == 1200 - 346
    assert db.session.scalar(select(func.count(Product.id))) == 1200
    assert scale_catalogue(1200) == 0
    client = app.test_client()
    hits = client.get("/api/v1/products?q=mien+dong+binh+lieu&per_page=100").get_json()
    assert hits["total"] > 1
    assert all("mien dong binh lieu" in fold(item["name"]) for item in hits["items"][:3])


def test_seed_command_reports_progress_stamps_analyses_and_a_second_run_changes_nothing(app, backend):
    result = app.test_cli_runner().invoke(args=["seed"])

    assert result.exit_code == 0, result.output
    assert "346 new products" in result.output
    # Every product is stamped with a revision, and the planner has statistics for the new rows.
    after_seed = current_revision()
    assert after_seed > 0
    assert db.session.scalar(select(Product.id).where(Product.change_seq == 0).limit(1)) is None
    assert "ANALYZE" in result.output
    if backend == "sqlite":
        analysed = db.session.execute(text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'products'")).scalar()
    else:
        analysed = db.session.execute(
            text("SELECT count(*) FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'products'")
        ).scalar()
    assert analysed > 0
    before = _snapshot()
    producers = db.session.scalar(select(func.count(Producer.id)))

    again = app.test_cli_runner().invoke(args=["seed"])

    assert "0 new products (346 already there, left unchanged)" in again.output
    db.session.expire_all()
    assert _snapshot() == before
    assert db.session.scalar(select(func.count(Producer.id))) == producers
    assert current_revision() == after_seed


def test_the_planner_statistics_refresh_keeps_to_the_shops_own_tables(app, backend):
    """A bare ANALYZE takes every table of the database: on PostgreSQL, other schemas' too, where it deadlocked
    with a migration (CI, 2026-12-07). Only the shop's tables are analysed; a neighbour's are left alone."""
    if backend != "postgresql":
        pytest.skip("SQLite's database is the shop's alone")
    neighbour = f"neighbour_{db.session.execute(text('SELECT current_schema()')).scalar()}"
    db.session.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{neighbour}"'))
    db.session.execute(text(f'CREATE TABLE IF NOT EXISTS "{neighbour}".things AS SELECT generate_series(1, 100) AS n'))
    db.session.commit()
    seed_catalogue()
    try:
        analyze_database()

        query = "SELECT count(*) FROM pg_stats WHERE schemaname = :schema AND tablename = :table"
        shop = db.session.execute(text("SELECT current_schema()")).scalar()
        assert db.session.execute(text(query), {"schema": shop, "table": "products"}).scalar() > 0
        assert db.session.execute(text(query), {"schema": neighbour, "table": "things"}).scalar() == 0
    finally:
        db.session.rollback()
        db.session.execute(text(f'DROP SCHEMA "{neighbour}" CASCADE'))
        db.session.commit()
