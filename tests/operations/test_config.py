"""Configuration from the environment (contract §2)."""

import pytest

from catalogue import create_app
from catalogue.config import ConfigError, load_config, normalise_database_url
from tests.production_helpers import production_env


def test_production_refuses_to_start_without_secret_key(monkeypatch, tmp_path):
    production_env(monkeypatch, SECRET_KEY=None)  # everything else production needs
    with pytest.raises(ConfigError, match="^SECRET_KEY must be set in production.$"):
        load_config(str(tmp_path))


def test_production_refuses_the_embedded_database_default(monkeypatch, tmp_path):
    monkeypatch.setenv("CATALOGUE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        load_config(str(tmp_path))


def test_development_keeps_a_generated_secret_key_in_instance(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("CATALOGUE_ENV", raising=False)
    first = load_config(str(tmp_path))["SECRET_KEY"]
    second = load_config(str(tmp_path))["SECRET_KEY"]
    assert first == second
    assert len(first) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_default_database_is_sqlite_under_instance(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("CATALOGUE_ENV", raising=False)
    config = load_config(str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'catalogue.db'}"


def test_environment_overrides_database_url(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgres://user@db:5432/ocop")
    assert load_config(str(tmp_path))["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://user@db:5432/ocop"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_urls_use_the_shipped_driver(url, expected):
    assert normalise_database_url(url) == expected


def test_unknown_environment_name_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("CATALOGUE_ENV", "prod")
    with pytest.raises(ConfigError, match="CATALOGUE_ENV"):
        create_app()


def test_production_requires_all_three_stripe_keys_or_none(monkeypatch, tmp_path):
    """More in test_stripe_off: without any Stripe key production starts with Stripe off."""
    monkeypatch.setenv("CATALOGUE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/catalogue")
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_live_x")
    for name in ("STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError, match="^STRIPE_PUBLISHABLE_KEY, STRIPE_WEBHOOK_SECRET must be set in production"):
        load_config(str(tmp_path))


def test_development_uses_test_mode_stripe_placeholders(monkeypatch, tmp_path):
    monkeypatch.delenv("CATALOGUE_ENV", raising=False)
    monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
    config = load_config(str(tmp_path))
    assert config["STRIPE_SECRET_KEY"].startswith("sk_test_")
    assert config["STRIPE_JS_URL"] == "https://js.stripe.com/v3/"


@pytest.mark.parametrize(
    ("name", "value"),
    [("STRIPE_JS_URL", "js.stripe.com/v3/"), ("STRIPE_JS_URL", "ftp://x/"), ("STRIPE_API_BASE", "/v1")],
)
def test_stripe_addresses_must_be_absolute(monkeypatch, tmp_path, name, value):
    """The payment page's CSP names their origins: a relative one would allow nothing and break card payment."""
    monkeypatch.delenv("CATALOGUE_ENV", raising=False)
    monkeypatch.setenv(name, value)

    with pytest.raises(ConfigError, match=f"^{name} must be an absolute https address"):
        load_config(str(tmp_path))


@pytest.mark.parametrize("storage", [None, "memory://", "memory://?x=1"])
def test_production_refuses_per_worker_rate_limits(monkeypatch, tmp_path, storage):
    production_env(monkeypatch, RATELIMIT_STORAGE_URI=storage)

    with pytest.raises(ConfigError, match="^RATELIMIT_STORAGE_URI must name a shared store in production"):
        create_app()


def test_production_starts_with_a_shared_rate_limit_store_and_tests_keep_memory(monkeypatch, tmp_path):
    production_env(monkeypatch, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0")

    assert load_config(str(tmp_path))["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    monkeypatch.setenv("CATALOGUE_ENV", "development")
    monkeypatch.delenv("RATELIMIT_STORAGE_URI")
    assert load_config(str(tmp_path))["RATELIMIT_STORAGE_URI"] == "memory://"


def test_the_live_stream_settings_come_from_the_environment(monkeypatch, tmp_path):
    """docs/live-selling.md tells operators to size the streams process with these variables."""
    monkeypatch.setenv("LIVE_POLL_SECONDS", "0.5")
    monkeypatch.setenv("LIVE_STREAM_SECONDS", "120")
    monkeypatch.setenv("LIVE_MAX_STREAMS", "250")
    config = load_config(str(tmp_path))
    assert (config["LIVE_POLL_SECONDS"], config["LIVE_STREAM_SECONDS"], config["LIVE_MAX_STREAMS"]) == (0.5, 120, 250)
