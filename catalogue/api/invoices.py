"""E-invoices of an order, and one invoice's signed XML (buyer's order token, owner producer, office)."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from marshmallow import RAISE

from catalogue import clock
from catalogue.api.blueprint import ApiBlueprint, refuses
from catalogue.api.orders import OrderArgs, _staff, buyer_token, orders, with_some_token
from catalogue.invoices import access
from catalogue.invoices.schemas import InvoiceListSchema

invoices = ApiBlueprint("invoices", __name__, url_prefix="/invoices", description="E-invoices (hóa đơn điện tử).")
blueprints = (invoices,)


@orders.route("/<code>/invoices")
class OrderInvoices(MethodView):
    @with_some_token
    @orders.arguments(OrderArgs, location="query", unknown=RAISE)
    @orders.response(200, InvoiceListSchema)
    def get(self, _, code: str):
        """The order's e-invoices (one per producer, and adjustments after a refund): for its buyer (the order's
        token), a producer with lines in it (`orders:read`; only its own invoices), or the OCOP office."""
        staff = _staff()
        if staff is not None:
            found = access.for_staff(code, staff, clock.now())
        else:
            found = access.for_buyer(code, buyer_token(), clock.now())
        return {"items": found, "total": len(found)}


@invoices.route("/<int:invoice_id>.xml")
class InvoiceXml(MethodView):
    @with_some_token
    @refuses(404)
    @invoices.arguments(OrderArgs, location="query", unknown=RAISE)
    @invoices.response(200, content_type="application/xml", description="The signed XML (Circular 78).")
    def get(self, _, invoice_id: int):
        """The invoice's signed XML, for its buyer (the order's token), its producer (`orders:read`) or the office."""
        invoice = access.one_invoice(invoice_id, _staff(), buyer_token())
        response = current_app.response_class(invoice.xml.encode(), mimetype="application/xml")
        name = f"hoa-don-{invoice.series}-{invoice.number:08d}.xml"
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        response.headers["Cache-Control"] = "private, no-store"
        return response
