"""Public read routes: products, producers, categories, localities."""

from __future__ import annotations

from functools import wraps

from flask import Response, current_app
from flask.views import MethodView
from marshmallow import RAISE

from catalogue import clock, fragments
from catalogue.api.auth import authenticated, bearer_token, current_principal
from catalogue.api.blueprint import ApiBlueprint, refuses, secured
from catalogue.caching import PRODUCT, PRODUCTS, cached_json
from catalogue.errors import NotFound
from catalogue.producers import services as producer_services
from catalogue.products import services as product_services
from catalogue.products.schemas import (
    ApiProductQueryArgs,
    CategoryListSchema,
    LocalityListSchema,
    NoArgs,
    ProducerListSchema,
    ProducerQueryArgs,
    ProducerSchema,
    ProductListSchema,
    ProductSchema,
)
from catalogue.products.services import ProductQuery

products = ApiBlueprint("products", __name__, url_prefix="/products", description="OCOP products on sale.")
producers = ApiBlueprint("producers", __name__, url_prefix="/producers", description="OCOP producers.")
reference = ApiBlueprint("reference", __name__, url_prefix="", description="OCOP groups, product sets, localities.")
blueprints = (products, producers, reference)


# Schema instances, not classes: given a class, webargs builds a new schema (its fields deep-copied) on every
# request, about a fifth of a cold list's time in our code. They keep no state between loads.
_ApiProductQueryArgs, _NoArgs, _ProducerQueryArgs = ApiProductQueryArgs(), NoArgs(), ProducerQueryArgs()


def _with_count(row):
    entity, count = row
    entity.product_count = count
    return entity


def cached_for_anonymous(shows: str):
    """`cached_json` for anonymous reads; a caller with a token may see its own drafts, which are never shared."""
    return lambda view: _cached_for_anonymous(view, shows)


def _cached_for_anonymous(view, shows: str):
    cached = cached_json(view, shows=shows)

    @wraps(view)
    def wrapper(*args, **kwargs):
        return view(*args, **kwargs) if bearer_token() else cached(*args, **kwargs)

    return secured(wrapper, optional=True)


def _listing(items, total: int, page: int, per_page: int) -> dict:
    return {"items": items, "total": total, "page": page, "per_page": per_page}


@products.route("")
class Products(MethodView):
    @cached_for_anonymous(PRODUCTS)
    @refuses(401, 403, described={401: "`mine=true` without a valid token.", 403: "`mine=true`, no producer's token."})
    @products.arguments(_ApiProductQueryArgs, location="query", as_kwargs=True, unknown=RAISE)
    @products.response(200, ProductListSchema)
    def get(self, mine: bool = False, **arguments):
        """List products on sale, with search, filters, sort and pagination.

        `mine=true` (with a token) lists the caller's own products instead, in every status.
        """
        query = ProductQuery.from_arguments(arguments)
        if mine:
            page = product_services.list_own_products(authenticated(), query)
            return _listing(page.items, page.total, page.page, page.per_page)
        today = clock.today()
        ids = fragments.product_ids(query, today)
        # Each product's JSON is dumped once per version (catalogue/fragments.py).
        envelope = _LIST_SCHEMA.dump(_listing([], ids.total, ids.page, ids.per_page))
        assembled = fragments.listing_response(ids.items, envelope, today, lambda missing: _dumped(missing, today))
        if assembled is not None:
            return assembled
        items = [product for product in product_services.products_by_ids(ids.items, today).values()]
        by_id = {product.id: product for product in items}
        return _listing([by_id[i] for i in ids.items if i in by_id], ids.total, ids.page, ids.per_page)


def _dumped(product_ids: list[int], today):
    """(product, its JSON dict) for each of `product_ids` still listed."""
    found = product_services.products_by_ids(product_ids, today)
    return [(product, _PRODUCT_SCHEMA.dump(product)) for product in found.values()]


_PRODUCT_SCHEMA, _LIST_SCHEMA = ProductSchema(), ProductListSchema()


@products.route("/<int:product_id>")
class ProductById(MethodView):
    @cached_for_anonymous(PRODUCT)
    @refuses(404)
    @products.etag
    @products.arguments(_NoArgs, location="query", unknown=RAISE)
    @products.response(200, ProductSchema)
    def get(self, _, product_id: int):
        """One product on sale; with its producer's (or the office's) token, also a draft or one off sale."""
        today = clock.today()
        kept = fragments.kept_product(product_id, today)  # the JSON a list or a detail dumped at this version
        if kept is not None:
            body, version = kept
            products.set_etag({"id": product_id, "version": version})
            return Response(body, mimetype=current_app.json.mimetype)
        try:
            product = product_services.get_product(product_id, today)
        except NotFound:
            principal = current_principal()
            if principal is None:
                raise
            product = product_services.get_own_product(principal, product_id)
            products.set_etag({"id": product.id, "version": product.version})
            return product
        products.set_etag({"id": product.id, "version": product.version})
        return Response(
            fragments.keep_product(product, _PRODUCT_SCHEMA.dump(product), today), mimetype=current_app.json.mimetype
        )


@producers.route("")
class Producers(MethodView):
    @cached_json
    @producers.arguments(_ProducerQueryArgs, location="query", as_kwargs=True, unknown=RAISE)
    @producers.response(200, ProducerListSchema)
    def get(self, page: int, per_page: int, locality: str | None = None):
        """Producers with their locality and number of products on sale."""
        result = producer_services.list_producers(clock.today(), locality, page, per_page)
        return _listing([_with_count(row) for row in result.items], result.total, page, per_page)


@producers.route("/<producer_id>")
class ProducerById(MethodView):
    @cached_json
    @refuses(404)
    @producers.arguments(_NoArgs, location="query", unknown=RAISE)
    @producers.response(200, ProducerSchema)
    def get(self, _, producer_id: str):
        """One producer, by id or slug."""
        return _with_count(producer_services.get_producer(producer_id, clock.today()))


@reference.route("/categories")
class Categories(MethodView):
    @cached_json
    @reference.arguments(_NoArgs, location="query", unknown=RAISE)
    @reference.response(200, CategoryListSchema)
    def get(self, _):
        """OCOP product sets with their group and number of products on sale."""
        rows = [_with_count(row) for row in product_services.list_categories(clock.today())]
        return _listing(rows, len(rows), 1, max(len(rows), 1))


@reference.route("/localities")
class Localities(MethodView):
    @cached_json
    @reference.arguments(_NoArgs, location="query", unknown=RAISE)
    @reference.response(200, LocalityListSchema)
    def get(self, _):
        """Quảng Ninh's 13 localities with their number of products on sale."""
        rows = [_with_count(row) for row in product_services.list_localities(clock.today())]
        return _listing(rows, len(rows), 1, max(len(rows), 1))
