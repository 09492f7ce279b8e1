"""What producers and the OCOP office may send to create or change a product."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from catalogue.fields import Text
from catalogue.products.schemas import MAX_PRICE_VND


class ProductInputSchema(Schema):
    """Every field a product write may carry; which of them a role may set is the service's rule."""

    class Meta:
        unknown = RAISE

    name = Text(validate=validate.Length(min=3, max=200))
    description = fields.String(validate=validate.Length(max=5000))
    unit = Text(validate=validate.Length(min=1, max=60))
    net_weight_g = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=100_000))
    price_vnd = fields.Integer(strict=True, validate=validate.Range(min=1000, max=MAX_PRICE_VND))
    stock = fields.Integer(strict=True, validate=validate.Range(min=0, max=1_000_000))
    status = fields.String(validate=validate.OneOf(("draft", "active", "archived")))
    category = fields.String(validate=validate.Length(min=1, max=60))
    locality = fields.String(validate=validate.Length(min=1, max=40))
    producer = fields.String(validate=validate.Length(min=1, max=200), metadata={"description": "Admins only."})
    gtin = fields.String(
        allow_none=True,
        validate=validate.Length(max=13),
        metadata={"description": "EAN-13 under Vietnam's prefix 893 (check digit verified); null removes it."},
    )
    certificate_no = fields.String(
        validate=validate.Length(min=1, max=80),
        metadata={"description": "One of the producer's valid OCOP certificates that covers this listing."},
    )


class ProductCreateSchema(ProductInputSchema):
    name = Text(required=True, validate=validate.Length(min=3, max=200))
    unit = Text(required=True, validate=validate.Length(min=1, max=60))
    price_vnd = fields.Integer(required=True, strict=True, validate=validate.Range(min=1000, max=MAX_PRICE_VND))
    category = fields.String(required=True, validate=validate.Length(min=1, max=60))
