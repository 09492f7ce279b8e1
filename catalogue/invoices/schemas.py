"""An invoice as the API answers it."""

from __future__ import annotations

from marshmallow import Schema, fields

from catalogue.invoices.totals import plain_decimal
from catalogue.products.schemas import UtcDateTime
from catalogue.urls import absolute_url


class InvoiceLineSchema(Schema):
    position = fields.Integer()
    sku = fields.String()
    name = fields.String()
    unit = fields.String()
    quantity = fields.Integer()
    unit_price_vnd = fields.Integer(metadata={"description": "Before tax, rounded to the đồng."})
    unit_price = fields.Method(
        "_unit_price",
        metadata={"description": "Before tax, exact (up to 6 decimals, as a string): × quantity = amount_vnd."},
    )
    amount_vnd = fields.Integer(metadata={"description": "Before tax."})
    vat_rate = fields.String(metadata={"description": "0%, 5%, 8%, 10%, KCT, KKKNT; empty on a sales invoice."})
    gross_vnd = fields.Integer(metadata={"description": "What the buyer paid for the line, tax included."})

    def _unit_price(self, line) -> str:
        return plain_decimal(line.unit_price)


class PartySchema(Schema):
    name = fields.String()
    tax_code = fields.String()
    address = fields.String()


class InvoiceSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "original, or adjustment (naming the original)."})
    adjusts_invoice_id = fields.Integer(allow_none=True)
    template = fields.String(metadata={"description": "1: VAT invoice; 2: sales invoice."})
    series = fields.String()
    number = fields.Integer()
    issued_at = UtcDateTime()
    seller = fields.Method("_seller", metadata={"description": "{name, tax_code, address}"})
    buyer = fields.Method("_buyer", metadata={"description": "{name, company, tax_code, address, email}"})
    lines = fields.List(fields.Nested(InvoiceLineSchema))
    before_tax_vnd = fields.Integer()
    tax_vnd = fields.Integer()
    total_vnd = fields.Integer()
    total_in_words = fields.String()
    status = fields.String(metadata={"description": "queued, sent or rejected (by the provider)."})
    provider = fields.String()
    provider_lookup_code = fields.String()
    authority_code = fields.String()
    is_test = fields.Boolean(metadata={"description": "Signed with a development certificate: not valid for tax."})
    xml_url = fields.Method("_xml_url")

    def _seller(self, invoice) -> dict:
        return {"name": invoice.seller_name, "tax_code": invoice.seller_tax_code, "address": invoice.seller_address}

    def _buyer(self, invoice) -> dict:
        return {"name": invoice.buyer_name, "company": invoice.buyer_company, "tax_code": invoice.buyer_tax_code,
                "address": invoice.buyer_address, "email": invoice.buyer_email}  # fmt: skip

    def _xml_url(self, invoice) -> str:
        return absolute_url(f"/api/v1/invoices/{invoice.id}.xml")


class InvoiceListSchema(Schema):
    items = fields.List(fields.Nested(InvoiceSchema))
    total = fields.Integer()
