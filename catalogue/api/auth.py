"""Who is calling the API: a bearer token (scoped) — never a cookie.

`authenticated()` answers 401 without a valid token; `require(scope)` 403 when the
token lacks the scope. What a principal may touch beyond its scopes (its own
producer's data) is decided by the services.

`require` goes above a route's flask-smorest decorators, so a caller without the right
token learns that first (401/403), before its body or query is validated (422).
"""

from __future__ import annotations

from functools import wraps

from flask import abort, request
from werkzeug.datastructures import WWWAuthenticate

from catalogue import clock
from catalogue.accounts.principal import Principal
from catalogue.accounts.services import principal_for_token
from catalogue.api.blueprint import refuses, secured


def bearer_token() -> str | None:
    """The raw token of `Authorization: Bearer …`."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


def current_principal() -> Principal | None:
    """The principal of this request's API token, looked up once per request."""
    if "catalogue.principal" not in request.environ:
        token = bearer_token()
        request.environ["catalogue.principal"] = principal_for_token(token, clock.now()) if token else None
    return request.environ["catalogue.principal"]


def authenticated() -> Principal:
    """The caller, or a 401 asking for a token (with `WWW-Authenticate: Bearer`, RFC 6750)."""
    principal = current_principal()
    if principal is None:
        abort(
            401,
            description="Send a valid API token: Authorization: Bearer <token>.",
            www_authenticate=WWWAuthenticate("Bearer", {"realm": "api"}),
        )
    return principal


def require(scope: str | None = None):
    """Decorator: a 401 without a valid token, a 403 when its scopes include neither `scope` nor admin.

    Without `scope` any valid token passes (the service decides what it may touch).
    """

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            principal = authenticated()
            if scope and not (principal.can(scope) or principal.is_admin):
                abort(403, description=f"This token lacks the '{scope}' scope.")
            return view(*args, **kwargs)

        return secured(refuses(401, 403)(wrapper))

    return decorator
