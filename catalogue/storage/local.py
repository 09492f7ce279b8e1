"""The local-folder backend (`file:///abs/path`): one node, or several over a shared mount (STORAGE_SHARED=1).

Files are written to a temporary name and renamed into place, so a reader never sees half a
file; private ones (under `private/`) are readable by the shop's user only.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from catalogue.storage import PRIVATE_PREFIX, FileMissing, ObjectInfo, StoredFile, as_bytes, clean_key, sha256_of

CHUNK = 1024 * 1024


class LocalStorage:
    """Files in a folder; keys are paths under it."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.url = self.root.resolve().as_uri()

    def path_of(self, key: str, private: bool = False) -> Path:
        """Where the file under `key` lives (for `send_file`, which streams it with the kernel's sendfile)."""
        return self.root / clean_key(key, private)

    def put(self, key: str, data: bytes | BinaryIO, content_type: str, private: bool = False) -> ObjectInfo:
        target = self.path_of(key, private)
        body = as_bytes(data)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(body)
            os.chmod(temporary, 0o600 if private else 0o644)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return ObjectInfo(key, len(body), sha256_of(body))

    def open(self, key: str, private: bool = False) -> StoredFile:
        path = self.path_of(key, private)
        try:
            stream = path.open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as error:
            raise FileMissing(key) from error
        status = os.fstat(stream.fileno())
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        etag = f"{int(status.st_mtime_ns)}-{status.st_size}"
        return StoredFile(stream, status.st_size, content_type, etag, status.st_mtime)

    def get(self, key: str, private: bool = False) -> bytes:
        return self.open(key, private).read()

    def stat(self, key: str, private: bool = False) -> ObjectInfo | None:
        path = self.path_of(key, private)
        if not path.is_file():
            return None
        digest = hashlib.sha256()
        with path.open("rb") as stream:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
        return ObjectInfo(key, path.stat().st_size, digest.hexdigest())

    def exists(self, key: str, private: bool = False) -> bool:
        return self.path_of(key, private).is_file()

    def delete(self, key: str, private: bool = False) -> None:
        self.path_of(key, private).unlink(missing_ok=True)

    def url_for(self, key: str, expires_in: int = 300) -> str | None:
        clean_key(key)
        return None  # a folder has no URL of its own: the app serves it (/media/<key>)

    def list(self, prefix: str = "", private: bool = False) -> Iterator[ObjectInfo]:
        base = self.root / PRIVATE_PREFIX if private else self.root
        if not base.is_dir():
            return
        for path in sorted(base.rglob("*")):
            key = path.relative_to(base).as_posix()
            if not path.is_file() or path.name.startswith(".upload-") or not key.startswith(prefix):
                continue
            if not private and key.startswith(PRIVATE_PREFIX):
                continue
            yield ObjectInfo(key, path.stat().st_size)

    def check(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK):
            raise PermissionError(f"{self.root} is not writable")
