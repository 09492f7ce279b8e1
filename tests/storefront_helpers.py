"""Helpers for driving the HTML storefront through the Flask test client."""

import re

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, path: str = "/orders/lookup") -> str:
    """The CSRF token of the form on `path` (the session keeps its secret). The order look-up always has a form;
    a page whose only form is the language switch has none (storefront.views.language)."""
    html = client.get(path).get_data(as_text=True)
    found = _TOKEN.search(html)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def cart_of(client) -> dict:
    """The cart kept in the client's signed session."""
    with client.session_transaction() as session:
        return dict(session.get("cart", {}))
