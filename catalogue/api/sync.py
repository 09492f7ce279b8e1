"""Routes for marketplace sync jobs (`sync` scope) and listing state for producers (contract §4)."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import RAISE

from catalogue import clock
from catalogue.api.auth import authenticated, require
from catalogue.api.blueprint import ApiBlueprint, refuses
from catalogue.products.schemas import NoArgs
from catalogue.sync import orders, services
from catalogue.sync.schemas import (
    CancelInputSchema,
    ChangesArgs,
    ChangesSchema,
    CursorSchema,
    ListingInputSchema,
    ListingListSchema,
    ListingSchema,
    OrdersCursorSchema,
    SaleInputSchema,
    SaleSchema,
)

sync = ApiBlueprint("sync", __name__, url_prefix="/sync", description="Change feed and cursors for sync jobs.")
listings = ApiBlueprint("listings", __name__, url_prefix="/products", description="Marketplace listings of a product.")
marketplaces = ApiBlueprint("marketplaces", __name__, url_prefix="/marketplaces", description="Marketplace sales.")
blueprints = (sync, listings, marketplaces)


@sync.route("/changes")
class Changes(MethodView):
    @require("sync")
    @sync.arguments(ChangesArgs, location="query", as_kwargs=True, unknown=RAISE)
    @sync.response(200, ChangesSchema)
    def get(self, since: str | None, limit: int):
        """Products changed after `since`, oldest first, archived and unrated ones included."""
        page = services.changes_since(since, limit)
        return {"items": page.items, "next_cursor": page.next_cursor, "has_more": page.has_more}


@sync.route("/cursors/<marketplace>")
class Cursor(MethodView):
    @require("sync")
    @refuses(404)
    @sync.arguments(NoArgs, location="query", unknown=RAISE)
    @sync.response(200, CursorSchema)
    def get(self, _, marketplace: str):
        """Where this marketplace's job resumes."""
        return {"cursor": services.get_cursor(marketplace)}

    @require("sync")
    @refuses(404, 409, described={409: "The cursor is behind the saved one: a cursor never moves back."})
    @sync.arguments(CursorSchema)
    @sync.response(200, CursorSchema)
    def put(self, body, marketplace: str):
        """Move the marketplace's cursor forward (only after its results are recorded); moving it back is a 409."""
        return {"cursor": services.save_cursor(marketplace, body["cursor"])}


@sync.route("/cursors/<marketplace>/orders")
class OrdersCursor(MethodView):
    @require("sync")
    @refuses(404)
    @sync.arguments(NoArgs, location="query", unknown=RAISE)
    @sync.response(200, OrdersCursorSchema)
    def get(self, _, marketplace: str):
        """Where this marketplace's order import resumes (Unix time of order updates)."""
        return {"updated_after": orders.get_orders_cursor(marketplace)}

    @require("sync")
    @refuses(404, 409, described={409: "The cursor is behind the saved one: a cursor never moves back."})
    @sync.arguments(OrdersCursorSchema)
    @sync.response(200, OrdersCursorSchema)
    def put(self, body, marketplace: str):
        """Move the order cursor forward, once every order updated before it was reported."""
        return {"updated_after": orders.save_orders_cursor(marketplace, body["updated_after"])}


@listings.route("/<int:product_id>/listings/<marketplace>")
class ListingState(MethodView):
    @require("sync")
    @refuses(404)
    @listings.arguments(ListingInputSchema)
    @listings.response(200, ListingSchema)
    def put(self, body, product_id: int, marketplace: str):
        """Record what the sync job did: external id, status, synced version, error."""
        return services.record_listing(product_id, marketplace, body, clock.now())


@listings.route("/<int:product_id>/listings")
class ProductListings(MethodView):
    @require()
    @refuses(404)
    @listings.arguments(NoArgs, location="query", unknown=RAISE)
    @listings.response(200, ListingListSchema)
    def get(self, _, product_id: int):
        """A product's listings on every marketplace (its producer, the OCOP office)."""
        return {"items": services.listings_of(authenticated(), product_id)}


@marketplaces.route("/<marketplace>/orders")
class MarketplaceOrders(MethodView):
    @require("sync")
    @refuses(404, 409, described={409: "This external order id was already recorded with other lines."})
    @marketplaces.arguments(SaleInputSchema)
    @marketplaces.response(201, SaleSchema)
    @marketplaces.alt_response(200, schema=SaleSchema, description="The same sale again: the recorded one.")
    def post(self, body, marketplace: str):
        """A sale made on the marketplace takes our stock, once per external order id.

        The same report again answers 200 with the recorded sale; the same id with other lines is a 409.
        """
        sale, created = services.record_marketplace_sale(marketplace, body["external_order_id"], body["lines"])
        return sale, 201 if created else 200


@marketplaces.route("/<marketplace>/orders/<string(maxlength=80):external_order_id>/cancel")
class MarketplaceOrderCancel(MethodView):
    @require("sync")
    @refuses(404)
    @marketplaces.arguments(CancelInputSchema)
    @marketplaces.response(200, SaleSchema)
    def post(self, body, marketplace: str, external_order_id: str):
        """The marketplace cancelled the order: the stock its sale took comes back, once however often reported."""
        sale, _ = orders.cancel_marketplace_sale(marketplace, external_order_id, body["lines"], clock.now())
        return sale
