"""Access to one order without its token in the URL: a signed link grant, and the order's cookie.

The buyer's access token (shown once, at checkout) and the emails' links used to travel as
`?token=` in URLs, so into logs, histories and Referer headers; the emails' "Xem đơn hàng" link had
no token at all, so it opened the order only in the browser that placed it (the session).

- An email carries `link_grant(code)`: signed with SECRET_KEY for that order code (salt
  `order-link`), valid ORDER_LINK_DAYS; it grants reading the order (status, history), not
  paying or cancelling, which still need the order's own token.
- The order page exchanges a `?token=` (a grant or the access token itself) for `cookie_value`:
  signed, HttpOnly, SameSite=Lax, scoped to `/orders/{code}` and short-lived
  (ORDER_COOKIE_SECONDS), then redirects to the clean URL.
"""

from __future__ import annotations

from typing import NamedTuple

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

COOKIE_NAME = "order_access"
_LINK_SALT = "order-link"
_COOKIE_SALT = "order-access"


class OrderAccess(NamedTuple):
    """What an order cookie grants: the buyer's token (full access) or None (reading only)."""

    token: str | None


def _serializer(salt: str) -> URLSafeTimedSerializer:
    keys = [current_app.secret_key, *(current_app.config.get("SECRET_KEY_FALLBACKS") or ())]
    return URLSafeTimedSerializer(list(reversed(keys)), salt=salt)  # signs with the current key, reads old ones


def link_grant(code: str) -> str:
    """A signed grant to read order `code`, for links in emails."""
    return _serializer(_LINK_SALT).dumps(code)


def read_link_grant(value: str, code: str) -> bool:
    """True if `value` is a live grant for exactly order `code`."""
    max_age = int(current_app.config.get("ORDER_LINK_DAYS", 180)) * 24 * 3600
    try:
        return _serializer(_LINK_SALT).loads(value, max_age=max_age) == code
    except BadData:
        return False


def cookie_value(code: str, token: str | None) -> str:
    """The order cookie's signed value: the order code, and the buyer's token when the link held it."""
    return _serializer(_COOKIE_SALT).dumps({"c": code, "t": token})


def read_cookie(value: str | None, code: str) -> OrderAccess | None:
    """The access the cookie grants to order `code`, or None (absent, forged, expired or another order's)."""
    if not value:
        return None
    try:
        found = _serializer(_COOKIE_SALT).loads(value, max_age=cookie_seconds())
    except BadData:
        return None
    if not isinstance(found, dict) or found.get("c") != code:
        return None
    token = found.get("t")
    return OrderAccess(token if isinstance(token, str) else None)


def cookie_seconds() -> int:
    return int(current_app.config.get("ORDER_COOKIE_SECONDS", 2 * 3600))
