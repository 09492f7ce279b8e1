"""Sync API schemas (contract §4)."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from catalogue import clock
from catalogue.ids import MAX_ID
from catalogue.products.schemas import ProductSchema, UtcDateTime
from catalogue.sync.models import LISTING_STATUSES, MARKETPLACES, channel_stock
from catalogue.sync.services import MAX_FEED_LIMIT, buffers_of, is_listable


class Strict(Schema):
    class Meta:
        unknown = RAISE


class ChangesArgs(Strict):
    since = fields.String(load_default=None, validate=validate.Length(max=200))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=MAX_FEED_LIMIT))


class SyncProductSchema(ProductSchema):
    """A product as sync jobs see it: what the storefront shows, plus whether it may be listed at all."""

    category_code = fields.Function(lambda product: product.category.code)
    listable = fields.Method("dump_listable", metadata={"description": "Active and rated today: keep it listed."})

    listings = fields.Method(
        "dump_listings",
        metadata={"description": "Each marketplace's listing record, by marketplace: what workers decide from."},
    )

    channel_stock = fields.Method(
        "dump_channel_stock",
        metadata={
            "description": "What each marketplace's listing shows of the one stock: stock less the producer's "
            "buffer for that marketplace, never below 0 (the shop sells down to 0)."
        },
    )

    def dump_channel_stock(self, product) -> dict:
        buffers = buffers_of(product)
        return {marketplace: channel_stock(product.stock, buffers, marketplace) for marketplace in MARKETPLACES}

    def dump_listable(self, product) -> bool:
        return is_listable(product, clock.today())

    def dump_listings(self, product) -> dict:
        return {listing.marketplace: ListingSchema().dump(listing) for listing in product.marketplace_listings}


class ChangesSchema(Schema):
    items = fields.List(fields.Nested(SyncProductSchema))
    next_cursor = fields.String()
    has_more = fields.Boolean()


class CursorSchema(Strict):
    cursor = fields.String(required=True, validate=validate.Length(max=200))


class PushedSchema(Strict):
    """What the marketplace was sent: price, stock and a fingerprint of the other fields (name, images…)."""

    price_vnd = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=10**12))
    stock = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=10**9))
    content = fields.String(required=True, validate=validate.Length(min=1, max=64))


class ListingInputSchema(Strict):
    external_id = fields.String(allow_none=True, validate=validate.Length(max=80))
    status = fields.String(required=True, validate=validate.OneOf(LISTING_STATUSES))
    synced_version = fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=0, max=MAX_ID))
    error = fields.String(allow_none=True, validate=validate.Length(max=2000))
    pushed = fields.Nested(
        PushedSchema,
        allow_none=True,
        metadata={"description": "What was pushed; null: nothing is there; absent: unchanged since the last record."},
    )


class ListingSchema(Schema):
    marketplace = fields.String()
    external_id = fields.String(allow_none=True)
    status = fields.String()
    synced_version = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    synced_at = UtcDateTime()
    pushed = fields.Nested(PushedSchema, allow_none=True)


class ListingListSchema(Schema):
    items = fields.List(fields.Nested(ListingSchema))


class SaleLineInputSchema(Strict):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=40))
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=10_000))


class SaleInputSchema(Strict):
    external_order_id = fields.String(required=True, validate=validate.Length(min=1, max=80))
    lines = fields.List(fields.Nested(SaleLineInputSchema), required=True, validate=validate.Length(min=1, max=100))


class OrdersCursorSchema(Strict):
    updated_after = fields.Integer(
        required=True,
        strict=True,
        allow_none=True,
        validate=validate.Range(min=0, max=2**40),
        metadata={"description": "Unix time: every order updated before it was reported (null: never)."},
    )


class CancelInputSchema(Strict):
    lines = fields.List(
        fields.Nested(SaleLineInputSchema),
        load_default=list,
        validate=validate.Length(max=100),
        metadata={"description": "The order's lines, recorded when the order was never reported before."},
    )


class SaleLineSchema(Schema):
    sku = fields.String()
    quantity = fields.Integer()
    stock_taken = fields.Boolean()
    problem = fields.String(allow_none=True)


class SaleSchema(Schema):
    id = fields.Integer()
    marketplace = fields.String()
    external_order_id = fields.String()
    flagged = fields.Boolean()
    lines = fields.List(fields.Nested(SaleLineSchema))
    created_at = UtcDateTime()
    cancelled_at = UtcDateTime(allow_none=True)
