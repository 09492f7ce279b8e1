"""The GS1 Digital Link resolver: what a stamp's URI answers to people and to machines (GS1-Conformant resolver 1.2).

`/01/{GTIN-14}[/10/{lot}]`, its compressed form `/{base64}` and the short `/t/{code}` answer:
- `?linkType=linkset` (or the older `all`) or `Accept: application/linkset+json`: the RFC 9264 linkset, links of
  every level up to the GTIN, anchored at the uncompressed URI;
- `?linkType=gs1:pip` (any GS1 Web vocabulary link type, as CURIE, URI or bare name): a 307 to that link, 404 when
  the item has none;
- a browser (Accept prefers text/html), no linkType: the lot's origin page itself, the HTML representation of its
  default link, which is the only answer that counts a scan;
- anyone else: a 307 to the default link (for a lot, its origin page at /nguon-goc/{code}).
Every redirect passes the query string on (less linkType); every answer carries CORS headers and a `Link` to the
linkset (and `owl:sameAs` the uncompressed URI for a compressed one). A malformed URI (bad check digit, odd path,
GTIN not 14 digits) is a 400, an unknown one a 404, as a page or JSON by the asker's Accept, never a 200 or a 500.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, jsonify, redirect, render_template, request, session, url_for
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header
from werkzeug.routing import BaseConverter

from catalogue import clock, metrics
from catalogue.accounts.principal import Principal
from catalogue.caching import request_key, response_cache, shareable
from catalogue.errors import error_body
from catalogue.extensions import db
from catalogue.products.certificates import rating_of
from catalogue.products.models import Product
from catalogue.products.revision import existing_session
from catalogue.storefront import select_locale
from catalogue.storefront.caching import SCAN_COUNT_SLOT, PageTemplate, cart_count, cut_slots
from catalogue.sync.services import is_listable
from catalogue.traceability import origin, page_revision, scans
from catalogue.traceability import services as lots
from catalogue.traceability.digital_link import (
    MalformedLink,
    digital_link,
    ean13_of,
    parse_digital_link,
    uncompressed_path,
    valid_code,
)
from catalogue.traceability.dl_compression import COMPRESSED, NotCompressed, decompress
from catalogue.traceability.models import Lot
from catalogue.traceability.reports import reports_visible
from catalogue.traceability.stamps import stamp_uri
from catalogue.urls import absolute_url, public_base

resolver = Blueprint("resolver", __name__)
LINKSET = "application/linkset+json"
NOT_OURS = "Mã này không phải của chúng tôi: sản phẩm có thể không chính hãng."
LINKSET_CONTEXT = "https://ref.gs1.org/standards/resolver/linkset-context"
# The endpoints the GS1 standard covers: they answer any origin (CORS) and say so on every answer.
_STANDARD_ENDPOINTS = {
    "resolver.digital_link_route",
    "resolver.compressed_link_route",
    "resolver.short_link_route",
    "resolver.resolver_description",
    "resolver.origin_page",
}


class CompressedConverter(BaseConverter):
    """One path segment of the URI-safe base 64 alphabet, long enough to be a compressed Digital Link."""

    regex = COMPRESSED.pattern.removeprefix("^").removesuffix("$")
    weight = 200  # after every other single-segment rule


@resolver.record_once
def _register_converter(state) -> None:
    state.app.url_map.converters["dlz"] = CompressedConverter


@resolver.after_request
def _cors(response: Response) -> Response:
    """CORS for the resolver (GS1: SHALL support CORS): any origin may read a stamp's links, never with cookies."""
    if request.endpoint in _STANDARD_ENDPOINTS:
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Accept, Accept-Language"
        response.headers["Access-Control-Expose-Headers"] = "Link, Location, Vary"
        response.vary.add("Accept")
    return response


@dataclass(frozen=True)
class Link:
    """One link of an identified item: its GS1 link type (a CURIE), target and title."""

    rel: str
    href: str
    title: str
    media_type: str | None = "text/html"


@dataclass(frozen=True)
class Item:
    """An identified item (a lot, or a product by GTIN) at its anchor URI, with its links; the first is the default."""

    anchor: str
    links: tuple[Link, ...]

    def find(self, rel: str) -> Link | None:
        return next((link for link in self.links if link.rel == rel), None)


@resolver.get("/01/<path:rest>")
def digital_link_route(rest: str):
    """A GS1 Digital Link: the lot's origin page, a redirect to one of its links, or the linkset."""
    return _resolve("/01/" + rest)


@resolver.get("/<dlz:segment>")
def compressed_link_route(segment: str):
    """A compressed GS1 Digital Link, answered as its uncompressed URI (plus `Link: <…>; rel="owl:sameAs"`)."""
    try:
        found = decompress(segment)
    except NotCompressed:
        abort(404)
    path = uncompressed_path(found.ais)
    same_as = public_base() + path
    if found.others:
        same_as += ("&" if "?" in same_as else "?") + urlencode(found.others)
    extra = {key: value for key, value in found.ais.items() if key not in ("01", "22", "10", "21")} | found.others
    return _resolve(path.partition("?")[0], same_as=same_as, extra_query=extra)


def _resolve(path: str, same_as: str | None = None, extra_query: dict[str, str] | None = None):
    try:
        parsed = parse_digital_link(path)
    except MalformedLink as error:
        return _unknown(malformed=error.reason)
    ean13 = ean13_of(parsed.gtin14)
    if ean13 is None:
        return _unknown()
    if parsed.lot is None:
        product = lots.product_by_gtin(ean13)
        if product is None:
            return _unknown()
        return _product_answer(product, digital_link(public_base(), ean13), same_as, extra_query)
    return _lot_answer(lambda: lots.lot_id_by_gtin(ean13, parsed.lot), same_as, extra_query)


@resolver.get("/t/<code>")
@resolver.get("/t/<code>/")
def short_link_route(code: str):
    """A short stamp of a product without GTIN: the lot's origin page or the linkset."""
    normal = code.upper()  # Crockford's base 32 reads alike in either case
    if not valid_code(normal):
        return _unknown(malformed="code")
    return _lot_answer(lambda: lots.lot_id_by_code(normal))


@resolver.get("/nguon-goc/<code>")
def origin_page(code: str):
    """A lot's origin page at its own address: the target of its stamp's default link. Not a stamp: never a scan."""
    normal = code.upper()
    if not valid_code(normal):
        return _unknown()
    return _origin_answer(lambda: lots.lot_id_by_code(normal), None, counts=False)


@resolver.get("/.well-known/gs1resolver")
def resolver_description():
    """The resolver describes itself (GS1-Conformant resolver 1.2, its description file schema)."""
    return jsonify(
        {
            "name": current_app.config.get("OPERATOR_NAME") or "OCOP Quảng Ninh",
            "resolverRoot": public_base(),
            "supportedPrimaryKeys": ["01"],
            "supportedLinkType": [{"namespace": origin.GS1_VOC, "prefix": "gs1:"}],
            "linkTypeDefaultCanBeLinkset": False,
        }
    )


def _requested_link_type() -> str | None:
    return (request.args.get("linkType") or "").strip() or None


def _wants_linkset() -> bool:
    """`?linkType=linkset` (or the deprecated `all`), or an Accept preferring the linkset (or JSON) to HTML."""
    if _requested_link_type() in ("linkset", "all"):
        return True
    return _linkset_preferred(request.accept_mimetypes)


def _linkset_preferred(accept: MIMEAccept) -> bool:
    best = accept.best_match([LINKSET, "application/json"])
    return best is not None and accept[best] > accept["text/html"]


def _prefers_html() -> bool:
    """A browser: it names text/html and likes it best (`*/*` alone, or no Accept, is a machine's)."""
    return _html_preferred(request.accept_mimetypes)


def _html_preferred(accept: MIMEAccept) -> bool:
    return "text/html" in accept.values() and accept["text/html"] >= max(accept[LINKSET], accept["application/json"])


def _wants_page() -> bool:
    """A browser asking for the item itself: no linkType, no linkset, text/html preferred."""
    return _requested_link_type() is None and _page_accepted(request.headers.get("Accept", ""))


@lru_cache(maxsize=256)
def _page_accepted(accept: str) -> bool:
    """What an Accept header says of the page: a browser's (HTML preferred, the linkset not). Remembered per header:
    phones send a handful of them, and weighing one (werkzeug matches every type against every wildcard) cost
    ~0.3 ms, a quarter of a kept page's whole answer."""
    parsed = parse_accept_header(accept, MIMEAccept)
    return not _linkset_preferred(parsed) and _html_preferred(parsed)


def _product_url(product: Product) -> str | None:
    return (
        absolute_url(url_for("storefront.product", slug=product.slug)) if is_listable(product, clock.today()) else None
    )


def _origin_url(lot: Lot) -> str:
    return absolute_url(url_for("resolver.origin_page", code=lot.code))


def _lot_item(lot: Lot, anchor: str, product_url: str | None, today) -> Item:
    name = lot.product.name
    page = _origin_url(lot)
    title = f"Nguồn gốc: {name}, lô {lot.lot_number}"
    links = [Link("gs1:defaultLink", page, title, None), Link("gs1:traceability", page, title)]
    if product_url:
        links.append(Link("gs1:pip", product_url, name))
    if lot.product.review_status == "approved" and rating_of(lot.product, today) is not None:
        links.append(Link("gs1:certificationInfo", page + "#ocop", f"Chứng nhận OCOP: {name}"))
    return Item(anchor, tuple(links))


def _product_item(product: Product, anchor: str, product_url: str | None) -> Item | None:
    latest = lots.latest_lot(product.id)
    origin_url = _origin_url(latest) if latest else None
    links = []
    default = product_url or origin_url
    if default is None:
        return None
    links.append(Link("gs1:defaultLink", default, product.name, None))
    if product_url:
        links.append(Link("gs1:pip", product_url, product.name))
    if origin_url:
        links.append(Link("gs1:traceability", origin_url, f"Nguồn gốc: {product.name}"))
    return Item(anchor, tuple(links))


def _lot_answer(lot_id: Callable[[], Select], same_as: str | None = None, extra_query: dict[str, str] | None = None):
    """The stamp's answer: a person's page (the only answer that counts a scan), or the machines' links.

    `lot_id` makes the statement selecting the lot's id: only when it runs (a kept page needs none).
    """
    if _wants_page():
        return _origin_answer(lot_id, same_as, counts=True)
    lot = db.session.scalar(_with_details(select(Lot).where(Lot.id.in_(lot_id()))))
    if lot is None:
        return _unknown()
    anchor = stamp_uri(lot, public_base())
    product_url = _product_url(lot.product)
    items = [_lot_item(lot, anchor, product_url, clock.today())]
    if lot.product.gtin and anchor.startswith(public_base() + "/01/"):
        product_item = _product_item(lot.product, digital_link(public_base(), lot.product.gtin), product_url)
        items += [product_item] if product_item else []
    return _links_answer(items, same_as, extra_query)


@dataclass(frozen=True)
class _OriginEntry:
    """A kept origin page: the lot it shows, the numbers and scan count it was rendered at, the page with its slots."""

    lot_id: int
    revision: tuple[int, int]  # catalogue.traceability.page_revision.current()
    scans: int  # as flushed when rendered: a flush moves the lot's page revision
    page: PageTemplate


def _origin_answer(lot_id: Callable[[], Select], same_as: str | None, counts: bool) -> Response:
    """The lot's origin page, kept like a product page: a hit reads two numbers by primary key and writes nothing.

    `counts`: this view is a stamp's, so it is buffered as a scan. The page shows the scans as last
    flushed, plus this view when it is a new one (its client's first today, not yet written).
    """
    cache = response_cache()
    key = request_key(select_locale(), same_as, "origin") if cache is not None and not session.get("_flashes") else None
    entry = cache.get(key) if key is not None else None
    if entry is not None and page_revision.current(entry.lot_id, _reading_session()) == entry.revision:
        metrics.CACHE.labels("hit").inc()
        shown = entry.scans + _count_scan(entry.lot_id, counts)
        return _private(entry.page.fill(cart_count(), shown))
    if key is not None:
        metrics.CACHE.labels("miss").inc()
    found = db.session.scalar(lot_id())
    state = page_revision.page_state(found, db.session) if found is not None else None
    if state is None:
        return _unknown()
    shown = state.scans + _count_scan(found, counts)
    lot = db.session.scalar(_with_details(select(Lot).where(Lot.id == found)))
    response = _origin_page(lot, state, clock.today())
    response.headers["Link"] = _link_header(stamp_uri(lot, public_base()), same_as)
    template = cut_slots(response)
    if template is None:  # a page the slots cannot be cut from (never expected): filled in place, never kept
        response.set_data(response.get_data().replace(SCAN_COUNT_SLOT.encode(), str(shown).encode()))
        return _private(response)
    if key is not None and shareable(response) and not getattr(response, "per_viewer", False):
        cache.put(key, _OriginEntry(found, state.revision, state.scans, template))
    return _private(template.fill(cart_count(), shown))


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "private, no-store"  # a shopper's token is in it, and each view may count
    return response


def _reading_session():
    """The request's session when it is inside a transaction (so the state is read from its snapshot), else None."""
    current = existing_session()
    return current if current is not None and current.in_transaction() else None


def _count_scan(lot_id: int, counts: bool) -> bool:
    """Buffer a person's GET of the stamp's own URI as a scan (never a bot's, a prefetch's or a HEAD's); True when it
    is a new one (its client's first today that this worker has seen)."""
    if not counts or request.method != "GET":
        return False
    if "prefetch" in (request.headers.get("Sec-Purpose", "") + request.headers.get("Purpose", "")).lower():
        return False
    user_agent = request.headers.get("User-Agent", "")
    if scans.is_bot(user_agent):
        return False
    return scans.record(lot_id, request.remote_addr or "", user_agent, clock.today())


def _origin_page(lot: Lot, state: page_revision.PageState, today) -> Response:
    facts = origin.origin_facts(
        lot, today, current_app.config.get("SHOPEE_SHOP_ID") or os.environ.get("SHOPEE_SHOP_ID")
    )
    per_viewer = not facts.on_sale
    if per_viewer and not reports_visible(lot.product_id, lot.product.producer_id, viewer(), today):
        facts.reports = []  # the lot listing's rule: a withdrawn product's reports are its producer's and the office's
    facts.scans = SCAN_COUNT_SLOT  # filled per view (PageState.scans, plus this view when it counts)
    facts.suspected_copy = state.suspected
    anchor = stamp_uri(lot, public_base())
    response = Response(render_template("storefront/origin.html", facts=facts, stamp=anchor, today=today))
    response.per_viewer = per_viewer  # what it shows depends on who asks: never kept for others
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


def _product_answer(product: Product, anchor: str, same_as: str | None, extra_query: dict[str, str] | None):
    item = _product_item(product, anchor, _product_url(product))
    if item is None:
        return _unknown()
    return _links_answer([item], same_as, extra_query)


def _links_answer(items: list[Item], same_as: str | None, extra_query: dict[str, str] | None):
    """The linkset, or a 307 to the requested link type (404 when the item has none) or to the default link."""
    anchor = items[0].anchor
    if _wants_linkset():
        response = jsonify({"linkset": [_linkset_entry(item) for item in items]})
        response.mimetype = LINKSET
        response.headers["Link"] = (
            _link_header(anchor, same_as) + f', <{LINKSET_CONTEXT}>; rel="http://www.w3.org/ns/json-ld#context"; '
            'type="application/ld+json"; title="GS1 linkset context"'
        )
        return response
    wanted = _requested_link_type()
    rel = origin.link_type_curie(wanted) if wanted else "gs1:defaultLink"  # an unknown type is a 404, not the default
    link = next((found for item in items if rel and (found := item.find(rel))), None)
    if link is None:
        response = _not_found(f"No link of type '{wanted}' for this item.")
    else:
        response = redirect(_passed_on(link.href, extra_query), code=307)
    response.headers["Link"] = _link_header(anchor, same_as)
    return response


def _passed_on(href: str, extra_query: dict[str, str] | None) -> str:
    """The target with the request's key=value pairs (GS1: passed on by default), less the resolver's linkType."""
    pairs = [(key, value) for key, value in request.args.items(multi=True) if key != "linkType"]
    pairs += list((extra_query or {}).items())
    if not pairs:
        return href
    target, _, fragment = href.partition("#")
    target += ("&" if "?" in target else "?") + urlencode(pairs)
    return target + (f"#{fragment}" if fragment else "")


def _linkset_entry(item: Item) -> dict:
    entry: dict = {"anchor": item.anchor}
    for link in item.links:
        target = {"href": link.href, "title": link.title}
        if link.rel != "gs1:defaultLink":  # the default link carries a title and nothing else (GS1)
            target |= {"type": link.media_type, "hreflang": ["vi"]}
        entry.setdefault(origin.GS1_VOC + link.rel.removeprefix("gs1:"), []).append(target)
    return entry


def _link_header(anchor: str, same_as: str | None) -> str:
    header = f'<{anchor}?linkType=linkset>; rel="linkset"; type="{LINKSET}"; title="Linkset"'
    if same_as:
        header += f', <{same_as}>; rel="owl:sameAs"; title="Uncompressed GS1 Digital Link URI"'
    return header


def _not_found(message: str, status: int = 404, malformed: str | None = None) -> Response:
    if not _prefers_html():
        response = jsonify(error_body(status, message))
        response.status_code = status
        return response
    response = Response(render_template("storefront/origin_unknown.html", malformed=malformed), status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _unknown(malformed: str | None = None):
    """400 for a malformed URI, 404 for one that is not ours, said plainly, in the asker's format."""
    if malformed:
        return _not_found(f"Malformed GS1 Digital Link ({malformed}).", 400, malformed)
    return _not_found("No such GS1 Digital Link here.")


@resolver.get("/lots/reports/<int:report_id>")
def report(report_id: int):
    """A lot's report as stored: its checked type, never sniffed, a PDF downloaded rather than run inline.

    The lot listing's rule: anyone while the product is on sale (then a shared cache may keep it),
    else only its producer or the office (portal session or API token), and never a shared cache.
    Reports are private files of the storage: this view (and its check) is the only way to them.
    """
    from pathlib import Path

    from catalogue.storage import FileMissing, storage
    from catalogue.storage.serving import send_stored
    from catalogue.traceability.reports import report_for_download

    found, public = report_for_download(report_id, viewer(), clock.today())
    extension = ".pdf" if found.kind == "pdf" else Path(found.path).suffix
    try:
        stored = storage().open(found.path, private=True)
    except FileMissing:
        from catalogue.errors import NotFound

        raise NotFound(f"The file of report {report_id} is missing.") from None
    response = send_stored(
        stored,
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
    # To the origin page's own address, never the stamp's URI: a shopper browsing is not a scan of the stamp.
    return redirect(_origin_url(latest), code=302)
