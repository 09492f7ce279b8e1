"""Absolute URLs for things the service serves (product pages, images)."""

from __future__ import annotations

from urllib.parse import quote

from flask import current_app, request, url_for

from catalogue.products.renditions import raster_path

NO_PHOTO = "no-photo.jpg"  # under static/: what a product without a photo shows and shares


def absolute_url(path: str) -> str:
    """`path` on PUBLIC_BASE_URL (required in production), or outside production on the host the request came to."""
    base = current_app.config.get("PUBLIC_BASE_URL") or request.host_url
    return base.rstrip("/") + "/" + quote(path.lstrip("/"))


def public_base() -> str:
    """Where our stamps and links point: PUBLIC_BASE_URL (required in production: the Host header is the
    client's to choose), or outside production the host this request came to."""
    return (current_app.config.get("PUBLIC_BASE_URL") or request.host_url).rstrip("/")


def product_url(slug: str) -> str:
    """The storefront page of a product."""
    return absolute_url(f"/products/{slug}")


def media_url(path: str) -> str:
    """A file under MEDIA_ROOT, served at /media/."""
    return absolute_url(f"/media/{path}")


def raster_image_url(product) -> str:
    """The product's first picture as JPEG/PNG (og:image, JSON-LD, feeds); the "no photo" picture if it has none."""
    if product.images:
        return media_url(raster_path(product.images[0].path))
    return absolute_url(url_for("static", filename=NO_PHOTO))
