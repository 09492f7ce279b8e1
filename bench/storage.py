"""The cost of the storage port on a product page: local folder vs S3 endpoint, streamed vs redirected.

    .venv/bin/python bench/storage.py [--rounds 300]

In-process (Flask's test client, so the figures are the app's own work plus the store's),
on a seeded SQLite catalogue under bench/results/: each round is what a shopper's browser
does for a product — GET the product page (a returning shopper, page cache warm), then GET
its photo (the ~40 kB JPEG rendition). Three ways to keep and serve the photo:

- local: STORAGE_URL=file:// (the default), /media streamed from the folder by sendfile;
- s3 stream: a bucket on moto's S3 server (127.0.0.1), /media streamed through the app;
- s3 redirect: the same bucket, /media answers 302 to a signed URL, the client fetches it
  from the store (over HTTP, a kept-alive session as a browser has).

The figures are written between the `storage` markers of bench/README.md.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import socket
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
RESULTS = REPO / "bench" / "results"
README = REPO / "bench" / "README.md"
MARK_START, MARK_END = "<!-- storage:start -->", "<!-- storage:end -->"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _rounds(client, page: str, image: str, rounds: int, follow=None) -> dict[str, float]:
    """Milliseconds of the page, the image, and both, per round (after 20 rounds of warm-up)."""
    pages, images, app_images = [], [], []
    for number in range(rounds + 20):
        start = time.perf_counter()
        assert client.get(page).status_code == 200
        middle = time.perf_counter()
        answer = client.get(image)
        answered = time.perf_counter()
        body = follow(answer.location) if follow and answer.status_code == 302 else answer.get_data()
        end = time.perf_counter()
        assert len(body) > 1000, answer.status_code
        if number >= 20:
            pages.append((middle - start) * 1000)
            images.append((end - middle) * 1000)
            app_images.append((answered - middle) * 1000)
    both = sorted(p + i for p, i in zip(pages, images, strict=True))
    return {
        "page": statistics.median(pages),
        "image": statistics.median(images),
        "app": statistics.median(app_images),
        "p50": statistics.median(both),
        "p99": both[int(len(both) * 0.99) - 1],
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args(argv)
    import boto3
    import requests
    from flask_migrate import upgrade
    from moto.server import ThreadedMotoServer
    from sqlalchemy import select

    from catalogue import create_app
    from catalogue.products.models import Product
    from catalogue.products.renditions import raster_path
    from catalogue.seeding import seed_catalogue
    from catalogue.storage import storage_from_url
    from catalogue.storage.cli import MigrationReport, migrate_folder

    RESULTS.mkdir(parents=True, exist_ok=True)
    media = RESULTS / "storage-media"
    shutil.rmtree(media, ignore_errors=True)
    database = RESULTS / "storage.db"
    database.unlink(missing_ok=True)
    app = create_app({"CATALOGUE_ENV": "testing", "SECRET_KEY": "bench", "MEDIA_ROOT": str(media),
                      "LOG_LEVEL": "WARNING", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}"})  # fmt: skip
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    figures = {}
    try:
        with app.app_context():
            upgrade()
            seed_catalogue()
            product = app.extensions["sqlalchemy"].session.scalars(select(Product).order_by(Product.id)).first()
            page, image = f"/products/{product.slug}", f"/media/{raster_path(product.images[0].path)}"
            local = app.extensions["catalogue.storage"]
            boto3.client("s3", endpoint_url=endpoint, **{k.lower(): v for k, v in CREDENTIALS.items()
                                                         if k != "AWS_DEFAULT_REGION"},
                         region_name="us-east-1").create_bucket(Bucket="bench")  # fmt: skip
            settings = {"AWS_ENDPOINT_URL": endpoint, **CREDENTIALS}
            bucket = storage_from_url("s3://bench/media", settings)
            migrate_folder(media, bucket, MigrationReport())
        client = app.test_client()
        client.get(page)  # the session cookie of a returning shopper
        figures["local folder"] = _rounds(client, page, image, args.rounds)
        app.extensions["catalogue.storage"] = bucket
        app.config["STORAGE_SERVE"] = "stream"
        figures["S3 (moto), streamed by the app"] = _rounds(client, page, image, args.rounds)
        app.config["STORAGE_SERVE"] = "redirect"
        session = requests.Session()
        figures["S3 (moto), 302 to a signed URL"] = _rounds(
            client, page, image, args.rounds, follow=lambda url: session.get(url, timeout=5).content
        )
        app.extensions["catalogue.storage"] = local
    finally:
        server.stop()
    _write(figures, args.rounds)


def _write(figures: dict, rounds: int) -> None:
    rows = [
        f"| {name} | {f['page']:.2f} | {f['image']:.2f} | {f['app']:.2f} | {f['p50']:.2f} | {f['p99']:.2f} |"
        for name, f in figures.items()
    ]
    table = "\n".join(
        [
            f"{rounds} rounds of product page + its photo, in-process, {platform.python_version()} on "
            f"{platform.machine()}; milliseconds (median page, median photo and the app's share of it, "
            "p50 and p99 of both).",
            "",
            "| photo kept in / served by | page | photo | of which the app | page + photo p50 | p99 |",
            "|---|---|---|---|---|---|",
            *rows,
        ]
    )
    print(table)
    text = README.read_text()
    if MARK_START in text:
        before, rest = text.split(MARK_START, 1)
        text = before + MARK_START + "\n" + table + "\n" + MARK_END + rest.split(MARK_END, 1)[1]
        README.write_text(text)


if __name__ == "__main__":
    main()
