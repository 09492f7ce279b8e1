"""STORAGE_URL and friends (contract §8): what production refuses, what every environment builds."""

from __future__ import annotations

import pytest

from catalogue import create_app
from catalogue.config import ConfigError, load_config
from catalogue.storage.local import LocalStorage
from catalogue.storage.s3 import S3Storage
from tests.production_helpers import production_env


@pytest.fixture
def production(monkeypatch):
    """Production with every other setting valid and no storage chosen yet."""
    production_env(monkeypatch, STORAGE_URL=None, STORAGE_SHARED=None)
    return monkeypatch


@pytest.mark.parametrize("url", [None, "file:///srv/media"])
def test_production_refuses_a_folder_only_one_node_sees(production, tmp_path, url):
    if url:
        production.setenv("STORAGE_URL", url)

    with pytest.raises(ConfigError, match="^STORAGE_URL must name shared storage in production"):
        load_config(str(tmp_path))


def test_production_takes_a_bucket_or_a_folder_acknowledged_as_shared(production, tmp_path):
    production.setenv("STORAGE_URL", "s3://shop-media/prod")
    assert load_config(str(tmp_path))["STORAGE_URL"] == "s3://shop-media/prod"

    production.setenv("STORAGE_URL", "file:///mnt/shared/media")
    production.setenv("STORAGE_SHARED", "1")
    assert load_config(str(tmp_path))["STORAGE_SHARED"] is True


@pytest.mark.parametrize("key", [None, "not-a-fernet-key"])
def test_production_seals_certificates_with_a_key_of_its_own(production, tmp_path, key):
    production.setenv("STORAGE_URL", "s3://shop-media")
    if key is None:
        production.delenv("STORAGE_ENCRYPTION_KEY")
    else:
        production.setenv("STORAGE_ENCRYPTION_KEY", key)

    with pytest.raises(ConfigError, match="^STORAGE_ENCRYPTION_KEY must"):
        load_config(str(tmp_path))


def test_an_unknown_storage_scheme_is_refused_everywhere(monkeypatch, tmp_path):
    monkeypatch.setenv("STORAGE_URL", "ftp://files/media")

    with pytest.raises(ConfigError, match="^STORAGE_URL must be file:///abs/path or s3://bucket/prefix"):
        load_config(str(tmp_path))


def test_the_default_is_the_media_folder_and_s3_urls_build_the_s3_backend(tmp_path):
    local = create_app({"CATALOGUE_ENV": "testing", "SECRET_KEY": "x", "MEDIA_ROOT": str(tmp_path / "media")})
    bucket = create_app({"CATALOGUE_ENV": "testing", "SECRET_KEY": "x", "STORAGE_URL": "s3://shop/pre/fix",
                         "AWS_ENDPOINT_URL": "http://127.0.0.1:9"})  # fmt: skip

    assert isinstance(local.extensions["catalogue.storage"], LocalStorage)
    assert local.extensions["catalogue.storage"].root == tmp_path / "media"
    store = bucket.extensions["catalogue.storage"]
    assert isinstance(store, S3Storage) and (store.bucket, store.prefix) == ("shop", "pre/fix/")
