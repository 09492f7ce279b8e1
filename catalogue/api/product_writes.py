"""Product writes (contract §4): producers their own products, the OCOP office any.

The checks on who may change what live in catalogue.products.editing; this layer
only authenticates, parses and answers, with the product's ETag.
"""

from __future__ import annotations

from flask import abort, request
from flask.views import MethodView
from flask_smorest import Blueprint

from catalogue import clock
from catalogue.api.auth import authenticated
from catalogue.products import editing
from catalogue.products.input_schemas import ProductCreateSchema, ProductInputSchema
from catalogue.products.schemas import ProductSchema

product_writes = Blueprint(
    "product_writes",
    __name__,
    url_prefix="/products",
    description="Create and change products (producers, the OCOP office).",
)
blueprints = (product_writes,)


def product_etag(product) -> str:
    """The same strong ETag `GET /products/{id}` sends (flask-smorest's, over id and version)."""
    return Blueprint._generate_etag({"id": product.id, "version": product.version})


def _expected_version(product_id: int) -> int | None:
    """Turn If-Match into the version the caller last saw; None when the header is absent."""
    if not request.if_match:
        return None
    product = editing.editable_product(authenticated(), product_id)
    if request.if_match.contains(product_etag(product)) or request.if_match.star_tag:
        return product.version
    abort(412, description="The product changed since you read it (If-Match does not match); read it again.")


def _answer(product, status: int):
    """The product (dumped by the route's schema) with its new ETag."""
    return product, status, {"ETag": f'"{product_etag(product)}"'}


@product_writes.route("")
class ProductCreation(MethodView):
    @product_writes.arguments(ProductCreateSchema)
    @product_writes.response(201, ProductSchema)
    def post(self, values):
        """Create a product (a draft unless `status` is given); producers for their own producer only."""
        product = editing.create_product(authenticated(), values, clock.today())
        return _answer(product, 201)


@product_writes.route("/<int:product_id>")
class ProductChange(MethodView):
    @product_writes.arguments(ProductInputSchema)
    @product_writes.response(200, ProductSchema)
    @product_writes.alt_response(412, description="If-Match does not match the product's ETag.")
    def patch(self, values, product_id: int):
        """Change some fields; send If-Match with the ETag you read to avoid overwriting someone's change."""
        principal = authenticated()
        product = editing.update_product(principal, product_id, values, _expected_version(product_id))
        return _answer(product, 200)

    @product_writes.response(200, ProductSchema)
    def delete(self, product_id: int):
        """Archive the product (orders keep referring to it; it is never deleted)."""
        product = editing.archive_product(authenticated(), product_id, _expected_version(product_id))
        return _answer(product, 200)
