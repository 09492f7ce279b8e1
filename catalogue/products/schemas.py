"""Marshmallow schemas: query arguments in, catalogue answers out."""

from __future__ import annotations

from datetime import UTC, datetime

from marshmallow import RAISE, Schema, fields, validate

from catalogue import clock
from catalogue.fields import printable
from catalogue.models_base import as_utc
from catalogue.products.renditions import raster_path
from catalogue.products.services import SORTS
from catalogue.urls import media_url, product_url

MAX_PRICE_VND = 10**12


def _code(max_length: int = 200) -> fields.String:
    return fields.String(validate=[validate.Length(min=1, max=max_length), printable])


class NoArgs(Schema):
    """The query of a route that takes no parameters: any one is a 422 naming it (README)."""

    class Meta:
        unknown = RAISE


class PaginationArgs(Schema):
    """`page` from 1; `per_page` from 1 to 100."""

    class Meta:
        unknown = RAISE

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class ProductQueryArgs(PaginationArgs):
    """Filters, search and sort of `GET /products` (contract §4)."""

    q = fields.String(
        validate=[validate.Length(max=200, error="Must be at most {max} characters."), printable],
        metadata={"description": "Accent-insensitive search: 'mien dong binh lieu'."},
    )
    stars = fields.List(
        fields.Integer(validate=validate.Range(min=3, max=5, error="Must be 3, 4 or 5.")),
        validate=validate.Length(max=3),
        metadata={"description": "Repeatable: stars=4&stars=5."},
    )
    category = _code(60)
    locality = _code(40)
    producer = _code(200)
    min_price = fields.Integer(validate=validate.Range(min=0, max=MAX_PRICE_VND))
    max_price = fields.Integer(validate=validate.Range(min=0, max=MAX_PRICE_VND))
    in_stock = fields.Boolean()
    sort = fields.String(
        load_default="relevance",
        validate=validate.OneOf(SORTS, error="Must be one of: {choices}."),
    )


class ApiProductQueryArgs(ProductQueryArgs):
    """`GET /api/v1/products`: the shop's filters, and `mine` for a producer's own listings."""

    mine = fields.Boolean(
        metadata={"description": "With a token: the caller's own products, in every status, instead of the shop's."}
    )


class ProducerQueryArgs(PaginationArgs):
    """Filters of `GET /producers`."""

    locality = _code(40)


class UtcDateTime(fields.DateTime):
    """ISO 8601 in UTC with a Z, treating SQLite's naive values as UTC."""

    def _serialize(self, value: datetime | None, attr, obj, **kwargs):
        if value is None:
            return None
        return as_utc(value).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class LocalityRefSchema(Schema):
    code = fields.String()
    name = fields.String()


class LocalitySchema(LocalityRefSchema):
    kind = fields.String()
    product_count = fields.Integer()


class GroupSchema(Schema):
    code = fields.String()
    name = fields.String()


class CategoryRefSchema(Schema):
    code = fields.String()
    name = fields.String()
    group = fields.Function(lambda category: category.group.name)


class CategorySchema(Schema):
    code = fields.String()
    name = fields.String()
    group = fields.Nested(GroupSchema)
    product_count = fields.Integer()


class ProducerRefSchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    name = fields.String()


class ProducerSchema(ProducerRefSchema):
    legal_form = fields.String()
    locality = fields.Nested(LocalityRefSchema)
    address = fields.String()
    phone = fields.String()
    email = fields.String()
    story = fields.String()
    product_count = fields.Integer()


class OcopSchema(Schema):
    stars = fields.Integer()
    certificate_no = fields.String()
    issuing_level = fields.String()
    issued_on = fields.Date()
    expires_on = fields.Date()


class ImageSchema(Schema):
    url = fields.Function(lambda image: media_url(image.path))
    raster_url = fields.Function(
        lambda image: media_url(raster_path(image.path)),
        metadata={"description": "The same picture as JPEG or PNG (for marketplaces and feeds, which refuse SVG)."},
    )
    alt = fields.String()
    width = fields.Integer()
    height = fields.Integer()


class OfTheSameObject(fields.Nested):
    """A nested object read from the same object's own attributes (documented as its own schema)."""

    def get_value(self, obj, attr, accessor=None, default=None):
        return obj


class ReviewSchema(Schema):
    """The office's review: why a producer's listing is not public yet (pending) or at all (rejected)."""

    status = fields.String(
        attribute="review_status",
        metadata={"description": "approved, pending (waiting for the OCOP office) or rejected."},
    )
    reason = fields.Function(
        lambda product: product.rejection_reason or None, metadata={"description": "Why it was rejected."}
    )
    reviewed_at = UtcDateTime(allow_none=True)
    requested_certificate_no = fields.Function(
        lambda product: product.requested_certificate.certificate_no if product.requested_certificate else None,
        metadata={"description": "The certificate the producer asked to be rated by, until the office decides."},
    )


class ProductSchema(Schema):
    """A product as the contract returns it."""

    id = fields.Integer()
    sku = fields.String()
    slug = fields.String()
    name = fields.String()
    description = fields.String()
    category = fields.Nested(CategoryRefSchema)
    producer = fields.Nested(ProducerRefSchema)
    locality = fields.Nested(LocalityRefSchema)
    ocop = fields.Method("dump_ocop", metadata={"description": "Null unless a certificate is valid today."})
    price_vnd = fields.Integer()
    unit = fields.String()
    net_weight_g = fields.Integer(allow_none=True)
    gtin = fields.String(allow_none=True, metadata={"description": "EAN-13 (GS1 prefix 893), or null."})
    stock = fields.Integer()
    status = fields.String()
    images = fields.List(fields.Nested(ImageSchema))
    url = fields.Function(lambda product: product_url(product.slug))
    version = fields.Integer()
    updated_at = UtcDateTime()
    review = OfTheSameObject(ReviewSchema, metadata={"description": "Only an approved product is ever public."})

    def dump_ocop(self, product) -> dict | None:
        certificate = product.rating_on(clock.today())
        return OcopSchema().dump(certificate) if certificate else None


class ListSchema(Schema):
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class ProductListSchema(ListSchema):
    items = fields.List(fields.Nested(ProductSchema))


class ProducerListSchema(ListSchema):
    items = fields.List(fields.Nested(ProducerSchema))


class CategoryListSchema(ListSchema):
    items = fields.List(fields.Nested(CategorySchema))


class LocalityListSchema(ListSchema):
    items = fields.List(fields.Nested(LocalitySchema))
