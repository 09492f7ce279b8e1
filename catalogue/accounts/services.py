"""Accounts: users, password checks, scoped API tokens, the audit log."""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from catalogue.accounts.models import ROLES, SCOPES, SCOPES_BY_ROLE, ApiToken, AuditEntry, User
from catalogue.accounts.principal import Principal
from catalogue.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from catalogue.extensions import db
from catalogue.models_base import as_utc, token_digest
from catalogue.producers.models import Producer
from catalogue.transactions import use_case

MIN_PASSWORD_LENGTH = 10
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
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("Password too short.", {"password": [f"At least {MIN_PASSWORD_LENGTH} characters."]})
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
