"""Where the shop's files live: one port, two backends (contract §8 `STORAGE_URL`).

Every file the shop keeps or generates — product photos and their renditions, the seeded
placeholders, lot reports, the producers' signing certificates — is written and read here,
never on a path of its own, so several web nodes and workers share one store:

- `file:///abs/path` (catalogue.storage.local): a folder; the default is MEDIA_ROOT
  (`instance/media`), so `make run` behaves as it always did;
- `s3://bucket/prefix` (catalogue.storage.s3): any S3-compatible object store through boto3,
  with the standard AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION.

A key is a relative POSIX path ("products/SKU/ab12.jpg"). Public files (photos) may be handed
out by URL; private ones (`private=True`: lot reports, certificates) live in their own
`private/` namespace that no URL reaches — only views that check access read them.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol
from urllib.parse import unquote, urlsplit

from flask import Flask, current_app

EXTENSION = "catalogue.storage"
PRIVATE_PREFIX = "private/"


class StorageError(Exception):
    """The store could not do what was asked (it does not answer, or refused)."""


class FileMissing(StorageError, LookupError):
    """No file under that key."""


class BadKey(StorageError, ValueError):
    """A key that names no file of ours: absolute, with `..`, empty segments, or in the private namespace."""


@dataclass(frozen=True)
class ObjectInfo:
    """What the store says of one file: its key (in its namespace), size and SHA-256 when it knows it."""

    key: str
    size: int
    sha256: str | None = None


@dataclass
class StoredFile:
    """An open file: read `stream` (and close it), with what HTTP answers need."""

    stream: BinaryIO
    size: int
    content_type: str
    etag: str
    last_modified: float | None = None

    def read(self) -> bytes:
        """All its bytes, closing the stream."""
        try:
            return self.stream.read()
        finally:
            self.stream.close()


class Storage(Protocol):
    """The storage port: every backend answers these, and nothing else in the shop touches files."""

    url: str

    def put(self, key: str, data: bytes | BinaryIO, content_type: str, private: bool = False) -> ObjectInfo:
        """Store `data` under `key` (replacing what was there)."""

    def open(self, key: str, private: bool = False) -> StoredFile:
        """The file under `key` to stream, or FileMissing."""

    def get(self, key: str, private: bool = False) -> bytes:
        """The bytes under `key`, or FileMissing."""

    def stat(self, key: str, private: bool = False) -> ObjectInfo | None:
        """Size and checksum of the file under `key`, or None when there is none."""

    def exists(self, key: str, private: bool = False) -> bool:
        """Whether a file is stored under `key`."""

    def delete(self, key: str, private: bool = False) -> None:
        """Remove the file under `key`; nothing when there is none."""

    def url_for(self, key: str, expires_in: int = 300) -> str | None:
        """A short-lived URL a browser may fetch a public file from, or None when only the app serves it."""

    def list(self, prefix: str = "", private: bool = False) -> Iterator[ObjectInfo]:
        """Every file whose key starts with `prefix`, in its namespace."""

    def check(self) -> None:
        """Raise unless the store answers and takes writes (for /readyz)."""


def clean_key(key: str, private: bool = False) -> str:
    """The key as stored (private ones under `private/`), or BadKey for one that could leave its namespace."""
    if not isinstance(key, str) or not key or key.startswith("/") or "\\" in key or "\x00" in key:
        raise BadKey(f"Not a storage key: {key!r}")
    if posixpath.normpath(key) != key or key.split("/", 1)[0] in ("..", "."):
        raise BadKey(f"Not a storage key: {key!r}")
    if key.startswith(PRIVATE_PREFIX) or key == PRIVATE_PREFIX.rstrip("/"):
        raise BadKey(f"Not a storage key: {key!r}")
    return PRIVATE_PREFIX + key if private else key


def sha256_of(data: bytes) -> str:
    """The hex SHA-256 of `data` (what the store records beside each file)."""
    return hashlib.sha256(data).hexdigest()


def as_bytes(data: bytes | BinaryIO) -> bytes:
    """Bytes of what `put` was given (every file of the shop is a few MB at most)."""
    return data if isinstance(data, bytes | bytearray | memoryview) else data.read()


def storage_from_url(url: str, config: dict | None = None) -> Storage:
    """The backend a STORAGE_URL names: `file:///abs/path` or `s3://bucket/prefix`."""
    config = config or {}
    parts = urlsplit(url)
    if parts.scheme == "file":
        from catalogue.storage.local import LocalStorage

        path = unquote(parts.path)
        if parts.netloc not in ("", "localhost") or not path.startswith("/"):
            raise StorageError(f"STORAGE_URL {url!r}: a file:// URL names an absolute path, file:///srv/media.")
        return LocalStorage(path)
    if parts.scheme == "s3":
        from catalogue.storage.s3 import S3Storage

        if not parts.netloc:
            raise StorageError(f"STORAGE_URL {url!r}: an s3:// URL names a bucket, s3://bucket/prefix.")
        return S3Storage(
            parts.netloc,
            parts.path.strip("/"),
            endpoint_url=config.get("AWS_ENDPOINT_URL"),
            region=config.get("AWS_DEFAULT_REGION"),
            access_key=config.get("AWS_ACCESS_KEY_ID"),
            secret_key=config.get("AWS_SECRET_ACCESS_KEY"),
        )
    raise StorageError(f"STORAGE_URL {url!r}: use file:///abs/path or s3://bucket/prefix.")


def configured_url(config) -> str:
    """STORAGE_URL, or the MEDIA_ROOT folder as a file:// URL (the embedded default)."""
    from pathlib import Path

    return config.get("STORAGE_URL") or Path(config["MEDIA_ROOT"]).resolve().as_uri()


def init_storage(app: Flask) -> None:
    """Build the configured backend once and register it as `app.extensions["catalogue.storage"]`."""
    app.extensions[EXTENSION] = storage_from_url(configured_url(app.config), app.config)


def storage() -> Storage:
    """The current app's store."""
    return current_app.extensions[EXTENSION]
