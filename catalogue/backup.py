"""Backup and restore: the database and the file storage, as one folder with a manifest of checksums.

    flask --app wsgi backup create /var/backups/ocop/2026-12-06
    flask --app wsgi backup restore /var/backups/ocop/2026-12-06   # into an EMPTY database and storage

The database is dumped first, in one consistent snapshot (`pg_dump`'s own transaction on
PostgreSQL; SQLite's online backup API), then every file of the storage port (public and private
namespaces; certificates stay sealed, so the backup never holds a readable private key). The
manifest records the schema revision, every table's row count, the invoice counters and each
file's size and SHA-256. A restore checks the folder against its manifest before it writes
anything, refuses a database or storage that is not empty, and checks counts and checksums after:
the invoice numbering then continues from the restored counters, without a gap or a duplicate.

Files are written before the rows that name them (uploads happen before their database write),
so every file the dumped database names is in the store when it is copied next; a file deleted
between the dump and the copy is named in the report as missing.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

from catalogue.extensions import db
from catalogue.storage import storage

FORMAT = 1
NAMESPACES = {"public": False, "private": True}


class BackupError(click.ClickException):
    """Something the operator must fix before the backup or restore can go on."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _database_url() -> sa.engine.URL:
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _libpq(url: sa.engine.URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _tables() -> list[str]:
    return sorted(sa.inspect(db.engine).get_table_names())


def table_counts() -> dict[str, int]:
    """Every table's row count (the manifest's and the restore's check)."""
    with db.engine.connect() as connection:
        return {name: connection.execute(sa.text(f'SELECT count(*) FROM "{name}"')).scalar_one() for name in _tables()}


def _invoice_counters() -> list[list]:
    if "invoice_counters" not in _tables():
        return []
    with db.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT * FROM invoice_counters ORDER BY 1, 2")).all()
    return [list(map(str, row)) for row in rows]


def _revision() -> str | None:
    if "alembic_version" not in _tables():
        return None
    with db.engine.connect() as connection:
        return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def create_backup(folder: Path) -> dict:
    """Write the backup of the current app's database and storage into the empty `folder`; its manifest."""
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(f"{folder} is not empty: choose a new folder for each backup.")
    folder.mkdir(parents=True, exist_ok=True)
    url = _database_url()
    db.session.remove()
    if url.get_backend_name() == "postgresql":
        dump = folder / "database.dump"
        done = subprocess.run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(dump), _libpq(url)],
            capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode != 0:
            raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    elif url.get_backend_name() == "sqlite":
        dump = folder / "database.sqlite3"
        source, target = sqlite3.connect(url.database), sqlite3.connect(dump)
        try:
            source.backup(target)  # a consistent copy while the shop keeps running
        finally:
            target.close()
            source.close()
    else:
        raise BackupError(f"Backups of {url.get_backend_name()} are not supported.")
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": {
            "backend": url.get_backend_name(),
            "file": dump.name,
            "sha256": _sha256(dump),
            "revision": _revision(),
            "tables": table_counts(),
            "invoice_counters": _invoice_counters(),
        },
        "files": [],
    }
    store = storage()
    for namespace, private in NAMESPACES.items():
        for info in store.list("", private=private):
            data = store.get(info.key, private=private)
            target = folder / "storage" / namespace / info.key
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            manifest["files"].append(
                {"namespace": namespace, "key": info.key, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            )
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    return manifest


def _checked_manifest(folder: Path) -> dict:
    path = folder / "manifest.json"
    if not path.exists():
        raise BackupError(f"{folder} holds no manifest.json: not a backup made by `flask backup create`.")
    manifest = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Unknown backup format {manifest.get('format')!r}.")
    dump = folder / manifest["database"]["file"]
    if not dump.exists() or _sha256(dump) != manifest["database"]["sha256"]:
        raise BackupError(f"{dump.name} is missing or does not match its checksum: the backup is damaged.")
    for entry in manifest["files"]:
        path = folder / "storage" / entry["namespace"] / entry["key"]
        if not path.exists() or _sha256(path) != entry["sha256"]:
            raise BackupError(f"storage/{entry['namespace']}/{entry['key']} is missing or damaged.")
    return manifest


def restore_backup(folder: Path) -> dict:
    """Restore `folder` into the current app's database and storage, which must be empty; what was restored."""
    manifest = _checked_manifest(folder)
    url = _database_url()
    if url.get_backend_name() != manifest["database"]["backend"]:
        raise BackupError(
            f"This backup is of {manifest['database']['backend']}, the shop runs {url.get_backend_name()}."
        )
    db.session.remove()
    if _tables():
        raise BackupError("The database is not empty: restore into a new, empty database.")
    store = storage()
    if any(True for private in NAMESPACES.values() for _ in store.list("", private=private)):
        raise BackupError("The file storage is not empty: restore into a new, empty bucket or folder.")
    dump = folder / manifest["database"]["file"]
    if url.get_backend_name() == "postgresql":
        done = subprocess.run(
            ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--dbname", _libpq(url), str(dump)],
            capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode != 0:
            raise BackupError(f"pg_restore failed: {done.stderr.strip()}")
    else:
        db.engine.dispose()
        shutil.copyfile(dump, url.database)
    db.engine.dispose()
    for entry in manifest["files"]:
        data = (folder / "storage" / entry["namespace"] / entry["key"]).read_bytes()
        store.put(entry["key"], data, "application/octet-stream", private=NAMESPACES[entry["namespace"]])
        stored = store.get(entry["key"], private=NAMESPACES[entry["namespace"]])
        if hashlib.sha256(stored).hexdigest() != entry["sha256"]:
            raise BackupError(f"{entry['key']} did not store intact.")
    counts = table_counts()
    if counts != manifest["database"]["tables"]:
        differ = sorted(name for name in set(counts) | set(manifest["database"]["tables"])
                        if counts.get(name) != manifest["database"]["tables"].get(name))  # fmt: skip
        raise BackupError(f"Restored tables differ from the backup: {', '.join(differ)}.")
    if _invoice_counters() != manifest["database"]["invoice_counters"]:
        raise BackupError("The restored invoice counters differ from the backup's.")
    return {"tables": len(counts), "rows": sum(counts.values()), "files": len(manifest["files"])}


@click.group("backup")
def backup_cli() -> None:
    """Back up and restore the database and the file storage (docs/operations.md)."""


@backup_cli.command("create")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def create_command(folder: Path) -> None:
    """Write a backup into FOLDER (new or empty)."""
    manifest = create_backup(folder)
    tables, files = manifest["database"]["tables"], manifest["files"]
    click.echo(f"Backed up {len(tables)} tables ({sum(tables.values())} rows) and {len(files)} files to {folder}.")


@backup_cli.command("restore")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@with_appcontext
def restore_command(folder: Path) -> None:
    """Restore FOLDER into an empty database and an empty storage."""
    done = restore_backup(folder)
    click.echo(
        f"Restored {done['tables']} tables ({done['rows']} rows) and {done['files']} files; checksums and counts match."
    )
