"""`flask seed`: load the OCOP catalogue from seed/*.csv, idempotently.

Reference data (localities, OCOP groups and product sets) is upserted by code.
Producers and products are inserted when their slug / sku is missing and
otherwise left alone, so a second run never overwrites what producers changed.
`--scale N` then adds generated variants until the catalogue holds N products,
for measurements.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from html import escape
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import bindparam, func, insert, select, text, update

from catalogue import clock
from catalogue.delivery.pickup import default_pickup
from catalogue.extensions import db
from catalogue.geography.models import Locality
from catalogue.invoices.seeding import seed_invoicing
from catalogue.producers.models import Producer
from catalogue.products.models import (
    Category,
    Certificate,
    OcopGroup,
    Product,
    ProductImage,
    expiry_for,
)
from catalogue.products.renditions import PLACEHOLDER_SIZE, placeholder_jpeg, raster_path
from catalogue.products.revision import next_change_seq
from catalogue.storage import Storage, storage
from catalogue.storage.local import LocalStorage
from catalogue.text import nfc, search_document, slugify, sort_key, unique_slug

SEED_DIR = Path(__file__).resolve().parent.parent / "seed"
BATCH_SIZE = 2000
DEFAULT_COLOURS = ("#eeeeee", "#333333")
GROUP_COLOURS = {
    "thuc-pham": ("#f4e3c1", "#8a4b08"),
    "do-uong": ("#d9ecf7", "#0b4f75"),
    "duoc-lieu": ("#dff0d8", "#2f6b1f"),
    "thu-cong-my-nghe": ("#f3dcd4", "#7a2e14"),
    "sinh-vat-canh": ("#e4f5e1", "#1f6b3a"),
    "du-lich": ("#e3e0f5", "#3b2f7a"),
}
SCALE_VARIANTS = (
    "loại đặc biệt",
    "hộp quà",
    "túi tiết kiệm",
    "combo 2",
    "combo 3",
    "gói nhỏ",
    "gói lớn",
    "vụ mùa mới",
    "bản Tết",
    "thượng hạng",
    "truyền thống",
    "hữu cơ",
    "xuất khẩu",
    "dùng thử",
)


@dataclass
class SeedReport:
    """What a seed run did."""

    localities: int = 0
    categories: int = 0
    producers_created: int = 0
    products_created: int = 0
    products_kept: int = 0
    scaled_created: int = 0
    renditions_drawn: int = 0
    lots_created: int = 0


def _seed_lots(skus: set[str]) -> int:
    from catalogue import clock
    from catalogue.traceability.seed import seed_lots

    return seed_lots(skus, clock.today())


def read_csv(name: str, seed_dir: Path = SEED_DIR) -> list[dict[str, str]]:
    """Rows of seed/<name> with NFC text."""
    with open(seed_dir / name, newline="", encoding="utf-8") as handle:
        return [{key: nfc(value or "").strip() for key, value in row.items()} for row in csv.DictReader(handle)]


def seed_catalogue(
    seed_dir: Path = SEED_DIR, media_root: Path | None = None, progress=None, store: Storage | None = None
) -> SeedReport:
    """Load reference data, producers and products; one commit. Placeholders go to `store` (the app's storage;
    `media_root`: a folder of one's own, for benches and test templates)."""
    report = SeedReport()
    store = store or (LocalStorage(media_root) if media_root is not None else storage())
    localities = _upsert_localities(read_csv("localities.csv", seed_dir), report)
    categories = _upsert_categories(read_csv("categories.csv", seed_dir), report)
    producers = _insert_producers(read_csv("producers.csv", seed_dir), localities, report)
    history: dict[str, list[dict[str, str]]] = {}
    for row in read_csv("certificate_history.csv", seed_dir):
        history.setdefault(row["sku"], []).append(row)
    product_rows = read_csv("products.csv", seed_dir)
    existing = set(db.session.scalars(select(Product.sku)))
    report.products_kept = sum(1 for row in product_rows if row["sku"] in existing)
    new_rows = [row for row in product_rows if row["sku"] not in existing]
    specs = [_product_spec(row, producers, localities, categories, history.get(row["sku"], [])) for row in new_rows]
    taken = set(db.session.scalars(select(Product.slug)))
    for spec in specs:
        spec["slug"] = unique_slug(spec["slug"], taken)
        spec["image_path"] = write_placeholder(store, spec)
    report.products_created = insert_products(specs, progress)
    seed_invoicing(clock.today())
    report.lots_created = _seed_lots({row["sku"] for row in product_rows})
    db.session.commit()
    report.renditions_drawn = ensure_placeholder_renditions(store)
    return report


def ensure_placeholder_renditions(store: Storage) -> int:
    """Draw the JPEG rendition of every SVG placeholder that has none (catalogues seeded before renditions)."""
    svg_paths = db.session.scalars(select(ProductImage.path).where(ProductImage.path.like("%.svg")).distinct())
    drawn = 0
    for path in svg_paths:
        target = raster_path(path)
        if store.exists(target):
            continue
        name, group_code = db.session.execute(
            select(Product.name, OcopGroup.code)
            .join(ProductImage, ProductImage.product_id == Product.id)
            .join(Category, Category.id == Product.category_id)
            .join(OcopGroup, OcopGroup.id == Category.group_id)
            .where(ProductImage.path == path)
            .order_by(Product.id)
            .limit(1)
        ).one()
        store.put(target, placeholder_jpeg(name, *GROUP_COLOURS.get(group_code, DEFAULT_COLOURS)), "image/jpeg")
        drawn += 1
    return drawn


def scale_catalogue(target: int, media_root: Path | None = None, progress=None) -> int:
    """Add generated variants of the seeded products until there are `target` products."""
    current = db.session.scalar(select(func.count(Product.id))) or 0
    missing = target - current
    if missing <= 0:
        return 0
    base = db.session.scalars(select(Product).where(~Product.sku.like("QN-SX-%")).order_by(Product.id)).all()
    if not base:
        raise click.ClickException("Seed the catalogue first: there is nothing to scale from.")
    start = (db.session.scalar(select(func.count(Product.id)).where(Product.sku.like("QN-SX-%"))) or 0) + 1
    rng = random.Random(target)
    specs = (_variant_spec(base[(start + n) % len(base)], start + n, rng) for n in range(missing))
    created = insert_products(specs, progress)
    db.session.commit()
    return created


def insert_products(specs: Iterable[dict], progress=None) -> int:
    """Bulk-insert products with their certificates and image, in batches.

    Core inserts bypass the ORM's flush events, so each batch takes its own catalogue
    revision and stamps it on its products (see catalogue.products.revision).
    """
    created = 0
    for batch in _batches(specs, BATCH_SIZE):
        ids = _insert_product_rows(batch, next_change_seq())
        certificate_rows, current_rows, image_rows = [], [], []
        for spec in batch:
            product_id = ids[spec["sku"]]
            for certificate in spec["certificates"]:
                certificate_rows.append({**certificate, "product_id": product_id})
            if not spec["image_path"]:
                continue  # no picture: the storefront shows its "no photo" placeholder
            image_rows.append(
                {
                    "product_id": product_id,
                    "position": 0,
                    "path": spec["image_path"],
                    "alt": spec["name"],
                    "width": PLACEHOLDER_SIZE,
                    "height": PLACEHOLDER_SIZE,
                }
            )
        if image_rows:
            db.session.execute(insert(ProductImage), image_rows)
        db.session.execute(insert(Certificate), certificate_rows)
        latest = (
            select(Certificate.product_id, func.max(Certificate.id).label("certificate_id"))
            .where(Certificate.product_id.in_(ids.values()))
            .group_by(Certificate.product_id)
        )
        current_rows = [
            {"product_key": product_id, "certificate_id": certificate_id}
            for product_id, certificate_id in db.session.execute(latest)
        ]
        db.session.execute(
            update(Product.__table__)
            .where(Product.__table__.c.id == bindparam("product_key"))
            .values(current_certificate_id=bindparam("certificate_id")),
            current_rows,
        )
        created += len(batch)
        if progress:
            progress(len(batch))
    return created


def _insert_product_rows(batch: list[dict], change_seq: int) -> dict[str, int]:
    columns = (
        "sku",
        "slug",
        "name",
        "description",
        "unit",
        "net_weight_g",
        "price_vnd",
        "stock",
        "status",
        "review_status",
        "is_sample",
        "producer_id",
        "category_id",
        "locality_id",
        "search_name",
        "search_text",
        "name_sort_key",
        "version",
    )
    rows = [{**{column: spec[column] for column in columns}, "change_seq": change_seq} for spec in batch]
    result = db.session.execute(
        insert(Product.__table__).returning(Product.__table__.c.id, Product.__table__.c.sku), rows
    )
    return {sku: product_id for product_id, sku in result}


def _batches(items: Iterable[dict], size: int) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _upsert_localities(rows: list[dict[str, str]], report: SeedReport) -> dict[str, Locality]:
    existing = {locality.code: locality for locality in db.session.scalars(select(Locality))}
    for position, row in enumerate(rows):
        locality = existing.get(row["code"]) or Locality(code=row["code"])
        locality.name, locality.kind, locality.sku_prefix, locality.position = (
            row["name"],
            row["kind"],
            row["sku_prefix"],
            position,
        )
        existing[row["code"]] = locality
        db.session.add(locality)
    db.session.flush()
    report.localities = len(rows)
    return existing


def _upsert_categories(rows: list[dict[str, str]], report: SeedReport) -> dict[str, Category]:
    groups = {group.code: group for group in db.session.scalars(select(OcopGroup))}
    categories = {category.code: category for category in db.session.scalars(select(Category))}
    for position, row in enumerate(rows):
        group = groups.get(row["group_code"]) or OcopGroup(code=row["group_code"], position=len(groups))
        group.name = row["group_name"]
        groups[group.code] = group
        category = categories.get(row["code"]) or Category(code=row["code"])
        category.name, category.group, category.position = row["name"], group, position
        categories[category.code] = category
        db.session.add(category)
    db.session.flush()
    report.categories = len(rows)
    return categories


def _insert_producers(rows, localities: dict[str, Locality], report: SeedReport) -> dict[str, Producer]:
    producers = {producer.slug: producer for producer in db.session.scalars(select(Producer))}
    for row in rows:
        if row["slug"] in producers:
            continue
        producer = Producer(
            slug=row["slug"],
            name=row["name"],
            legal_form=row["legal_form"],
            tax_code=row["tax_code"] or None,
            locality=localities[row["locality"]],
            address=row["address"],
            phone=row["phone"],
            email=row["email"],
            story=row["story"],
            is_sample=row["sample"] == "yes",
            name_sort_key=sort_key(row["name"]),
        )
        db.session.add(producer)
        producers[producer.slug] = producer
        report.producers_created += 1
    for producer in producers.values():
        default_pickup(producer)  # its locality's main ward until the producer corrects it; never overwritten
    db.session.flush()
    return producers


def _certificate(row: dict[str, str]) -> dict:
    issued_on = date.fromisoformat(row["issued_on"])
    return {
        "stars": int(row["stars"]),
        "certificate_no": row["certificate_no"],
        "issuing_level": row["issuing_level"],
        "issued_on": issued_on,
        "expires_on": expiry_for(issued_on),
    }


def _product_spec(row, producers, localities, categories, history) -> dict:
    producer, locality, category = producers[row["producer"]], localities[row["locality"]], categories[row["category"]]
    older = sorted((_certificate(old) for old in history), key=lambda c: c["issued_on"])
    return _spec(
        sku=row["sku"],
        name=row["name"],
        description=row["description"],
        unit=row["unit"],
        net_weight_g=int(row["net_weight_g"]) if row["net_weight_g"] else None,
        price_vnd=int(row["price_vnd"]),
        stock=int(row["stock"]),
        is_sample=row["sample"] == "yes",
        producer=producer,
        locality=locality,
        category=category,
        certificates=[*older, _certificate(row)],
    )


def _variant_spec(base: Product, number: int, rng: random.Random) -> dict:
    variant = SCALE_VARIANTS[number % len(SCALE_VARIANTS)]
    certificate = base.current_certificate
    return _spec(
        sku=f"QN-SX-{number:06d}",
        name=f"{base.name} {variant} {number}",
        description=base.description,
        unit=base.unit,
        net_weight_g=base.net_weight_g,
        price_vnd=max(1000, base.price_vnd + 1000 * rng.randint(-20, 40)),
        stock=rng.randint(0, 300),
        is_sample=True,
        producer=base.producer,
        locality=base.locality,
        category=base.category,
        certificates=[
            {
                "stars": certificate.stars,
                "certificate_no": certificate.certificate_no,
                "issuing_level": certificate.issuing_level,
                "issued_on": certificate.issued_on,
                "expires_on": certificate.expires_on,
            }
        ],
        image_path=base.images[0].path if base.images else "",
    )


def _spec(*, sku, name, description, producer, locality, category, image_path="", **values) -> dict:
    return {
        **values,
        "sku": sku,
        "slug": slugify(name),
        "name": name,
        "description": description,
        "status": "active",
        "review_status": "approved",  # the office publishes the seed catalogue itself
        "producer_id": producer.id,
        "category_id": category.id,
        "locality_id": locality.id,
        "group_code": category.group.code,
        "search_name": search_document(name),
        "search_text": search_document(name, producer.name, locality.name, category.name, description),
        "name_sort_key": sort_key(name),
        "version": 1,
        "image_path": image_path,
    }


def write_placeholder(store: Storage, spec: dict) -> str:
    """Store our own SVG placeholder for a product, and its JPEG rendition; returns the SVG's storage key."""
    background, ink = GROUP_COLOURS.get(spec["group_code"], DEFAULT_COLOURS)
    relative = f"placeholders/{spec['sku'].lower()}.svg"
    words, lines, line = spec["name"].split(), [], ""
    for word in words:
        if len(line) + len(word) > 18 and line:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    text_rows = "".join(
        f'<text x="400" y="{380 + 70 * index - 35 * (len(lines) - 1)}" text-anchor="middle">{escape(row)}</text>'
        for index, row in enumerate(lines[:4])
    )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{PLACEHOLDER_SIZE}" height="{PLACEHOLDER_SIZE}" '
        f'viewBox="0 0 800 800" role="img" aria-label="{escape(spec["name"])}">'
        f'<rect width="800" height="800" fill="{background}"/>'
        f'<circle cx="400" cy="400" r="330" fill="none" stroke="{ink}" stroke-width="6" opacity=".25"/>'
        f'<g fill="{ink}" font-family="system-ui,sans-serif" font-size="56" font-weight="600">{text_rows}</g>'
        f'<text x="400" y="720" text-anchor="middle" fill="{ink}" font-family="system-ui,sans-serif" '
        f'font-size="28" opacity=".7">OCOP Quảng Ninh · ảnh minh hoạ</text></svg>'
    )
    store.put(relative, svg.encode("utf-8"), "image/svg+xml")
    store.put(raster_path(relative), placeholder_jpeg(spec["name"], background, ink), "image/jpeg")
    return relative


@click.command("seed")
@click.option("--scale", type=click.IntRange(min=1), help="Add generated variants up to this many products.")
@with_appcontext
def seed_command(scale: int | None) -> None:
    """Load the OCOP catalogue from seed/ (safe to run again)."""
    rows = len(read_csv("products.csv"))
    with click.progressbar(length=rows, label="Sản phẩm (products)") as bar:
        report = seed_catalogue(progress=bar.update)
    click.echo(
        f"Seeded: {report.localities} localities, {report.categories} product sets, "
        f"{report.producers_created} new producers, {report.products_created} new products "
        f"({report.products_kept} already there, left unchanged)."
    )
    if scale:
        current = db.session.scalar(select(func.count(Product.id))) or 0
        with click.progressbar(length=max(scale - current, 0), label="Scaling") as bar:
            created = scale_catalogue(scale, progress=bar.update)
        click.echo(f"Scaled: {created} generated products added ({scale} in all).")
    analyze_database()
    click.echo("Planner statistics refreshed (ANALYZE).")


def analyze_database() -> None:
    """Refresh the query planner's statistics after a bulk load.

    Without them SQLite guesses, and at 100 000 products it starts a search from the
    products table instead of the full-text matches (bench/README.md); PostgreSQL's
    autovacuum would catch up eventually, but not before the first queries.

    On PostgreSQL only the shop's own tables (found by the search path): a bare ANALYZE takes every
    table of the database, other schemas' too, and deadlocked with a migration running there (CI,
    2026-12-07: the tests' workers share one database, a schema each; a province may share a server).
    """
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(text("ANALYZE"))
        db.session.execute(text("PRAGMA optimize"))
    else:
        preparer = db.session.get_bind().dialect.identifier_preparer
        db.session.execute(text("ANALYZE " + ", ".join(preparer.quote(name) for name in sorted(db.metadata.tables))))
    db.session.commit()
