"""The S3-compatible backend (`s3://bucket/prefix`), through boto3, provider-neutral.

Only what every S3-compatible store implements is used (PUT/GET/HEAD/DELETE object,
ListObjectsV2, HeadBucket, presigned GET URLs with SigV4): no ACLs, no bucket policies, no
SSE-KMS, no multipart (every file of the shop is a few MB). Path-style addressing when
AWS_ENDPOINT_URL names a store of one's own (Ceph, Garage, SeaweedFS, MinIO, moto).
The SHA-256 of each file is kept in its metadata, so `stat` (and `flask storage migrate`)
compares contents without trusting how a provider computes its ETag.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import BinaryIO

from catalogue.storage import (
    PRIVATE_PREFIX,
    FileMissing,
    ObjectInfo,
    StorageError,
    StoredFile,
    as_bytes,
    clean_key,
    sha256_of,
)

CONNECT_TIMEOUT = 3.05
READ_TIMEOUT = 15
MISSING_CODES = {"404", "NoSuchKey", "NotFound"}


class S3Storage:
    """Objects in one bucket, under an optional prefix."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        self.url = f"s3://{bucket}/{self.prefix}"
        self._settings = {
            "endpoint_url": endpoint_url or None,
            "region_name": region or None,
            "aws_access_key_id": access_key or None,
            "aws_secret_access_key": secret_key or None,
        }
        self._clients: dict[int, object] = {}
        self._lock = threading.Lock()

    @property
    def client(self):
        """A boto3 client of this process (one made before gunicorn forks must not be shared by its workers)."""
        pid = os.getpid()
        client = self._clients.get(pid)
        if client is None:
            with self._lock:
                client = self._clients.get(pid) or self._make_client()
                self._clients = {pid: client}
        return client

    def _make_client(self):
        import boto3
        from botocore.config import Config

        endpoint = self._settings["endpoint_url"] or os.environ.get("AWS_ENDPOINT_URL")
        config = Config(
            connect_timeout=CONNECT_TIMEOUT,
            read_timeout=READ_TIMEOUT,
            retries={"max_attempts": 3, "mode": "standard"},
            signature_version="s3v4",
            s3={"addressing_style": "path" if endpoint else "auto"},
        )
        return boto3.session.Session().client("s3", config=config, **{**self._settings, "endpoint_url": endpoint})

    def _name(self, key: str, private: bool) -> str:
        return self.prefix + clean_key(key, private)

    def put(self, key: str, data: bytes | BinaryIO, content_type: str, private: bool = False) -> ObjectInfo:
        body = as_bytes(data)
        digest = sha256_of(body)
        self._call(
            "put_object",
            Bucket=self.bucket,
            Key=self._name(key, private),
            Body=body,
            ContentType=content_type,
            Metadata={"sha256": digest},
        )
        return ObjectInfo(key, len(body), digest)

    def open(self, key: str, private: bool = False) -> StoredFile:
        answer = self._call("get_object", Bucket=self.bucket, Key=self._name(key, private), missing=key)
        modified = answer.get("LastModified")
        return StoredFile(
            answer["Body"],
            answer["ContentLength"],
            answer.get("ContentType") or "application/octet-stream",
            (answer.get("ETag") or "").strip('"'),
            modified.timestamp() if modified else None,
        )

    def get(self, key: str, private: bool = False) -> bytes:
        return self.open(key, private).read()

    def stat(self, key: str, private: bool = False) -> ObjectInfo | None:
        try:
            answer = self._call("head_object", Bucket=self.bucket, Key=self._name(key, private), missing=key)
        except FileMissing:
            return None
        return ObjectInfo(key, answer["ContentLength"], (answer.get("Metadata") or {}).get("sha256"))

    def exists(self, key: str, private: bool = False) -> bool:
        return self.stat(key, private) is not None

    def delete(self, key: str, private: bool = False) -> None:
        self._call("delete_object", Bucket=self.bucket, Key=self._name(key, private))

    def url_for(self, key: str, expires_in: int = 300) -> str | None:
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": self._name(key, False)}, ExpiresIn=expires_in
        )

    def list(self, prefix: str = "", private: bool = False) -> Iterator[ObjectInfo]:
        base = self.prefix + (PRIVATE_PREFIX if private else "")
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=base + prefix)
        try:
            for page in pages:
                for entry in page.get("Contents", []):
                    key = entry["Key"][len(base) :]
                    if not private and key.startswith(PRIVATE_PREFIX):
                        continue
                    yield ObjectInfo(key, entry["Size"])
        except self._errors() as error:
            raise StorageError(f"Listing {self.url}{prefix} failed: {error}") from error

    def check(self) -> None:
        self._call("head_bucket", Bucket=self.bucket)

    def _errors(self) -> tuple[type[Exception], ...]:
        from botocore.exceptions import BotoCoreError, ClientError

        return (BotoCoreError, ClientError)

    def _call(self, operation: str, missing: str | None = None, **arguments):
        from botocore.exceptions import ClientError

        try:
            return getattr(self.client, operation)(**arguments)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if missing is not None and code in MISSING_CODES:
                raise FileMissing(missing) from error
            raise StorageError(f"{operation} on {self.url} failed: {code or error}") from error
        except self._errors() as error:
            raise StorageError(f"{operation} on {self.url} failed: {error}") from error
