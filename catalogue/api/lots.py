"""Lots of a product: anyone reads those of a product on sale; its producer (or the office) keeps them."""

from __future__ import annotations

from flask.views import MethodView
from flask_babel import force_locale
from marshmallow import RAISE

from catalogue import clock
from catalogue.api.auth import authenticated, current_principal, require
from catalogue.api.blueprint import ApiBlueprint, refuses, secured, some_change
from catalogue.errors import NotFound, PermissionDenied
from catalogue.products import services as product_services
from catalogue.traceability import services as lots
from catalogue.traceability.schemas import LotCreateSchema, LotInputSchema, LotListArgs, LotListSchema, LotSchema

lot_routes = ApiBlueprint("lots", __name__, url_prefix="/products", description="Production lots and their stamps.")
blueprints = (lot_routes,)


def _anyone(view):
    return secured(view, optional=True)


def _page(items: list, page: int, per_page: int) -> dict:
    """The list envelope the rest of the API answers (catalogue/api/catalogue.py `_listing`)."""
    start = (page - 1) * per_page
    return {"items": items[start : start + per_page], "total": len(items), "page": page, "per_page": per_page}


@lot_routes.route("/<int:product_id>/lots")
class ProductLots(MethodView):
    @_anyone
    @refuses(404)
    @lot_routes.arguments(LotListArgs, location="query", unknown=RAISE)
    @lot_routes.response(200, LotListSchema)
    def get(self, paging, product_id: int):
        """The product's lots, newest first: public for a product on sale, else for its producer or the office."""
        return _page(self._lots(product_id), paging["page"], paging["per_page"])

    @staticmethod
    def _lots(product_id: int) -> list:
        try:
            product_services.get_product(product_id, clock.today())
        except NotFound:
            principal = current_principal()
            if principal is None:
                raise
            try:
                return lots.lots_of(principal, product_id)
            except PermissionDenied:
                raise NotFound(f"No product {product_id}.") from None
        return lots.public_lots(product_id)

    @require("catalogue:write")
    @refuses(404, 422)
    @lot_routes.arguments(LotCreateSchema)
    @lot_routes.response(201, LotSchema)
    def post(self, values, product_id: int):
        """Record a lot of the product (its producer, or the office)."""
        with force_locale("en"):  # the services word errors for the portal (Vietnamese); the API answers English
            return lots.create_lot(authenticated(), product_id, values, clock.today()), 201


@lot_routes.route("/<int:product_id>/lots/<int:lot_id>")
class ProductLot(MethodView):
    @require("catalogue:write")
    @refuses(404, 422)
    @lot_routes.arguments(LotInputSchema)
    @lot_routes.response(200, LotSchema)
    def patch(self, values, product_id: int, lot_id: int):
        """Change some of a lot's fields (its stamp code never changes)."""
        with force_locale("en"):
            return lots.update_lot(authenticated(), lot_id, some_change(values), clock.today(), product_id)
