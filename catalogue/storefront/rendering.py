"""Template helpers: safe descriptions and schema.org data."""

from __future__ import annotations

import nh3
from markupsafe import Markup, escape

from catalogue.products.models import Product
from catalogue.products.renditions import raster_path
from catalogue.traceability.digital_link import digital_link
from catalogue.urls import absolute_url, media_url, raster_image_url

ALLOWED_TAGS = {"p", "br", "strong", "em", "b", "i", "ul", "ol", "li"}


def rich_text(text: str) -> Markup:
    """A description as safe HTML: a small tag allowlist (nh3); plain text becomes paragraphs."""
    if "<" in text:
        return Markup(nh3.clean(text, tags=ALLOWED_TAGS, attributes={}))
    paragraphs = [part.strip() for part in text.split("\n\n") if part.strip()]
    return Markup("".join(f"<p>{escape(part)}</p>" for part in paragraphs))


def product_json_ld(product: Product, page_url: str) -> dict:
    """schema.org Product with an Offer in VND; images as JPEG/PNG (Google reads no SVG)."""
    rating = product.current_certificate
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name,
        "description": product.description,
        "sku": product.sku,
        "image": [media_url(raster_path(image.path)) for image in product.images] or [raster_image_url(product)],
        "brand": {"@type": "Brand", "name": product.producer.name},
        "url": page_url,
        "offers": {
            "@type": "Offer",
            "price": product.price_vnd,
            "priceCurrency": "VND",
            "availability": "https://schema.org/InStock" if product.stock > 0 else "https://schema.org/OutOfStock",
            "url": page_url,
        },
    }
    # Its GS1 Digital Link (products with a GTIN) and the stable link to its lots' origin page.
    data["subjectOf"] = {
        "@type": "WebPage",
        "name": "Truy xuất nguồn gốc",
        "url": absolute_url(f"/products/{product.slug}/nguon-goc"),
    }
    if product.gtin:
        data["gtin13"] = product.gtin
        data["sameAs"] = digital_link(absolute_url("/"), product.gtin)
    if rating:
        data["award"] = f"OCOP {rating.stars}★ ({rating.certificate_no})"
    return data
