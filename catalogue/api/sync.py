"""Routes for marketplace sync jobs (`sync` scope) and listing state for producers (contract §4)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from catalogue import clock
from catalogue.api.auth import authenticated, require
from catalogue.sync import services
from catalogue.sync.schemas import (
    ChangesArgs,
    ChangesSchema,
    CursorSchema,
    ListingInputSchema,
    ListingListSchema,
    ListingSchema,
    SaleInputSchema,
    SaleSchema,
)

sync = Blueprint("sync", __name__, url_prefix="/sync", description="Change feed and cursors for sync jobs.")
listings = Blueprint("listings", __name__, url_prefix="/products", description="Marketplace listings of a product.")
marketplaces = Blueprint("marketplaces", __name__, url_prefix="/marketplaces", description="Marketplace sales.")
blueprints = (sync, listings, marketplaces)


@sync.route("/changes")
class Changes(MethodView):
    @sync.arguments(ChangesArgs, location="query", as_kwargs=True, unknown=RAISE)
    @sync.response(200, ChangesSchema)
    @require("sync")
    def get(self, since: str | None, limit: int):
        """Products changed after `since`, oldest first, archived and unrated ones included."""
        page = services.changes_since(since, limit)
        return {"items": page.items, "next_cursor": page.next_cursor, "has_more": page.has_more}


@sync.route("/cursors/<marketplace>")
class Cursor(MethodView):
    @sync.response(200, CursorSchema)
    @require("sync")
    def get(self, marketplace: str):
        """Where this marketplace's job resumes."""
        return {"cursor": services.get_cursor(marketplace)}

    @sync.arguments(CursorSchema)
    @sync.response(200, CursorSchema)
    @require("sync")
    def put(self, body, marketplace: str):
        """Move the marketplace's cursor forward (only after its results are recorded); it never moves back."""
        return {"cursor": services.save_cursor(marketplace, body["cursor"])}


@listings.route("/<int:product_id>/listings/<marketplace>")
class ListingState(MethodView):
    @listings.arguments(ListingInputSchema)
    @listings.response(200, ListingSchema)
    @require("sync")
    def put(self, body, product_id: int, marketplace: str):
        """Record what the sync job did: external id, status, synced version, error."""
        return services.record_listing(product_id, marketplace, body, clock.now())


@listings.route("/<int:product_id>/listings")
class ProductListings(MethodView):
    @listings.response(200, ListingListSchema)
    def get(self, product_id: int):
        """A product's listings on every marketplace (its producer, the OCOP office)."""
        return {"items": services.listings_of(authenticated(), product_id)}


@marketplaces.route("/<marketplace>/orders")
class MarketplaceOrders(MethodView):
    @marketplaces.arguments(SaleInputSchema)
    @marketplaces.response(201, SaleSchema)
    @require("sync")
    def post(self, body, marketplace: str):
        """A sale made on the marketplace takes our stock, once per external order id (200 on a repeat)."""
        sale, created = services.record_marketplace_sale(marketplace, body["external_order_id"], body["lines"])
        return sale, 201 if created else 200
