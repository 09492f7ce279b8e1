"""The buyer's invoices: a printable page (A4, Vietnamese) and the signed XML, with the order page's access."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, url_for

from catalogue.extensions import db
from catalogue.invoices.issuing import stored_totals
from catalogue.invoices.models import Invoice
from catalogue.storefront.checkout import _readable_order

invoice_pages = Blueprint("invoice_pages", __name__)


def render_invoice(invoice: Invoice, xml_url: str):
    """The printable invoice page, for whoever was allowed to read it."""
    related = db.session.get(Invoice, invoice.adjusts_invoice_id) if invoice.adjusts_invoice_id else None
    response = current_app.make_response(
        render_template(
            "invoices/invoice.html", invoice=invoice, totals=stored_totals(invoice), related=related, xml_url=xml_url
        )  # fmt: skip
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def xml_download(invoice: Invoice):
    """The signed XML as a download named after its series and number."""
    response = current_app.response_class(invoice.xml.encode(), mimetype="application/xml")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="hoa-don-{invoice.series}-{invoice.number:08d}.xml"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _invoice_of(code: str, invoice_id: int) -> Invoice:
    found, _ = _readable_order(code)
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None or invoice.order_id != found.id:
        abort(404)
    return invoice


@invoice_pages.get("/orders/<code>/invoices/<int:invoice_id>")
def invoice_page(code: str, invoice_id: int):
    """One invoice of the order, ready to print."""
    invoice = _invoice_of(code, invoice_id)
    xml_url = url_for("invoice_pages.invoice_xml", code=code, invoice_id=invoice_id)
    return render_invoice(invoice, xml_url)


@invoice_pages.get("/orders/<code>/invoices/<int:invoice_id>.xml")
def invoice_xml(code: str, invoice_id: int):
    """One invoice's signed XML."""
    return xml_download(_invoice_of(code, invoice_id))
