"""Users, hashed passwords, scoped tokens shown once and stored hashed (contract §3)."""

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from catalogue import clock
from catalogue.accounts import services
from catalogue.accounts.models import ApiToken, User
from catalogue.config import load_config
from catalogue.errors import Conflict, InvalidInput, PermissionDenied
from catalogue.extensions import db
from tests import factories
from tests.access_helpers import PASSWORD


@pytest.fixture
def producer(app):
    ref = factories.reference_data()
    made = factories.producer("HTX Ba Chẽ", ref["binh_lieu"])
    db.session.commit()
    return made


def test_cli_creates_users_and_prints_a_token_once(app, producer):
    runner = app.test_cli_runner()

    created = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "Lan@Example.com",
            "--password",
            PASSWORD,
            "--role",
            "producer",
            "--producer",
            producer.slug,
        ]
    )
    token = runner.invoke(
        args=["tokens", "create", "--email", "lan@example.com", "--scope", "catalogue:write", "--scope", "orders:read"]
    )

    assert created.exit_code == 0 and "Created producer lan@example.com." in created.output
    raw = token.output.strip()
    assert raw.startswith("ocop_") and len(raw) > 40
    stored = db.session.scalar(select(ApiToken))
    assert stored.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in stored.token_hash and stored.prefix == raw[:12]
    assert stored.scope_set == {"catalogue:write", "orders:read"}


def test_password_is_hashed_with_a_slow_kdf(app, producer, tmp_path):
    # The suite runs with a cheap hash (conftest); the shipped setting is scrypt, whatever the environment.
    assert load_config(str(tmp_path))["PASSWORD_HASH_METHOD"] == "scrypt"
    app.config["PASSWORD_HASH_METHOD"] = load_config(str(tmp_path))["PASSWORD_HASH_METHOD"]
    user = services.create_user("lan@example.com", PASSWORD, "producer", producer.slug)
    assert user.password_hash.startswith("scrypt:32768:8:1$") and PASSWORD not in user.password_hash
    assert services.authenticate("LAN@example.com", PASSWORD, clock.now()) == user
    assert services.authenticate("lan@example.com", "wrong password!", clock.now()) is None
    assert services.authenticate("nobody@example.com", PASSWORD, clock.now()) is None


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        (("short", "producer"), InvalidInput),
        ((PASSWORD, "producer"), InvalidInput),  # no producer given
        ((PASSWORD, "owner"), InvalidInput),
    ],
)
def test_invalid_users_are_refused(app, producer, arguments, error):
    with pytest.raises(error):
        services.create_user("lan@example.com", *arguments)
    assert db.session.scalar(select(User.id)) is None


def test_duplicate_email_is_refused(app, producer):
    services.create_user("lan@example.com", PASSWORD, "producer", producer.slug)
    with pytest.raises(Conflict):
        services.create_user("LAN@example.com", PASSWORD, "admin")


def test_a_producer_cannot_hold_sync_or_admin_scopes(app, producer):
    services.create_user("lan@example.com", PASSWORD, "producer", producer.slug)
    for scope in ("sync", "admin"):
        with pytest.raises(PermissionDenied):
            services.create_token("lan@example.com", [scope])
    assert db.session.scalar(select(ApiToken.id)) is None


def test_token_use_is_recorded_at_most_once_a_minute(app, producer):
    services.create_user("lan@example.com", PASSWORD, "producer", producer.slug)
    raw, token = services.create_token("lan@example.com", ["orders:read"])
    now = clock.now()

    services.principal_for_token(raw, now)
    first = db.session.get(ApiToken, token.id).last_used_at
    services.principal_for_token(raw, now + timedelta(seconds=30))
    same = db.session.get(ApiToken, token.id).last_used_at
    services.principal_for_token(raw, now + timedelta(minutes=2))
    later = db.session.get(ApiToken, token.id).last_used_at

    assert first is not None and same == first and later != first


def test_disabled_users_tokens_stop_working(app, producer):
    user = services.create_user("lan@example.com", PASSWORD, "producer", producer.slug)
    raw, _ = services.create_token("lan@example.com", ["catalogue:write"])
    user.is_active = False
    db.session.commit()
    assert services.principal_for_token(raw, clock.now()) is None
