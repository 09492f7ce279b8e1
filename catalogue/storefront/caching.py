"""HTTP caching for storefront pages: ETag and revalidation.

Pages carry a per-session CSRF token and the cart count, so they are `private`;
the ETag lets a browser revalidate cheaply and get a 304 when nothing changed.
"""

from __future__ import annotations

from functools import wraps

from flask import make_response, request


def cacheable(view):
    """Add an ETag and `Cache-Control: private, no-cache`; answer 304 when it matches."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        response = make_response(view(*args, **kwargs))
        if response.status_code == 200:
            response.add_etag()
            response.headers["Cache-Control"] = "private, no-cache"
            response.headers["Vary"] = "Cookie"
            response.make_conditional(request)
        return response

    return wrapper
