"""Product writes (contract §4): producers their own products, the OCOP office any.

The checks on who may change what live in catalogue.products.editing; this layer
only authenticates, parses and answers, with the product's ETag.
"""

from __future__ import annotations

from functools import wraps

from flask import abort, request
from flask.views import MethodView
from flask_smorest import Blueprint

from catalogue import clock
from catalogue.api.auth import authenticated, require
from catalogue.api.blueprint import REFUSALS, ApiBlueprint, refuses, some_change
from catalogue.products import editing
from catalogue.products.input_schemas import ProductCreateSchema, ProductInputSchema
from catalogue.products.schemas import ProductSchema

product_writes = ApiBlueprint(
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


def if_match_required(view):
    """Decorator: a 428 without If-Match, so no write overwrites a change its client never saw (RFC 6585).

    `If-Match: *` is the explicit "whatever is there" of RFC 9110. Put it below `require`
    (who is asking comes first) and above the arguments (a stale client learns it before
    its body is validated).
    """

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not request.headers.get("If-Match"):
            abort(428, description=REFUSALS[428].replace("`", ""))
        return view(*args, **kwargs)

    return refuses(404, 412, 428)(wrapper)


REQUIRED_IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": True,
    "description": "The product's ETag, from GET /products/{id} or the last write; `*` overwrites whatever is there.",
    "schema": {"type": "string"},
}
OPTIONAL_IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": "The product's ETag: archive only if nobody changed it since (a mismatch is a 412).",
    "schema": {"type": "string"},
}


def _answer(product, status: int):
    """The product (dumped by the route's schema) with its new ETag."""
    return product, status, {"ETag": f'"{product_etag(product)}"'}


@product_writes.route("")
class ProductCreation(MethodView):
    @require("catalogue:write")
    @product_writes.arguments(ProductCreateSchema)
    @product_writes.response(201, ProductSchema, headers={"ETag": "ETAG"})
    def post(self, values):
        """Create a product (a draft unless `status` is given); producers for their own producer only."""
        product = editing.create_product(authenticated(), values, clock.today())
        return _answer(product, 201)


@product_writes.route("/<int:product_id>")
class ProductChange(MethodView):
    @require("catalogue:write")
    @if_match_required
    @product_writes.doc(parameters=[REQUIRED_IF_MATCH])
    @product_writes.arguments(ProductInputSchema)
    @product_writes.response(200, ProductSchema, headers={"ETag": "ETAG"})
    def patch(self, values, product_id: int):
        """Change some fields; send `If-Match` with the ETag you read (`*` to overwrite whatever is there)."""
        principal = authenticated()
        product = editing.update_product(principal, product_id, some_change(values), _expected_version(product_id))
        return _answer(product, 200)

    @require("catalogue:write")
    @refuses(404, 412)
    @product_writes.doc(parameters=[OPTIONAL_IF_MATCH])
    @product_writes.response(200, ProductSchema, headers={"ETag": "ETAG"})
    def delete(self, product_id: int):
        """Archive the product (orders keep referring to it; it is never deleted)."""
        product = editing.archive_product(authenticated(), product_id, _expected_version(product_id))
        return _answer(product, 200)
