"""Sync API schemas (contract §4)."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from catalogue import clock
from catalogue.ids import MAX_ID
from catalogue.products.schemas import ProductSchema, UtcDateTime
from catalogue.sync.models import LISTING_STATUSES
from catalogue.sync.services import MAX_FEED_LIMIT, is_listable


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

    def dump_listable(self, product) -> bool:
        return is_listable(product, clock.today())


class ChangesSchema(Schema):
    items = fields.List(fields.Nested(SyncProductSchema))
    next_cursor = fields.String()
    has_more = fields.Boolean()


class CursorSchema(Strict):
    cursor = fields.String(required=True, validate=validate.Length(max=200))


class ListingInputSchema(Strict):
    external_id = fields.String(allow_none=True, validate=validate.Length(max=80))
    status = fields.String(required=True, validate=validate.OneOf(LISTING_STATUSES))
    synced_version = fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=0, max=MAX_ID))
    error = fields.String(allow_none=True, validate=validate.Length(max=2000))


class ListingSchema(Schema):
    marketplace = fields.String()
    external_id = fields.String(allow_none=True)
    status = fields.String()
    synced_version = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    synced_at = UtcDateTime()


class ListingListSchema(Schema):
    items = fields.List(fields.Nested(ListingSchema))


class SaleLineInputSchema(Strict):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=40))
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=10_000))


class SaleInputSchema(Strict):
    external_order_id = fields.String(required=True, validate=validate.Length(min=1, max=80))
    lines = fields.List(fields.Nested(SaleLineInputSchema), required=True, validate=validate.Length(min=1, max=100))


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
