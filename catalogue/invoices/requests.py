"""The buyer's request for a company invoice, kept with the order when it is placed."""

from __future__ import annotations

from catalogue import events
from catalogue.errors import InvalidInput
from catalogue.extensions import db
from catalogue.invoices.models import InvoiceRequest
from catalogue.tax_codes import valid_tax_code


def request_placed(event: events.OrderPlaced) -> InvoiceRequest | None:
    """`OrderPlaced`, in the placing transaction: keep the buyer's company request, if there is one."""
    if event.company is None:
        return None
    return record_request(event.order_id, event.company)


def record_request(order_id: int, company) -> InvoiceRequest:
    """Keep the company to invoice; a tax code whose check digit fails is a 422 naming `invoice.tax_code`."""
    tax_code = valid_tax_code(company.tax_code)
    if tax_code is None:
        raise InvalidInput(
            "The company's tax code is not valid.",
            {"invoice": {"tax_code": ["Mã số thuế không hợp lệ (10 chữ số, hoặc 10 chữ số - 3 chữ số)."]}},
        )
    request = InvoiceRequest(
        order_id=order_id,
        company_name=company.company_name.strip(),
        tax_code=tax_code,
        address=company.address.strip(),
        email=(company.email or "").strip(),
    )
    db.session.add(request)
    return request
