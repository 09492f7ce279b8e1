"""Public read routes: products, producers, categories, localities."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from catalogue import clock
from catalogue.caching import cached_json
from catalogue.producers import services as producer_services
from catalogue.products import services as product_services
from catalogue.products.schemas import (
    CategoryListSchema,
    LocalityListSchema,
    ProducerListSchema,
    ProducerQueryArgs,
    ProducerSchema,
    ProductListSchema,
    ProductQueryArgs,
    ProductSchema,
)
from catalogue.products.services import ProductQuery

products = Blueprint("products", __name__, url_prefix="/products", description="OCOP products on sale.")
producers = Blueprint("producers", __name__, url_prefix="/producers", description="OCOP producers.")
reference = Blueprint("reference", __name__, url_prefix="", description="OCOP groups, product sets, localities.")
blueprints = (products, producers, reference)


def _with_count(row):
    entity, count = row
    entity.product_count = count
    return entity


def _listing(items, total: int, page: int, per_page: int) -> dict:
    return {"items": items, "total": total, "page": page, "per_page": per_page}


@products.route("")
class Products(MethodView):
    @cached_json
    @products.arguments(ProductQueryArgs, location="query", as_kwargs=True, unknown=RAISE)
    @products.response(200, ProductListSchema)
    def get(self, **arguments):
        """List products on sale, with search, filters, sort and pagination."""
        query = ProductQuery.from_arguments(arguments)
        page = product_services.list_products(query, clock.today())
        return _listing(page.items, page.total, page.page, page.per_page)


@products.route("/<int:product_id>")
class ProductById(MethodView):
    @cached_json
    @products.etag
    @products.response(200, ProductSchema)
    def get(self, product_id: int):
        """One product on sale."""
        product = product_services.get_product(product_id, clock.today())
        products.set_etag({"id": product.id, "version": product.version})
        return product


@producers.route("")
class Producers(MethodView):
    @cached_json
    @producers.arguments(ProducerQueryArgs, location="query", as_kwargs=True, unknown=RAISE)
    @producers.response(200, ProducerListSchema)
    def get(self, page: int, per_page: int, locality: str | None = None):
        """Producers with their locality and number of products on sale."""
        result = producer_services.list_producers(clock.today(), locality, page, per_page)
        return _listing([_with_count(row) for row in result.items], result.total, page, per_page)


@producers.route("/<producer_id>")
class ProducerById(MethodView):
    @cached_json
    @producers.response(200, ProducerSchema)
    def get(self, producer_id: str):
        """One producer, by id or slug."""
        return _with_count(producer_services.get_producer(producer_id, clock.today()))


@reference.route("/categories")
class Categories(MethodView):
    @cached_json
    @reference.response(200, CategoryListSchema)
    def get(self):
        """OCOP product sets with their group and number of products on sale."""
        rows = [_with_count(row) for row in product_services.list_categories(clock.today())]
        return _listing(rows, len(rows), 1, max(len(rows), 1))


@reference.route("/localities")
class Localities(MethodView):
    @cached_json
    @reference.response(200, LocalityListSchema)
    def get(self):
        """Quảng Ninh's 13 localities with their number of products on sale."""
        rows = [_with_count(row) for row in product_services.list_localities(clock.today())]
        return _listing(rows, len(rows), 1, max(len(rows), 1))
