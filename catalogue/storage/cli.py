"""`flask storage migrate`: an existing local media folder (and the certificates' folder) into the configured storage.

Idempotent: a file already stored with the same size and SHA-256 is skipped, so a second run
copies nothing. Reports become private files; certificates are sealed on the way in (a
sealed file differs at each sealing, so it is compared by its unsealed bytes). When the
source folder is the storage's own folder (the default file:// storage), reports are moved
into its private namespace rather than copied, so no copy stays reachable at /media/.
"""

from __future__ import annotations

import mimetypes
import os
from dataclasses import dataclass, field
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from catalogue.storage import PRIVATE_PREFIX, Storage, sha256_of, storage
from catalogue.storage.layout import CERTIFICATES, PRIVATE_FOLDERS
from catalogue.storage.local import LocalStorage
from catalogue.storage.sealing import Unsealable, seal, unseal

storage_cli = AppGroup("storage", help="The file storage (STORAGE_URL).")


@dataclass
class MigrationReport:
    """What a migration did, file by file counted."""

    copied: int = 0
    skipped: int = 0
    moved: int = 0
    sealed: int = 0
    sealed_skipped: int = 0
    refused: list[str] = field(default_factory=list)


def migrate_folder(source: Path, store: Storage, report: MigrationReport) -> None:
    """Copy every file under `source` into `store`, reports as private files, skipping those already there."""
    same_folder = isinstance(store, LocalStorage) and store.root.resolve() == source.resolve()
    for path in _files(source):
        relative = path.relative_to(source).as_posix()
        if relative.startswith(PRIVATE_PREFIX):  # a storage folder already: its private files (sealed ones too) as-is
            key, private, was_public = relative[len(PRIVATE_PREFIX) :], True, False
        else:
            key, private = relative, relative.split("/", 1)[0] in PRIVATE_FOLDERS
            was_public = private
        if not same_folder:
            _copy(store, key, path.read_bytes(), private, report)
        elif was_public:  # an old report in the storage's own public folder: reachable at /media/ until moved
            _copy(store, key, path.read_bytes(), private, report)
            path.unlink()
            report.copied -= 1
            report.moved += 1
        else:
            report.skipped += 1  # already where the storage reads it


def migrate_certificates(source: Path, store: Storage, report: MigrationReport) -> None:
    """Seal and store every PKCS#12 of the certificates' folder under invoice-certs/, skipping equal ones."""
    for path in _files(source):
        if path.suffix.lower() != ".p12":
            report.refused.append(str(path))
            continue
        key = f"{CERTIFICATES}/{path.relative_to(source).as_posix()}"
        data = path.read_bytes()
        try:
            if store.exists(key, private=True) and unseal(store.get(key, private=True)) == data:
                report.sealed_skipped += 1
                continue
        except Unsealable:
            pass  # sealed with another key: the folder's copy is the one to keep
        store.put(key, seal(data), "application/octet-stream", private=True)
        report.sealed += 1


def _copy(store: Storage, key: str, data: bytes, private: bool, report: MigrationReport) -> None:
    stored = store.stat(key, private=private)
    if stored is not None and stored.size == len(data) and stored.sha256 == sha256_of(data):
        report.skipped += 1
        return
    content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
    store.put(key, data, content_type, private=private)
    report.copied += 1


def _files(folder: Path):
    for directory, folders, names in os.walk(folder):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        for name in sorted(names):
            if not name.startswith("."):  # .upload-* temporaries, editors' and OS droppings
                yield Path(directory) / name


@storage_cli.command("migrate")
@click.option("--from", "source", type=click.Path(file_okay=False, path_type=Path), help="Media folder (MEDIA_ROOT).")
@click.option(
    "--certs", type=click.Path(file_okay=False, path_type=Path), help="Certificates' folder (INVOICE_CERT_DIR)."
)
def migrate_command(source: Path | None, certs: Path | None) -> None:
    """Copy a local media folder and the certificates' folder into STORAGE_URL (safe to run again)."""
    store = storage()
    source = source or Path(current_app.config["MEDIA_ROOT"])
    certs = certs or Path(current_app.config["INVOICE_CERT_DIR"])
    report = MigrationReport()
    if source.is_dir():
        migrate_folder(source, store, report)
    else:
        click.echo(f"No media folder at {source}: nothing to copy.")
    if certs.is_dir():
        migrate_certificates(certs, store, report)
    click.echo(
        f"Storage {store.url}: {report.copied} files copied, {report.moved} moved to private, "
        f"{report.skipped} already there (same size and SHA-256); "
        f"{report.sealed} certificates sealed, {report.sealed_skipped} already there."
    )
    for path in report.refused:
        click.echo(f"Left alone (not a PKCS#12 .p12): {path}", err=True)


@storage_cli.command("check")
def check_command() -> None:
    """Say whether the storage answers and takes writes (what /readyz asks)."""
    store = storage()
    store.check()
    click.echo(f"Storage {store.url} answers.")
