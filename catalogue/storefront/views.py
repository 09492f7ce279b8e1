"""The storefront: server-rendered pages over the same services as the API."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from marshmallow import EXCLUDE, ValidationError

from catalogue import clock, fragments
from catalogue.caching import first_state
from catalogue.cart import services as cart_services
from catalogue.errors import DomainError, NotFound
from catalogue.extensions import csrf
from catalogue.payments.port import origin_of
from catalogue.producers import services as producer_services
from catalogue.products import services as product_services
from catalogue.products.schemas import ProductQueryArgs
from catalogue.products.services import PRODUCT_QUERY_FIELDS, ProductQuery
from catalogue.redirects import local_path
from catalogue.storefront.caching import cacheable
from catalogue.storefront.forms import AddToCartForm, CartLineForm, LanguageForm
from catalogue.storefront.product_page import product_page
from catalogue.text import search_words
from catalogue.urls import public_base

storefront = Blueprint("storefront", __name__)

LANGUAGES = ("vi", "en")
PER_PAGE = 24


def product_query_from(args, **fixed) -> tuple[ProductQuery, list[str]]:
    """Parse listing filters leniently: invalid values are dropped and named, not fatal."""
    raw = {key: value for key, value in args.items() if value.strip() and key != "stars"}
    if args.getlist("stars"):
        raw["stars"] = args.getlist("stars")
    raw.update(fixed)
    schema = ProductQueryArgs(unknown=EXCLUDE)
    dropped: list[str] = []
    while True:
        try:
            data = schema.load(raw)
            break
        except ValidationError as error:
            invalid = [name for name in error.messages if name in raw]
            if not invalid:
                raise
            dropped += invalid
            for name in invalid:
                raw.pop(name)
    if "per_page" not in raw:  # the storefront's own page size, not the API's default
        data["per_page"] = PER_PAGE
    return ProductQuery.from_arguments(data), dropped


def listing_url(query: ProductQuery, fixed: tuple[str, ...] = (), **changes) -> str:
    """This page's URL with `changes` applied to its filters (the page resets unless given)."""
    query = replace(query, **{"page": 1, **changes})
    params: list[tuple[str, object]] = []
    for name in ("q", "category", "locality", "producer", "min_price", "max_price", "in_stock"):
        value = getattr(query, name)
        if name in fixed:
            continue
        if value is not None and value != "":
            params.append((name, str(value).lower() if isinstance(value, bool) else value))
    params += [("stars", stars) for stars in query.stars]
    if query.sort != "relevance":
        params.append(("sort", query.sort))
    if query.page > 1:
        params.append(("page", query.page))
    base = url_for(request.endpoint, **(request.view_args or {}))
    return base + ("?" + urlencode(params) if params else "")


@storefront.get("/")
@cacheable
def home():
    """Home: five- and four-star highlights, browse by group and by locality."""
    today = clock.today()
    return render_template(
        "storefront/home.html",
        five_stars=fragments.list_products(ProductQuery(stars=(5,), per_page=8), today).items,
        four_stars=fragments.list_products(ProductQuery(stars=(4,), sort="newest", per_page=8), today).items,
        facets=fragments.facets(ProductQuery(), today),
    )


@storefront.get("/products")
@cacheable
def products():
    """Listing with search, facets, sort and pagination."""
    query, dropped = product_query_from(request.args)
    return _render_listing(query, dropped, "storefront/listing.html")


@storefront.get("/products/<slug>")
@cacheable(watch_slug=True)
def product(slug: str):
    """Product page."""
    today = clock.today()
    return product_page(slug, today, lambda: product_services.get_product_by_slug(slug, today))


@storefront.get("/producers/<slug>")
@cacheable
def producer(slug: str):
    """Producer page with its products on sale."""
    found, count = producer_services.get_producer(slug, clock.today())
    query, dropped = product_query_from(request.args, producer=found.slug)
    return _render_listing(
        query, dropped, "storefront/producer.html", fixed=("producer",), producer=found, product_count=count
    )


@storefront.get("/localities/<code>")
@cacheable
def locality(code: str):
    """Locality page: products from one of Quảng Ninh's localities."""
    localities = {item.code: item for item, _ in product_services.list_localities(clock.today())}
    if code not in localities:
        raise NotFound(f"No locality '{code}'.")
    query, dropped = product_query_from(request.args, locality=code)
    return _render_listing(query, dropped, "storefront/locality.html", fixed=("locality",), locality=localities[code])


def filter_names(names: list[str]) -> list[str]:
    """The dropped filters as a shopper calls them (never the query's parameter names), each once."""
    words = {
        "q": gettext("từ khoá tìm kiếm"),
        "stars": gettext("số sao OCOP"),
        "category": gettext("bộ sản phẩm"),
        "group": gettext("nhóm sản phẩm"),
        "locality": gettext("địa phương"),
        "producer": gettext("chủ thể OCOP"),
        "min_price": gettext("giá từ"),
        "max_price": gettext("giá đến"),
        "in_stock": gettext("còn hàng"),
        "sort": gettext("cách sắp xếp"),
        "page": gettext("số trang"),
        "per_page": gettext("số sản phẩm mỗi trang"),
    }
    return list(dict.fromkeys(words.get(name, gettext("một bộ lọc khác")) for name in names))


def _render_listing(query: ProductQuery, dropped: list[str], template: str, fixed: tuple[str, ...] = (), **context):
    today = clock.today()
    try:
        page = fragments.list_products(query, today)
        facets = fragments.facets(query, today)
    except DomainError as error:  # an unknown code in a filter: show the catalogue without it
        dropped.extend(error.errors)
        query = replace(query, **{name: None for name in error.errors if name in PRODUCT_QUERY_FIELDS})
        page = fragments.list_products(query, today)
        facets = fragments.facets(query, today)
    last_page = max(1, -(-page.total // query.per_page))
    return render_template(
        template,
        query=query,
        page=page,
        facets=facets,
        dropped=filter_names(dropped),
        last_page=last_page,
        unsearchable=bool(query.q and query.q.strip() and not search_words(query.q)),
        listing_url=lambda **changes: listing_url(query, fixed, **changes),
        fixed_filters=fixed,
        **context,
    )


def _cart() -> dict[int, int]:
    return {int(product_id): quantity for product_id, quantity in session.get("cart", {}).items()}


def _store_cart(cart: dict[int, int]) -> None:
    session["cart"] = {str(product_id): quantity for product_id, quantity in cart.items()}
    session.permanent = True


def _flash_notices(notices) -> None:
    from catalogue.storefront.messages import notice_text

    for notice in notices:
        flash(notice_text(notice), "warning")


@storefront.get("/cart")
def cart():
    """Cart: lines, quantities, totals in VND."""
    priced, kept = cart_services.price_cart(_cart(), clock.today())
    if kept != _cart():
        _store_cart(kept)
        _flash_notices(priced.notices)
    return _cart_page(priced)


def _cart_page(priced, refused: CartLineForm | None = None) -> str:
    """The cart; a refused line form is shown as the buyer sent it, its message beside the quantity."""
    forms = {line.product.id: CartLineForm(product_id=line.product.id, quantity=line.quantity) for line in priced.lines}
    if refused is not None and refused.product_id.data in forms:
        forms[refused.product_id.data] = refused
    return render_template("storefront/cart.html", cart=priced, forms=forms)


@storefront.post("/cart/add")
def cart_add():
    """Add a product to the cart (form post; works without JavaScript)."""
    form = AddToCartForm()
    if not form.validate():
        return _refused_add(form)
    try:
        updated, notices = cart_services.add_item(_cart(), form.product_id.data, form.quantity.data, clock.today())
    except NotFound:
        abort(404, description=gettext("Sản phẩm này không còn được bán."))
    _store_cart(updated)
    _flash_notices(notices)
    if not notices:
        flash(gettext("Đã thêm vào giỏ hàng."), "success")
    return redirect(url_for("storefront.cart"), code=303)


@storefront.post("/cart/update")
def cart_update():
    """Change a line's quantity; 0 (or the remove button) removes it."""
    form = CartLineForm()
    if not form.validate():
        return _cart_page(cart_services.price_cart(_cart(), clock.today())[0], form), 422
    quantity = 0 if form.remove.data else form.quantity.data
    try:
        updated, notices = cart_services.set_quantity(_cart(), form.product_id.data, quantity, clock.today())
    except NotFound:
        updated, notices = {k: v for k, v in _cart().items() if k != form.product_id.data}, []
    _store_cart(updated)
    _flash_notices(notices)
    return redirect(url_for("storefront.cart"), code=303)


def _refused_add(form: AddToCartForm):
    """The product page again, the buyer's quantity and its message beside it (422)."""
    if form.product_id.errors:
        abort(404, description=gettext("Sản phẩm này không còn được bán."))
    first_state()  # the revision the page's kept parts are keyed by: read before the product is loaded
    try:
        found = product_services.get_product(form.product_id.data, clock.today())
    except NotFound:
        abort(404, description=gettext("Sản phẩm này không còn được bán."))
    return product_page(found.slug, clock.today(), lambda: found, refused=form), 422


@storefront.post("/language")
@csrf.exempt  # checked below: a token is not needed from a browser that says where the form was posted from
def language():
    """Switch between Vietnamese and English; remembered in the session.

    The form is on every page, so a token in it would make every page, even a stamp's origin page opened once,
    start a session and sign a token and a cookie (a quarter of a kept page's cost). Instead, the browser's own
    word that the post comes from one of this shop's pages (Fetch Metadata, or failing that Origin: every
    current browser sends one or the other on a form post) stands for the token, as Go's CrossOriginProtection
    does. A post without either header still needs a valid token: another site can make it neither way.
    """
    if not _posted_from_this_site():
        csrf.protect()  # CSRFError: the shop's "session expired" page, nothing changed
    form = LanguageForm()
    if form.validate():
        session["lang"] = form.lang.data
        session.permanent = True
    return redirect(local_path(request.form.get("next")), code=303)


def _posted_from_this_site() -> bool:
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    try:
        return origin_of(request.headers.get("Origin", "")) == origin_of(public_base())
    except ValueError:  # no Origin, or an opaque one ("null")
        return False
