"""What the API reads and writes of lots."""

from __future__ import annotations

from flask import url_for
from marshmallow import RAISE, Schema, fields, validate

from catalogue.traceability.digital_link import MAX_LOT_LENGTH
from catalogue.traceability.services import MAX_QUANTITY
from catalogue.urls import absolute_url


class LotInputSchema(Schema):
    """A lot's fields; on a change, any of them."""

    class Meta:
        unknown = RAISE

    lot_number = fields.String(validate=validate.Length(min=1, max=MAX_LOT_LENGTH))
    produced_on = fields.Date()
    expires_on = fields.Date()
    quantity = fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_QUANTITY))
    origin_ward = fields.String(
        validate=validate.Length(min=1, max=120),
        metadata={
            "description": "A ward, commune or special zone of Quảng Ninh (current units): its name, e.g. "
            "`Xã Bình Liêu`, or its code as lots return it in `origin_ward.code`."
        },
    )


class LotCreateSchema(LotInputSchema):
    lot_number = fields.String(required=True, validate=validate.Length(min=1, max=MAX_LOT_LENGTH))
    produced_on = fields.Date(required=True)
    expires_on = fields.Date(required=True)
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_QUANTITY))
    origin_ward = fields.String(required=True, validate=validate.Length(min=1, max=120))


class WardSchema(Schema):
    code = fields.String(attribute="origin_ward_code")
    name = fields.String(attribute="origin_ward_name")


class ReportSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    kind = fields.String()
    url = fields.Function(lambda report: absolute_url(url_for("resolver.report", report_id=report.id)))


class LotSchema(Schema):
    """A lot as the API returns it, with the URI its stamps carry."""

    id = fields.Integer()
    lot_number = fields.String()
    code = fields.String(metadata={"description": "The short code of `/t/{code}` stamps."})
    produced_on = fields.Date()
    expires_on = fields.Date()
    quantity = fields.Integer()
    origin_ward = fields.Function(lambda lot: WardSchema().dump(lot))
    stamp_uri = fields.Method("dump_stamp_uri")
    reports = fields.List(fields.Nested(ReportSchema))

    def dump_stamp_uri(self, lot) -> str:
        from catalogue.traceability.stamps import stamp_uri
        from catalogue.urls import public_base

        return stamp_uri(lot, public_base())


class LotListArgs(Schema):
    """Paging of a product's lots: 100 a page by default, so a client that reads one page sees what it saw before."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=100))


class LotListSchema(Schema):
    """The list envelope of the rest of the API."""

    items = fields.List(fields.Nested(LotSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
