"""Order schemas: the checkout request in, the order out (contract §4)."""

from __future__ import annotations

import re

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate, validates_schema

from catalogue.delivery.views import tracking_url
from catalogue.fields import Text
from catalogue.ids import MAX_ID
from catalogue.payments.ledger import order_money
from catalogue.payments.registry import NAMES as METHODS
from catalogue.products.schemas import UtcDateTime
from catalogue.tax_codes import valid_tax_code

PHONE = re.compile(r"^(?:\+84|84|0)([35789]\d{8}|2\d{9})$")


def vietnamese_phone(value: str) -> str:
    """Normalise a Vietnamese mobile or landline to 0xxxxxxxxx; raise when it is not one."""
    digits = re.sub(r"[\s.\-()]", "", value)
    found = PHONE.match(digits)
    if not found:
        raise ValidationError("Must be a Vietnamese phone number, e.g. 0912345678.")
    return "0" + found.group(1)


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class LineRequestSchema(StrictSchema):
    product_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_ID))
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=99))


class CustomerSchema(StrictSchema):
    name = Text(required=True, validate=validate.Length(min=2, max=120))
    email = fields.Email(
        required=True,
        validate=[validate.Length(max=200), lambda value: _ascii_local_part(value)],
        metadata={"description": "The part before @ in ASCII (we send without SMTPUTF8); the domain may be IDN."},
    )
    phone = fields.String(required=True, validate=validate.Length(max=20))

    @post_load
    def normalise_phone(self, data, **kwargs):
        try:
            data["phone"] = vietnamese_phone(data["phone"])
        except ValidationError as error:
            raise ValidationError({"phone": error.messages}) from error
        return data


class AddressSchema(StrictSchema):
    line1 = Text(required=True, validate=validate.Length(min=3, max=200))
    ward = Text(required=True, validate=validate.Length(min=2, max=120))
    province = Text(required=True, validate=validate.Length(min=2, max=120))


class InvoiceRequestSchema(StrictSchema):
    """A company invoice at checkout; its tax code's check digit is verified (python-stdnum)."""

    company_name = Text(required=True, validate=validate.Length(min=2, max=300))
    tax_code = fields.String(required=True, validate=[validate.Length(max=20), lambda value: _tax_code(value)])
    address = Text(required=True, validate=validate.Length(min=3, max=300))
    # Optional; absent is "" for the services, but never documented as a default: "" is not an email (OpenAPI).
    email = fields.Email(validate=validate.Length(max=200))

    @post_load
    def _no_email(self, data: dict, **_) -> dict:
        return {"email": "", **data}


def _ascii_local_part(value: str) -> None:
    """The part before @ must be ASCII: it would need SMTPUTF8 all the way (catalogue.mail); the domain may be IDN."""
    if not value.rpartition("@")[0].isascii():
        raise ValidationError("Write the part before @ without accents (only the domain may have them).")


def _tax_code(value: str) -> None:
    if valid_tax_code(value) is None:
        raise ValidationError("Not a valid Vietnamese tax code (10 digits, or 10 + '-' + 3; the check digit fails).")


class OrderRequestSchema(StrictSchema):
    lines = fields.List(fields.Nested(LineRequestSchema), required=True, validate=validate.Length(min=1, max=50))
    customer = fields.Nested(CustomerSchema, required=True)
    shipping_address = fields.Nested(AddressSchema, required=True)
    payment_method = fields.String(validate=validate.OneOf(METHODS))  # default: Stripe when on, else the first rail
    invoice = fields.Nested(InvoiceRequestSchema)  # a company invoice; without it the invoice names the buyer


class PaymentRequestSchema(StrictSchema):
    payment_method = fields.String(required=True, validate=validate.OneOf(METHODS))


class OrderLineSchema(Schema):
    product_id = fields.Integer()
    sku = fields.String()
    name = fields.String()
    unit = fields.String()
    unit_price_vnd = fields.Integer()
    quantity = fields.Integer()
    line_total_vnd = fields.Integer()


class OrderEventSchema(Schema):
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    reason = fields.String()
    at = UtcDateTime(attribute="created_at")


class PaymentSchema(Schema):
    """What the chosen rail needs; only its own fields are present."""

    provider = fields.String()  # stripe, vietqr, vnpay, momo
    payment_intent_id = fields.String()  # stripe
    client_secret = fields.String()
    publishable_key = fields.String()
    reference = fields.String()  # the attempt (VietQR: the transfer content)
    amount_vnd = fields.Integer()
    deadline = UtcDateTime(allow_none=True)  # the reservation's expiry
    redirect_url = fields.String()  # vnpay: the signed pay page; momo: its payUrl
    qr_payload = fields.String()  # vietqr: the EMVCo string
    qr_image_url = fields.String()  # vietqr: the QR as SVG
    bank_bin = fields.String()
    account_no = fields.String()
    account_name = fields.String()
    content = fields.String()
    is_demo = fields.Boolean()  # the development account: never send money to it


class MoneySchema(Schema):
    """The order's ledger summed: paid, still due, surplus to return."""

    state = fields.String()  # unpaid, partly_paid, paid, overpaid, refunding, refunded
    total_vnd = fields.Integer()
    paid_vnd = fields.Integer()
    due_vnd = fields.Integer()
    surplus_vnd = fields.Integer()
    to_return_vnd = fields.Integer()
    refunded_vnd = fields.Integer()


_MONEY = MoneySchema()  # made once: a schema keeps nothing between dumps


class ParcelProducerSchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    name = fields.String()


class ParcelSchema(Schema):
    """One producer's parcel of an order (contract §8)."""

    id = fields.Integer()
    producer = fields.Nested(ParcelProducerSchema)
    weight_g = fields.Integer()
    fee_vnd = fields.Integer()
    fee_source = fields.String()  # carrier: the carrier's fee API priced it; zone: the shop's zone table
    carrier = fields.String(allow_none=True)
    service = fields.String(allow_none=True)
    eta_days = fields.Integer(allow_none=True)
    tracking_code = fields.String(allow_none=True)
    tracking_url = fields.Function(tracking_url, allow_none=True)
    status = fields.String()
    # The booking job (beyond the contract): queued / booking / failed, and why it failed (Vietnamese).
    booking_state = fields.String(allow_none=True)
    last_error = fields.String(allow_none=True)
    expected_delivery = UtcDateTime(allow_none=True)


class ShipParcelSchema(StrictSchema):
    """`{}` books the parcel with the configured carrier; `{"carrier", "tracking_code"}` records one sent otherwise."""

    carrier = Text(validate=validate.Length(min=1, max=20))
    tracking_code = Text(validate=validate.Length(min=1, max=60))

    @validates_schema
    def _both_or_neither(self, data, **kwargs):
        if ("carrier" in data) != ("tracking_code" in data):
            missing = "tracking_code" if "carrier" in data else "carrier"
            raise ValidationError("Give both carrier and tracking_code, or neither to book.", missing)


class QuotedParcelSchema(Schema):
    """A parcel as the quote prices it (contract §8): exactly what the order would get."""

    producer = fields.Nested(ParcelProducerSchema)
    weight_g = fields.Integer()
    fee_vnd = fields.Integer()
    fee_source = fields.String()
    carrier = fields.String(allow_none=True)
    service = fields.String(allow_none=True)
    eta_days = fields.Integer(allow_none=True)


class ShippingQuoteSchema(Schema):
    parcels = fields.List(fields.Nested(QuotedParcelSchema))
    shipping_fee_vnd = fields.Integer()


class QuoteAddressSchema(AddressSchema):
    line1 = Text(validate=validate.Length(max=200), load_default="")  # not needed to price the parcels


class ShippingQuoteRequestSchema(StrictSchema):
    lines = fields.List(fields.Nested(LineRequestSchema), required=True, validate=validate.Length(min=1, max=50))
    shipping_address = fields.Nested(QuoteAddressSchema, required=True)


def _money(order) -> dict:
    """A producer's share (set by the staff view), else the ledger summed: as checkout committed it
    (`placed_money`, set by the checkout's answer), or read now."""
    producer = getattr(order, "producer_money", None)
    if producer:
        return producer
    money = getattr(order, "placed_money", None) or order_money(order)
    return _MONEY.dump(money.as_dict())


class OrderSchema(Schema):
    """An order as its buyer (or the shop) sees it; a producer gets its own lines and only their amounts
    (subtotal and total of its lines, shipping fee 0)."""

    code = fields.String()
    status = fields.String()
    subtotal_vnd = fields.Integer()
    shipping_fee_vnd = fields.Integer()
    total_vnd = fields.Integer()
    lines = fields.List(fields.Nested(OrderLineSchema))
    parcels = fields.List(fields.Nested(ParcelSchema))
    customer = fields.Function(
        lambda order: {"name": order.customer_name, "email": order.customer_email, "phone": order.customer_phone}
    )
    shipping_address = fields.Function(
        lambda order: {"line1": order.shipping_line1, "ward": order.shipping_ward, "province": order.shipping_province}
    )
    reserved_until = UtcDateTime(allow_none=True)
    payment_error = fields.String(allow_none=True)
    tracking_number = fields.String(allow_none=True)
    payment_method = fields.String(allow_none=True)
    money = fields.Function(
        lambda order: _money(order),
        metadata={"description": "The ledger summed; for a producer, only the payment state and its own lines' total."},
    )
    history = fields.List(fields.Nested(OrderEventSchema), attribute="events")
    created_at = UtcDateTime()


class PlacedOrderSchema(OrderSchema):
    """The 201 answer of checkout: the order, its access token (shown once) and the payment."""

    access_token = fields.String()
    payment = fields.Nested(PaymentSchema)
