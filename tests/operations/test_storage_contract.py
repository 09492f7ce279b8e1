"""The storage port: both backends (local folder, S3 on a real endpoint) keep the same contract."""

from __future__ import annotations

import io

import pytest
import requests

from catalogue.storage import BadKey, FileMissing, StorageError, sha256_of
from catalogue.storage.local import LocalStorage
from tests.operations.s3_server import s3_storage

JPEG = b"\xff\xd8\xff\xe0" + b"photo" * 100


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    """An empty store of each backend."""
    if request.param == "local":
        return LocalStorage(tmp_path / "media")
    return s3_storage(request.getfixturevalue("s3_settings"))


def test_a_file_put_is_read_back_with_its_size_checksum_and_type(store):
    info = store.put("products/QN-1/a.jpg", JPEG, "image/jpeg")

    opened = store.open("products/QN-1/a.jpg")
    assert (info.size, info.sha256) == (len(JPEG), sha256_of(JPEG))
    assert (opened.size, opened.content_type, opened.read()) == (len(JPEG), "image/jpeg", JPEG)
    assert opened.etag
    assert store.get("products/QN-1/a.jpg") == JPEG
    assert store.stat("products/QN-1/a.jpg") == info
    assert store.exists("products/QN-1/a.jpg")


def test_a_stream_is_stored_and_a_put_replaces(store):
    store.put("placeholders/x.svg", io.BytesIO(b"<svg>1</svg>"), "image/svg+xml")
    store.put("placeholders/x.svg", io.BytesIO(b"<svg>2</svg>"), "image/svg+xml")

    assert store.get("placeholders/x.svg") == b"<svg>2</svg>"


def test_a_missing_file_is_said_so_and_deleting_it_is_harmless(store):
    with pytest.raises(FileMissing):
        store.get("products/none.jpg")
    assert store.stat("products/none.jpg") is None and not store.exists("products/none.jpg")

    store.put("products/a.jpg", JPEG, "image/jpeg")
    store.delete("products/a.jpg")
    store.delete("products/a.jpg")

    assert not store.exists("products/a.jpg")


def test_private_files_live_apart_from_public_ones(store):
    store.put("reports/r.pdf", b"%PDF-1.7 private", "application/pdf", private=True)
    store.put("products/p.jpg", JPEG, "image/jpeg")

    assert store.get("reports/r.pdf", private=True) == b"%PDF-1.7 private"
    with pytest.raises(FileMissing):
        store.get("reports/r.pdf")  # not in the public namespace
    with pytest.raises(BadKey):
        store.get("private/reports/r.pdf")  # and no public key reaches into the private one
    assert [info.key for info in store.list()] == ["products/p.jpg"]
    assert [info.key for info in store.list("reports/", private=True)] == ["reports/r.pdf"]


@pytest.mark.parametrize("key", ["", "/etc/passwd", "../secret", "a/../../b", "a//b", "a\\b", "private/x", "./a"])
def test_keys_that_could_leave_their_namespace_are_refused(store, key):
    with pytest.raises(BadKey):
        store.put(key, b"x", "text/plain")
    with pytest.raises(BadKey):
        store.get(key)


def test_list_names_every_file_under_a_prefix(store):
    for key in ["products/A/1.jpg", "products/A/2.jpg", "products/B/1.jpg", "placeholders/a.svg"]:
        store.put(key, JPEG, "image/jpeg")

    assert [info.key for info in store.list("products/A/")] == ["products/A/1.jpg", "products/A/2.jpg"]
    assert {info.key for info in store.list()} == {
        "products/A/1.jpg", "products/A/2.jpg", "products/B/1.jpg", "placeholders/a.svg"
    }  # fmt: skip
    assert all(info.size == len(JPEG) for info in store.list())


def test_a_public_file_has_a_short_lived_url_only_where_the_store_can_sign_one(store):
    store.put("products/a.jpg", JPEG, "image/jpeg")

    url = store.url_for("products/a.jpg", expires_in=60)

    if isinstance(store, LocalStorage):
        assert url is None  # the app serves a folder itself
    else:
        assert "X-Amz-Signature=" in url and "X-Amz-Expires=60" in url
        assert requests.get(url, timeout=5).content == JPEG
        unsigned = url.split("?", 1)[0]
        assert requests.get(unsigned, timeout=5).status_code == 403  # the bucket itself is not public
    with pytest.raises(BadKey):
        store.url_for("private/reports/r.pdf")


def test_check_passes_on_a_working_store_and_fails_on_a_broken_one(store, tmp_path):
    store.check()
    if isinstance(store, LocalStorage):
        blocked = tmp_path / "a-file"
        blocked.write_text("not a folder")
        broken = LocalStorage(blocked / "media")
        with pytest.raises(OSError):
            broken.check()
    else:
        from catalogue.storage.s3 import S3Storage

        broken = S3Storage("no-such-bucket", endpoint_url=store._settings["endpoint_url"], **_credentials(store))
        with pytest.raises(StorageError):
            broken.check()


def _credentials(store) -> dict:
    settings = store._settings
    return {"region": settings["region_name"], "access_key": settings["aws_access_key_id"],
            "secret_key": settings["aws_secret_access_key"]}  # fmt: skip
