"""Absolute URLs for things the service serves (product pages, images)."""

from __future__ import annotations

from urllib.parse import quote

from flask import current_app, request


def absolute_url(path: str) -> str:
    """`path` on PUBLIC_BASE_URL, or on the host the request came to."""
    base = current_app.config.get("PUBLIC_BASE_URL") or request.host_url
    return base.rstrip("/") + "/" + quote(path.lstrip("/"))


def product_url(slug: str) -> str:
    """The storefront page of a product."""
    return absolute_url(f"/products/{slug}")


def media_url(path: str) -> str:
    """A file under MEDIA_ROOT, served at /media/."""
    return absolute_url(f"/media/{path}")
