"""Signing in to the portal: one answer for every failure, a fresh session, and a rate limit."""

from __future__ import annotations

import os
import shutil
import uuid

import pytest

from catalogue import create_app
from catalogue.accounts.models import User
from catalogue.extensions import db
from tests.access_helpers import PASSWORD, cast
from tests.conftest import _config, require_service
from tests.storefront_helpers import csrf_token

REDIS_URL = os.environ.get("CATALOGUE_TEST_REDIS_URL", "")
WRONG = "Email hoặc mật khẩu không đúng."
TOO_MANY = "Quá nhiều lần đăng nhập. Vui lòng thử lại sau một phút."


@pytest.fixture
def world(app):
    return cast()


def _login(client, email: str, password: str, path: str = "/portal/login"):
    return client.post(
        path, data={"csrf_token": csrf_token(client, "/portal/login"), "email": email, "password": password}
    )


def _signed_in(client) -> bool:
    with client.session_transaction() as session:
        return "_user_id" in session


@pytest.mark.parametrize(
    ("email", "password"),
    [("owner@example.com", "not the password"), ("nobody@example.com", PASSWORD), ("OWNER@example.com ", "x" * 12)],
)
def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(empty_client, world, email, password):
    response = _login(empty_client, email, password)

    assert response.status_code == 422
    assert WRONG in response.get_data(as_text=True)
    assert not _signed_in(empty_client)


def test_a_disabled_user_cannot_sign_in(empty_client, world):
    user = db.session.query(User).filter_by(email="owner@example.com").one()
    user.is_active = False
    db.session.commit()

    response = _login(empty_client, "owner@example.com", PASSWORD)

    assert response.status_code == 422
    assert WRONG in response.get_data(as_text=True)
    assert not _signed_in(empty_client)


def test_signing_in_starts_a_new_session(empty_client, world):
    with empty_client.session_transaction() as session:
        session["planted"] = "by someone else"
    before = empty_client.get_cookie("session").value

    response = _login(empty_client, "owner@example.com", PASSWORD)

    assert response.status_code == 303
    assert response.headers["Location"] == "/portal/"
    assert empty_client.get_cookie("session").value != before
    with empty_client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == str(db.session.query(User.id).filter_by(email="owner@example.com").scalar())
    assert empty_client.get("/portal/").status_code == 200


def test_signing_in_goes_back_to_a_portal_page_but_never_to_another_site(empty_client, world):
    assert _login(empty_client, "owner@example.com", PASSWORD, "/portal/login?next=/portal/orders").headers[
        "Location"
    ] == ("/portal/orders")
    empty_client.post("/portal/logout", data={"csrf_token": csrf_token(empty_client)})

    response = _login(empty_client, "owner@example.com", PASSWORD, "/portal/login?next=https://evil.example/portal")

    assert response.headers["Location"] == "/portal/"


def test_signing_out_is_a_post_with_its_csrf_token(empty_client, world):
    _login(empty_client, "owner@example.com", PASSWORD)

    assert empty_client.get("/portal/logout").status_code == 405
    assert empty_client.post("/portal/logout").status_code == 400
    assert _signed_in(empty_client)
    response = empty_client.post("/portal/logout", data={"csrf_token": csrf_token(empty_client)})

    assert response.status_code == 303
    assert not _signed_in(empty_client)
    assert empty_client.get("/portal/").status_code == 302


def test_a_user_disabled_while_signed_in_is_signed_out(empty_client, world):
    _login(empty_client, "owner@example.com", PASSWORD)
    db.session.query(User).filter_by(email="owner@example.com").update({"is_active": False})
    db.session.commit()

    response = empty_client.get("/portal/")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/portal/login")


def _sixth_attempt_is_refused(app) -> None:
    client = app.test_client()
    for attempt in range(5):
        assert _login(client, "owner@example.com", "wrong password").status_code == 422, attempt

    response = _login(client, "owner@example.com", PASSWORD)

    assert response.status_code == 429
    assert TOO_MANY in response.get_data(as_text=True)
    assert not _signed_in(client)


def test_the_sixth_attempt_in_a_minute_is_refused(app, world):
    _sixth_attempt_is_refused(app)


def test_attempts_on_one_email_are_counted_across_addresses(app, world):
    for attempt in range(5):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.1.0.{attempt + 1}"
        assert _login(client, "other@example.com", "wrong password").status_code == 422
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.1.0.99"

    assert _login(client, "other@example.com", PASSWORD).status_code == 429
    assert _login(client, "owner@example.com", PASSWORD).status_code == 303  # another email, another address


@pytest.mark.parametrize(
    "other_settings",
    [
        {"RATELIMIT_ENABLED": False},  # limits off: the shared limiter stopped counting for every app
        {},  # limits on: the shared limiter took the new app's fresh in-memory storage, emptying the counts
    ],
    ids=["limits-off", "fresh-storage"],
)
def test_another_app_of_the_process_leaves_this_apps_limits_alone(app, world, tmp_path, other_settings):
    """Flask-Limiter keeps its settings and its storage on itself: one limiter for the process took the last
    app's (a tool's or a test's app with limits off, or a fresh in-memory count) for every app."""
    client = app.test_client()
    for attempt in range(3):
        assert _login(client, "owner@example.com", "wrong password").status_code == 422, attempt
    other = _config(f"sqlite:///{tmp_path / 'other.db'}", tmp_path / "other-media")
    create_app({**other, **other_settings})
    for attempt in range(2):
        assert _login(client, "owner@example.com", "wrong password").status_code == 422, attempt

    response = _login(client, "owner@example.com", PASSWORD)

    assert response.status_code == 429
    assert TOO_MANY in response.get_data(as_text=True)


def test_the_limit_is_counted_in_redis_when_configured(sqlite_template, tmp_path):
    require_service(
        bool(REDIS_URL), "Redis rate-limit tests need CATALOGUE_TEST_REDIS_URL, e.g. redis://127.0.0.1:6379/0"
    )
    shutil.copy(sqlite_template, tmp_path / "catalogue.db")
    config = _config(f"sqlite:///{tmp_path / 'catalogue.db'}", tmp_path / "media")
    # A prefix of its own, so runs sharing the Redis server never count each other's attempts.
    config.update(RATELIMIT_STORAGE_URI=REDIS_URL, RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}")
    application = create_app(config)
    with application.app_context():
        cast()
        from catalogue.extensions import limiter

        assert type(limiter.of_app().storage).__name__ == "RedisStorage"
        assert limiter.of_app().storage.check()
        _sixth_attempt_is_refused(application)
        db.session.remove()
        db.engine.dispose()
