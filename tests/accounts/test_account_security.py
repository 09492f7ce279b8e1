"""Accounts and sessions as an attacker meets them (issue 22): copied cookies, idle and old sessions,
weak passwords, password change and reset by mail, TOTP two-factor sign-in and its replay."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import func, select

from catalogue import clock
from catalogue.accounts import passwords
from catalogue.accounts.models import PasswordReset, RecoveryCode, User
from catalogue.extensions import db
from tests.access_helpers import PASSWORD, TOTP_SECRET, cast, current_code, sign_in
from tests.storefront_helpers import csrf_token

NEW_PASSWORD = "chè Đường Hoa ngon nhất vùng"


@pytest.fixture
def world(app):
    return cast()


def _client(app, address: str = "10.1.0.1"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _signed_in_client(app, email: str, address: str = "10.1.0.1"):
    client = _client(app, address)
    assert sign_in(client, email).status_code == 303
    return client


def _copy(client, app):
    """Another browser holding a copy of `client`'s session cookie, from the same address and user agent
    (behind the same NAT or proxy), so Flask-Login's session protection does not notice it."""
    thief = _client(app, client.environ_base["REMOTE_ADDR"])
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def _opens_portal(client) -> bool:
    response = client.get("/portal/orders")
    assert response.status_code in (200, 302), response.status_code
    return response.status_code == 200


def _post(client, path: str, data: dict | None = None, token_page: str = "/portal/account/"):
    return client.post(path, data={"csrf_token": csrf_token(client, token_page), **(data or {})})


def _later(monkeypatch, delta: timedelta):
    moment = clock.now() + delta
    monkeypatch.setattr(clock, "now", lambda: moment)


def _user(email: str) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


# --- Revocable sessions ---------------------------------------------------------------


@pytest.mark.parametrize("email", ["owner@example.com", "admin@example.com"])
def test_a_copied_cookie_dies_at_logout(app, world, email):
    client = _signed_in_client(app, email)
    thief = _copy(client, app)
    assert _opens_portal(thief)

    assert _post(client, "/portal/logout").status_code == 303

    assert not _opens_portal(thief)
    assert not _opens_portal(client)


def test_sign_out_everywhere_ends_every_session_of_the_user_only(app, world):
    phone = _signed_in_client(app, "owner@example.com", "10.1.0.1")
    desk = _signed_in_client(app, "owner@example.com", "10.1.0.2")
    other = _signed_in_client(app, "other@example.com", "10.1.0.3")

    assert _post(desk, "/portal/account/sign-out-everywhere").status_code == 303

    assert not _opens_portal(phone) and not _opens_portal(desk)
    assert _opens_portal(other)


def test_the_office_signs_a_user_out_everywhere(app, world):
    owner = _signed_in_client(app, "owner@example.com", "10.1.0.1")
    office = _signed_in_client(app, "admin@example.com", "10.1.0.2")
    owner_id = _user("owner@example.com").id

    response = _post(office, f"/portal/admin/users/{owner_id}/sign-out", token_page="/portal/admin/users")

    assert response.status_code == 303
    assert not _opens_portal(owner)
    assert _opens_portal(office)
    # a producer may not do it to anyone
    other = _signed_in_client(app, "other@example.com", "10.1.0.3")
    refused = _post(other, f"/portal/admin/users/{_user('admin@example.com').id}/sign-out", token_page="/portal/")
    assert refused.status_code == 403 and _opens_portal(office)


@pytest.mark.parametrize("backend", ["sqlite"])  # the clock, not the database, decides
@pytest.mark.parametrize(("email", "idle_ok", "idle_too_long"), [
    ("admin@example.com", timedelta(minutes=119), timedelta(minutes=121)),
    ("owner@example.com", timedelta(hours=7, minutes=59), timedelta(hours=8, minutes=1)),
])  # fmt: skip
def test_an_idle_session_ends_by_role(app, world, monkeypatch, email, idle_ok, idle_too_long):
    client = _signed_in_client(app, email)
    thief = _copy(client, app)
    start = clock.now()

    monkeypatch.setattr(clock, "now", lambda: start + idle_ok)
    assert _opens_portal(client)  # a request: the idle clock starts again from here
    monkeypatch.setattr(clock, "now", lambda: start + idle_ok + idle_too_long)
    assert not _opens_portal(client)
    assert not _opens_portal(thief)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_office_session_ends_after_twelve_hours_however_busy(app, world, monkeypatch):
    client = _signed_in_client(app, "admin@example.com")
    start = clock.now()
    for minutes in range(90, 12 * 60, 90):  # a request every hour and a half
        monkeypatch.setattr(clock, "now", lambda minutes=minutes: start + timedelta(minutes=minutes))
        assert _opens_portal(client), minutes
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(hours=12, minutes=1))
    assert not _opens_portal(client)


# --- Password rules -------------------------------------------------------------------


@pytest.mark.parametrize(("password", "reason"), [
    ("123456789", passwords.SHORT),
    ("1234567890", passwords.COMMON),
    ("aaaaaaaaaa", passwords.GUESSABLE),
    ("PASSWORD123", passwords.COMMON),
    ("qwertyuiop123", passwords.GUESSABLE),
    ("lan@example.com1", passwords.GUESSABLE),
    (PASSWORD, None),
    (NEW_PASSWORD, None),
])  # fmt: skip
def test_common_and_guessable_passwords_are_refused(app, password, reason):
    assert passwords.problem(password, "lan@example.com") == reason


def test_the_shipped_list_holds_ten_thousand_common_passwords():
    common = passwords.common_passwords()
    assert len(common) == 10_000 and {"password", "123456", "qwerty", "iloveyou"} <= common


def test_the_cli_refuses_a_common_password_in_vietnamese(app, world):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "--email", "x@example.com", "--password", "1234567890", "--role", "admin"]
    )
    assert result.exit_code != 0
    assert "danh sách mật khẩu phổ biến" in result.output
    assert _user("x@example.com") is None


def test_the_office_user_form_refuses_a_guessable_password(app, world):
    office = _signed_in_client(app, "admin@example.com")
    response = _post(office, "/portal/admin/users", {"email": "new@example.com", "password": "aaaaaaaaaa",
                                                     "role": "admin"}, token_page="/portal/admin/users")  # fmt: skip
    assert response.status_code == 422
    assert "quá dễ đoán" in response.get_data(as_text=True)
    assert _user("new@example.com") is None


# --- Changing the password ------------------------------------------------------------


def test_changing_the_password_keeps_this_session_and_ends_the_others(app, world):
    client = _signed_in_client(app, "owner@example.com")
    thief = _copy(client, app)

    response = _post(client, "/portal/account/password",
                     {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})  # fmt: skip

    assert response.status_code == 303
    assert _opens_portal(client)
    assert not _opens_portal(thief)
    assert sign_in(_client(app, "10.1.0.7"), "owner@example.com", NEW_PASSWORD).status_code == 303
    assert sign_in(_client(app, "10.1.0.8"), "owner@example.com", PASSWORD).status_code == 422


@pytest.mark.parametrize(("data", "message"), [
    ({"current_password": "not the password", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
     "Mật khẩu hiện tại không đúng."),
    ({"current_password": PASSWORD, "password": "1234567890", "confirm": "1234567890"}, "mật khẩu phổ biến"),
    ({"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"}, "chưa giống nhau"),
])  # fmt: skip
def test_a_password_change_is_refused_with_what_to_do(app, world, data, message):
    client = _signed_in_client(app, "owner@example.com")
    before = _user("owner@example.com").password_hash

    response = _post(client, "/portal/account/password", data)

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _user("owner@example.com").password_hash == before
    assert _opens_portal(client)


# --- Reset by email -------------------------------------------------------------------


@pytest.fixture
def mail(app, smtp_server):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    yield smtp_server
    app.config.update(MAIL_SERVER=None)


def _forgot(client, email: str):
    return _post(client, "/portal/password/forgot", {"email": email}, token_page="/portal/password/forgot")


def _reset_link(message) -> str:
    body = message.get_body(("plain",)).get_content()
    return re.search(r"http://shop\.test(/portal/password/reset/\S+)", body).group(1)


def test_forgot_password_answers_the_same_whether_or_not_the_email_exists(app, world, mail):
    known = _forgot(_client(app, "10.2.0.1"), "owner@example.com")
    unknown = _forgot(_client(app, "10.2.0.2"), "nobody@example.com")

    assert (known.status_code, known.headers["Location"]) == (unknown.status_code, unknown.headers["Location"])
    message = mail.wait_for_message()
    assert message["To"] == "owner@example.com" and message["Date"] and message["Message-ID"]
    assert mail.messages.empty()  # nothing for the unknown address
    assert db.session.scalar(select(func.count(PasswordReset.id))) == 1


def test_a_reset_link_works_once_and_ends_every_session(app, world, mail):
    signed = _signed_in_client(app, "owner@example.com", "10.2.0.9")
    client = _client(app, "10.2.0.3")
    _forgot(client, "owner@example.com")
    link = _reset_link(mail.wait_for_message())
    stored = db.session.scalar(select(PasswordReset.token_hash))
    assert link.rsplit("/", 1)[1] not in stored  # only its hash is kept

    page = client.get(link)
    assert page.status_code == 200 and '<meta name="referrer" content="no-referrer">' in page.get_data(as_text=True)
    weak = _post(client, link, {"password": "aaaaaaaaaa", "confirm": "aaaaaaaaaa"}, token_page=link)
    assert weak.status_code == 422 and "quá dễ đoán" in weak.get_data(as_text=True)
    done = _post(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, token_page=link)

    assert done.status_code == 303
    assert sign_in(_client(app, "10.2.0.4"), "owner@example.com", NEW_PASSWORD).status_code == 303
    assert not _opens_portal(signed)
    assert client.get(link).status_code == 404  # used up
    other = "một mật khẩu khác hẳn 77"
    again = _post(client, link, {"password": other, "confirm": other}, token_page="/portal/password/forgot")
    assert again.status_code == 404
    assert sign_in(_client(app, "10.2.0.5"), "owner@example.com", NEW_PASSWORD).status_code == 303


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_reset_link_expires_after_thirty_minutes(app, world, mail, monkeypatch):
    client = _client(app, "10.2.0.6")
    _forgot(client, "owner@example.com")
    link = _reset_link(mail.wait_for_message())

    _later(monkeypatch, timedelta(minutes=31))

    assert client.get(link).status_code == 404
    assert "Gửi liên kết mới" in client.get(link).get_data(as_text=True)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_newer_reset_link_replaces_the_older_one(app, world, mail):
    client = _client(app, "10.2.0.7")
    _forgot(client, "owner@example.com")
    first = _reset_link(mail.wait_for_message())
    _forgot(client, "owner@example.com")
    second = _reset_link(mail.wait_for_message())

    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200


@pytest.mark.parametrize("backend", ["sqlite"])
def test_forgot_password_is_rate_limited_per_email(app, world, mail):
    answers = [_forgot(_client(app, f"10.3.0.{n}"), "owner@example.com").status_code for n in range(6)]
    assert answers == [303] * 5 + [429]
    assert db.session.scalar(select(func.count(PasswordReset.id))) == 5


# --- Two-factor sign-in ---------------------------------------------------------------


def _password_step(client, email: str):
    return client.post(
        "/portal/login",
        data={"csrf_token": csrf_token(client, "/portal/login"), "email": email, "password": PASSWORD},
    )


def _code_step(client, code: str):
    return _post(client, "/portal/two-factor", {"code": code}, token_page="/portal/two-factor")


def test_the_office_gives_a_second_factor_and_the_password_alone_opens_nothing(app, world):
    client = _client(app)
    response = _password_step(client, "admin@example.com")
    assert response.headers["Location"] == "/portal/two-factor"
    assert not _opens_portal(client)  # between the two steps, nothing opens

    assert _code_step(client, "000000").status_code == 422
    assert _code_step(client, current_code("admin@example.com")).status_code == 303
    assert _opens_portal(client)


def test_the_same_totp_code_is_refused_a_second_time(app, world):
    code = current_code("admin@example.com")
    first = _client(app, "10.4.0.1")
    _password_step(first, "admin@example.com")
    assert _code_step(first, code).status_code == 303

    second = _client(app, "10.4.0.2")
    _password_step(second, "admin@example.com")
    replay = _code_step(second, code)

    assert replay.status_code == 422
    assert "đã được dùng" in replay.get_data(as_text=True)
    assert not _opens_portal(second)


def test_an_office_account_without_two_factor_must_enrol_and_gets_ten_recovery_codes(app, world):
    admin = _user("admin@example.com")
    admin.totp_secret = None
    db.session.commit()
    client = _client(app)

    response = _password_step(client, "admin@example.com")
    assert response.headers["Location"] == "/portal/two-factor/setup"
    assert not _opens_portal(client)
    page = client.get("/portal/two-factor/setup").get_data(as_text=True)
    assert "<svg" in page and "phải bật xác thực hai lớp" in page
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page).group(1)
    wrong = _post(client, "/portal/two-factor/setup", {"code": "123456"}, token_page="/portal/two-factor/setup")
    assert wrong.status_code == 422 and _user("admin@example.com").totp_secret is None
    done = _post(client, "/portal/two-factor/setup", {"code": pyotp.TOTP(secret).now()},
                 token_page="/portal/two-factor/setup")  # fmt: skip

    codes = re.findall(r"<li><code>([0-9a-f]{6}-[0-9a-f]{6})</code></li>", done.get_data(as_text=True))
    assert len(set(codes)) == 10
    assert _opens_portal(client)
    stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and not any(code.replace("-", "") in "".join(stored) for code in codes)
    # a recovery code signs in once
    other = _client(app, "10.4.0.3")
    _password_step(other, "admin@example.com")
    assert _code_step(other, codes[0]).status_code == 303
    third = _client(app, "10.4.0.4")
    _password_step(third, "admin@example.com")
    assert _code_step(third, codes[0]).status_code == 422


def test_a_producer_may_turn_on_two_factor_and_then_needs_it(app, world):
    client = _signed_in_client(app, "owner@example.com")
    assert "Chưa bật" in client.get("/portal/account/").get_data(as_text=True)
    page = client.get("/portal/two-factor/setup").get_data(as_text=True)
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page).group(1)

    done = _post(client, "/portal/two-factor/setup", {"code": pyotp.TOTP(secret).now()},
                 token_page="/portal/two-factor/setup")  # fmt: skip

    assert done.status_code == 200 and _opens_portal(client)
    again = _client(app, "10.4.0.5")
    assert _password_step(again, "owner@example.com").headers["Location"] == "/portal/two-factor"
    assert _code_step(again, current_code("owner@example.com")).status_code == 303


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_pending_sign_in_expires_after_five_minutes(app, world, monkeypatch):
    client = _client(app)
    _password_step(client, "admin@example.com")
    _later(monkeypatch, timedelta(minutes=6))

    response = _post(client, "/portal/two-factor", {"code": pyotp.TOTP(TOTP_SECRET).at(clock.now())},
                     token_page="/portal/login")  # fmt: skip

    assert response.status_code == 302 and response.headers["Location"].startswith("/portal/login")
    assert not _opens_portal(client)


def test_the_office_turns_off_a_users_two_factor(app, world):
    office = _signed_in_client(app, "admin@example.com", "10.5.0.1")
    owner = _user("owner@example.com")
    owner.totp_secret = TOTP_SECRET
    db.session.commit()
    signed = _client(app, "10.5.0.2")
    assert sign_in(signed, "owner@example.com").status_code == 303

    response = _post(office, f"/portal/admin/users/{owner.id}/two-factor/off", token_page="/portal/admin/users")

    assert response.status_code == 303
    assert _user("owner@example.com").totp_secret is None
    assert not _opens_portal(signed)
    assert _password_step(_client(app, "10.5.0.3"), "owner@example.com").headers["Location"] == "/portal/"
