"""The GS1 Digital Link resolver: what a stamp's URI answers to people and to machines.

`/01/{GTIN-14}/10/{lot}` and `/t/{code}` answer a browser with the lot's origin page
(link type gs1:traceability, our default), `?linkType=gs1:pip` with a redirect to the
product page, and `Accept: application/linkset+json` or `?linkType=all` with the RFC 9264
linkset. Malformed and unknown URIs get a helpful 404 page (or a JSON 404 for machines),
never a 500. Only the origin page counts a scan; it is never cached (its count changes).
"""

from __future__ import annotations

import os

from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request, url_for
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload, selectinload

from catalogue import clock
from catalogue.accounts.principal import Principal
from catalogue.errors import error_body
from catalogue.extensions import db
from catalogue.products.models import Product
from catalogue.sync.services import is_listable
from catalogue.traceability import origin, scans
from catalogue.traceability import services as lots
from catalogue.traceability.digital_link import (
    MalformedLink,
    digital_link,
    ean13_of,
    parse_digital_link,
    valid_code,
)
from catalogue.traceability.models import Lot
from catalogue.traceability.reports import reports_visible
from catalogue.traceability.stamps import stamp_uri
from catalogue.urls import absolute_url, public_base

resolver = Blueprint("resolver", __name__)
LINKSET = "application/linkset+json"
NOT_OURS = "Mã này không phải của chúng tôi: sản phẩm có thể không chính hãng."


@resolver.get("/01/<path:rest>")
def digital_link_route(rest: str):
    """A GS1 Digital Link: the lot's origin page, the product page, or the linkset."""
    try:
        parsed = parse_digital_link("/01/" + rest)
    except MalformedLink as error:
        return _unknown(malformed=error.reason)
    ean13 = ean13_of(parsed.gtin14)
    if ean13 is None:
        return _unknown()
    if parsed.lot is None:
        product = lots.product_by_gtin(ean13)
        if product is None:
            return _unknown()
        return _product_answer(product, digital_link(public_base(), ean13))
    return _lot_answer(lots.lot_id_by_gtin(ean13, parsed.lot))


@resolver.get("/t/<code>")
def short_link_route(code: str):
    """A short stamp of a product without GTIN: the lot's origin page or the linkset."""
    normal = code.upper()  # Crockford's base 32 reads alike in either case
    if not valid_code(normal):
        return _unknown(malformed="code")
    return _lot_answer(lots.lot_id_by_code(normal))


@resolver.get("/.well-known/gs1resolver")
def resolver_description():
    """The resolver describes itself (GS1-Conformant Resolver standard)."""
    base = public_base()
    return jsonify(
        {
            "name": current_app.config.get("OPERATOR_NAME") or "OCOP Quảng Ninh",
            "resolverRoot": base,
            "supportedPrimaryKeys": ["gtin"],
            "supportedLinkType": [
                {"namespace": origin.GS1_VOC, "prefix": "gs1:", "profile": f"{origin.GS1_VOC}?show=linktypes"}
            ],
            "linkTypes": list(origin.LINK_TYPES),
            "linkTypeDefaultCanBeLinkset": False,
            "defaultLinkType": "gs1:traceability",
            "shortLinkPattern": f"{base}/t/{{code}}",
            "contact": {"email": current_app.config.get("OPERATOR_EMAIL")},
        }
    )


def _wants_linkset() -> bool:
    if request.args.get("linkType") == "all":
        return True
    best = request.accept_mimetypes.best_match(["text/html", LINKSET, "application/json"])
    return (
        best in (LINKSET, "application/json") and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def _product_url(product: Product) -> str | None:
    return (
        absolute_url(url_for("storefront.product", slug=product.slug)) if is_listable(product, clock.today()) else None
    )


def _lot_answer(lot_id: Select):
    """The stamp's answer; a person's page view is counted first, before anything is read (see scans.count_scan)."""
    link_type = origin.normalised_link_type(request.args.get("linkType"))
    counts = request.method == "GET" and not _wants_linkset() and link_type != "gs1:pip"  # HEAD is no scan
    today = clock.today()
    counted = scans.count_scan(lot_id, today, clock.now()) if counts else None
    lot = db.session.scalar(_with_details(select(Lot).where(Lot.id.in_(lot_id))))
    if lot is None:
        return _unknown()
    anchor = stamp_uri(lot, public_base())
    product_url = _product_url(lot.product)
    if _wants_linkset():
        return _linkset(origin.linkset(anchor, anchor, product_url, lot.product.name))
    if link_type == "gs1:pip" and product_url:
        return redirect(product_url, code=307)
    facts = origin.origin_facts(
        lot, today, current_app.config.get("SHOPEE_SHOP_ID") or os.environ.get("SHOPEE_SHOP_ID")
    )
    if not facts.on_sale and not reports_visible(lot.product_id, lot.product.producer_id, viewer(), today):
        facts.reports = []  # the lot listing's rule: a withdrawn product's reports are its producer's and the office's
    facts.scans = counted[1] if counted else scans.total_scans(lot.id)
    facts.suspected_copy = lot.suspected_copy_at is not None
    response = Response(render_template("storefront/origin.html", facts=facts, stamp=anchor, today=today))
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Link"] = f'<{anchor}?linkType=all>; rel="linkset"; type="{LINKSET}"'
    return response


def _with_details(statement: Select) -> Select:
    """A lot with all its page shows, in two statements (the product's row with its one-to-ones, then lists)."""
    product = joinedload(Lot.product)
    return statement.options(
        product.joinedload(Product.producer),
        product.joinedload(Product.locality),
        product.joinedload(Product.current_certificate),
        product.selectinload(Product.images),
        selectinload(Lot.reports),
    )


def _product_answer(product: Product, anchor: str):
    product_url = _product_url(product)
    latest = lots.latest_lot(product.id)
    origin_url = stamp_uri(latest, public_base()) if latest else None
    if _wants_linkset():
        return _linkset(origin.linkset(anchor, origin_url or product_url or anchor, product_url, product.name))
    link_type = origin.normalised_link_type(request.args.get("linkType"))
    target = origin_url if link_type == "gs1:traceability" and origin_url else (product_url or origin_url)
    return redirect(target, code=307) if target else _unknown()


def _linkset(body: dict) -> Response:
    response = jsonify(body)
    response.mimetype = LINKSET
    return response


def _unknown(malformed: str | None = None):
    """404: the code is not ours (or not a code at all), said plainly, in the asker's format."""
    if _wants_linkset() or request.accept_mimetypes.best == "application/json":
        message = f"Malformed Digital Link ({malformed})." if malformed else "No such GS1 Digital Link here."
        response = jsonify(error_body(404, message))
        response.status_code = 404
        return response
    response = Response(render_template("storefront/origin_unknown.html", malformed=malformed), status=404)
    response.headers["Cache-Control"] = "no-store"
    return response


@resolver.get("/lots/reports/<int:report_id>")
def report(report_id: int):
    """A lot's report as stored: its checked type, never sniffed, a PDF downloaded rather than run inline.

    The lot listing's rule: anyone while the product is on sale (then a shared cache may keep it),
    else only its producer or the office (portal session or API token), and never a shared cache.
    """
    from pathlib import Path

    from flask import send_file

    from catalogue.traceability.reports import report_for_download

    found, public = report_for_download(report_id, viewer(), clock.today())
    extension = ".pdf" if found.kind == "pdf" else Path(found.path).suffix
    response = send_file(
        Path(current_app.config["MEDIA_ROOT"]) / found.path,
        mimetype=found.media_type,
        as_attachment=found.kind == "pdf",
        download_name=f"phieu-kiem-nghiem-{found.id}{extension}",
        max_age=3600 if public else None,
        conditional=public,
    )
    if not public:
        response.headers["Cache-Control"] = "private, no-store"
        response.vary.add("Cookie")
        response.vary.add("Authorization")
    response.headers["X-Content-Type-Options"] = "nosniff"  # the sandboxing CSP is set in storefront._adjust_csp
    return response


def viewer() -> Principal | None:
    """Who is asking: an API token's principal, else the portal's signed-in user, else nobody."""
    from flask_login import current_user

    from catalogue.accounts.services import principal_for_user
    from catalogue.api.auth import current_principal

    principal = current_principal()
    if principal is None and current_user.is_authenticated:
        principal = principal_for_user(current_user)
    return principal


@resolver.get("/products/<slug>/nguon-goc")
def product_origin(slug: str):
    """The product page's stable link to its latest lot's origin page (a new lot never stales the page)."""
    from sqlalchemy import select

    from catalogue.extensions import db

    product = db.session.scalar(select(Product).where(Product.slug == slug))
    latest = lots.latest_lot(product.id) if product is not None else None
    if latest is None:
        from catalogue.errors import NotFound

        raise NotFound(f"No lot of '{slug}' is recorded yet.")
    return redirect(stamp_uri(latest, public_base()), code=302)
