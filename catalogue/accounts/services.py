"""Accounts: users, password checks, scoped API tokens, the audit log."""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from catalogue.accounts import passwords
from catalogue.accounts.models import (
    ROLES,
    SCOPES,
    SCOPES_BY_ROLE,
    ApiToken,
    AuditEntry,
    PasswordReset,
    RecoveryCode,
    User,
)
from catalogue.accounts.principal import Principal
from catalogue.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from catalogue.extensions import db
from catalogue.models_base import as_utc, token_digest
from catalogue.producers.models import Producer
from catalogue.transactions import use_case

MIN_PASSWORD_LENGTH = passwords.MIN_PASSWORD_LENGTH
TOKEN_PREFIX = "ocop_"
# Recording every use would write on every API call; a minute's precision is enough.
LAST_USED_PRECISION = timedelta(minutes=1)


def _hash_method() -> str:
    """werkzeug's method for new password hashes: scrypt, unless the test suite asks for a cheap one."""
    return current_app.config["PASSWORD_HASH_METHOD"]


@cache
def _dummy_hash(method: str) -> str:
    """A hash that takes as long to check as a real one, so unknown emails are not faster to refuse."""
    return generate_password_hash("not a real password", method=method)


def _normalise_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 200:
        raise InvalidInput("Not an email address.", {"email": ["Must be an email address."]})
    return email


@use_case
def create_user(email: str, password: str, role: str, producer_slug: str | None = None) -> User:
    """A user with a hashed password (werkzeug's scrypt); producers belong to one producer."""
    email = _normalise_email(email)
    if role not in ROLES:
        raise InvalidInput(f"Role must be one of {', '.join(ROLES)}.", {"role": ["Unknown role."]})
    passwords.check(password, email)
    producer = None
    if role == "producer":
        if not producer_slug:
            raise InvalidInput("A producer user needs --producer.", {"producer": ["Required for producers."]})
        producer = db.session.scalar(select(Producer).where(Producer.slug == producer_slug))
        if producer is None:
            raise InvalidInput(f"No producer '{producer_slug}'.", {"producer": ["Unknown producer."]})
    if db.session.scalar(select(User.id).where(User.email == email)):
        raise Conflict(f"A user {email} already exists.", {"email": ["Already registered."]})
    user = User(
        email=email, password_hash=generate_password_hash(password, method=_hash_method()), role=role, producer=producer
    )
    db.session.add(user)
    return user


@use_case
def authenticate(email: str, password: str, now: datetime) -> User | None:
    """The active user with this email and password, or None (same cost either way)."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.is_active:
        check_password_hash(_dummy_hash(_hash_method()), password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    user.last_login_at = now
    return user


@use_case
def create_token(email: str, scopes: list[str], name: str = "") -> tuple[str, ApiToken]:
    """A new token for the user, limited to `scopes` (which the user's role must allow).

    Returns the token in clear (shown once) and its record.
    """
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"No user {email}.")
    requested = set(scopes)
    unknown = requested - set(SCOPES)
    if not requested or unknown:
        raise InvalidInput(f"Scopes must be among {', '.join(SCOPES)}.", {"scope": sorted(unknown) or ["Required."]})
    not_allowed = requested - SCOPES_BY_ROLE[user.role]
    if not_allowed:
        raise PermissionDenied(f"A {user.role} cannot hold {', '.join(sorted(not_allowed))}.")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user, name=name[:100], prefix=raw[:12], token_hash=token_digest(raw), scopes=" ".join(sorted(requested))
    )
    db.session.add(token)
    return raw, token


@use_case
def revoke_token(token_id: int, principal: Principal, now: datetime) -> ApiToken:
    """Revoke one of the principal's own tokens (an admin may revoke any)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or (token.user_id != principal.user_id and not principal.is_admin):
        raise NotFound(f"No token {token_id}.")
    if token.revoked_at is None:
        token.revoked_at = now
        record(principal, "token.revoke", "api_token", token.id, {})
    return token


@use_case
def principal_for_token(raw: str, now: datetime) -> Principal | None:
    """The principal behind a bearer token, or None if unknown, revoked or its user disabled."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(raw)))
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    last_used = token.last_used_at
    if last_used is None or as_utc(last_used) < now - LAST_USED_PRECISION:
        token.last_used_at = now
    user = token.user
    return Principal(
        user.id,
        user.role,
        user.producer_id,
        token.scope_set & SCOPES_BY_ROLE[user.role],
        f"{user.email} (token {token.prefix}…)",
    )


def principal_for_user(user: User) -> Principal:
    """A signed-in user acts with every scope of their role."""
    return Principal(user.id, user.role, user.producer_id, SCOPES_BY_ROLE[user.role], user.email)


def record(principal: Principal, action: str, entity_type: str, entity_id: int | None, changes: dict) -> None:
    """Add an audit entry to the current use case (kept only if it commits)."""
    db.session.add(
        AuditEntry(
            actor_user_id=principal.user_id,
            actor=principal.label,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            changes=json.dumps(changes, ensure_ascii=False, default=str),
        )
    )


# --- Sessions, passwords, password resets -------------------------------------------------

RESET_LIFETIME = timedelta(minutes=30)


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user {user_id}.")
    return user


def _bump_sessions(user: User) -> None:
    # An UPDATE … SET v = v + 1, so two nodes bumping at once both count (no lost update).
    user.session_version = User.session_version + 1


@use_case
def end_sessions(user_id: int, principal: Principal) -> User:
    """Sign the user out everywhere: every session cookie of theirs, on every device, stops working.

    A user may end their own sessions; the office (admin) anyone's.
    """
    user = _user(user_id)
    if user.id != principal.user_id and not principal.is_admin:
        raise NotFound(f"No user {user_id}.")
    _bump_sessions(user)
    record(principal, "user.sign_out_everywhere", "user", user.id, {})
    return user


@use_case
def change_password(user_id: int, current: str, new: str) -> User:
    """A new password for a signed-in user who knows the current one; ends every other session."""
    user = _user(user_id)
    if not check_password_hash(user.password_hash, current):
        raise InvalidInput("The current password is wrong.", {"current_password": ["Wrong password."]})
    passwords.check(new, user.email)
    user.password_hash = generate_password_hash(new, method=_hash_method())
    _bump_sessions(user)
    record(principal_for_user(user), "user.change_password", "user", user.id, {})
    return user


@use_case
def request_password_reset(email: str, now: datetime) -> tuple[User, str] | None:
    """A reset link for the active user with `email` (the raw token, shown only in the mail), or None.

    Earlier unused links of the user stop working: only the newest one is good.
    """
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()[:200]))
    if user is None or not user.is_active:
        return None
    _expire_resets(user.id, now)
    raw = secrets.token_urlsafe(32)
    db.session.add(
        PasswordReset(user=user, token_hash=token_digest(raw), created_at=now, expires_at=now + RESET_LIFETIME)
    )
    return user, raw


def _expire_resets(user_id: int, now: datetime) -> None:
    for reset in db.session.scalars(
        select(PasswordReset).where(PasswordReset.user_id == user_id, PasswordReset.used_at.is_(None))
    ):
        reset.used_at = now


def pending_reset(raw: str, now: datetime) -> PasswordReset | None:
    """The reset behind a link's token, if it is unused, unexpired and its user active."""
    if not raw or len(raw) > 100:
        return None
    reset = db.session.scalar(select(PasswordReset).where(PasswordReset.token_hash == token_digest(raw)))
    if reset is None or reset.used_at is not None or as_utc(reset.expires_at) <= now or not reset.user.is_active:
        return None
    return reset


@use_case
def reset_password(raw: str, new: str, now: datetime) -> User:
    """Set a new password through a reset link: the link is used up, and every session ends."""
    reset = pending_reset(raw, now)
    if reset is None:
        raise NotFound("This reset link is unknown, used or expired.")
    user = reset.user
    passwords.check(new, user.email)
    user.password_hash = generate_password_hash(new, method=_hash_method())
    _expire_resets(user.id, now)
    _bump_sessions(user)
    record(principal_for_user(user), "user.reset_password", "user", user.id, {})
    return user


# --- Two-factor sign-in (TOTP, RFC 6238) ----------------------------------------------------

RECOVERY_CODES = 10
TOTP_ISSUER = "OCOP Quảng Ninh"


def new_totp_secret() -> str:
    import pyotp  # noqa: PLC0415 - only enrolment and sign-in need it

    return pyotp.random_base32()


def totp_uri(secret: str, email: str) -> str:
    """The otpauth:// URI an authenticator app reads from the enrolment QR code."""
    import pyotp  # noqa: PLC0415

    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=TOTP_ISSUER)


def _totp_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step `code` is valid for (now, or one step either side for clock drift), or None."""
    import pyotp  # noqa: PLC0415

    code = code.strip().replace(" ", "")
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current, current - 1, current + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _recovery_digest(code: str) -> str:
    return token_digest(code.strip().lower().replace("-", "").replace(" ", ""))


@use_case
def enable_two_factor(user_id: int, secret: str, code: str, now: datetime) -> list[str] | None:
    """Turn on two-factor sign-in once the user shows a code from their app; the recovery codes, shown once.

    None when the code does not match the secret (the user is asked again).
    """
    user = _user(user_id)
    step = _totp_step(secret, code, now)
    if step is None:
        return None
    user.totp_secret = secret
    user.totp_last_step = step
    db.session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id))
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_recovery_digest(code)) for code in codes)
    _bump_sessions(user)
    record(principal_for_user(user), "user.enable_two_factor", "user", user.id, {})
    return codes


@use_case
def check_second_factor(user_id: int, code: str, now: datetime) -> bool:
    """True when `code` is the user's current TOTP code (never one already accepted) or an unused recovery code.

    A TOTP code is accepted once: its time step is remembered, and that step or an earlier one is
    refused after, so a code seen over someone's shoulder cannot be replayed within its window.
    The user row is locked so two nodes checking the same code at once accept it only once.
    """
    user = db.session.scalar(select(User).where(User.id == user_id).with_for_update())
    if user is None or not user.is_active or user.totp_secret is None:
        return False
    step = _totp_step(user.totp_secret, code, now)
    if step is not None:
        if user.totp_last_step is not None and step <= user.totp_last_step:
            return False
        user.totp_last_step = step
        return True
    recovery = db.session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _recovery_digest(code),
            RecoveryCode.used_at.is_(None),
        )
    )
    if recovery is None:
        return False
    recovery.used_at = now
    record(principal_for_user(user), "user.use_recovery_code", "user", user.id, {})
    return True


def recovery_codes_left(user_id: int) -> int:
    return len(
        db.session.scalars(
            select(RecoveryCode.id).where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
        ).all()
    )


@use_case
def disable_two_factor(user_id: int, principal: Principal) -> User:
    """Turn two-factor off (the office, for a user who lost their phone and codes); ends their sessions."""
    if not principal.is_admin:
        raise PermissionDenied("Only the office may turn off another user's two-factor sign-in.")
    user = _user(user_id)
    user.totp_secret = None
    user.totp_last_step = None
    db.session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id))
    _bump_sessions(user)
    record(principal, "user.disable_two_factor", "user", user.id, {})
    return user
