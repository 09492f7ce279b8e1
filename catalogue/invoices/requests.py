"""The buyer's request for a company invoice, kept with the order when it is placed."""

from __future__ import annotations

from catalogue.errors import InvalidInput
from catalogue.extensions import db
from catalogue.invoices.models import InvoiceRequest
from catalogue.invoices.settings import valid_tax_code


def record_request(order, company) -> InvoiceRequest:
    """Keep the company to invoice; a tax code whose check digit fails is a 422 naming `invoice.tax_code`."""
    tax_code = valid_tax_code(company.tax_code)
    if tax_code is None:
        raise InvalidInput(
            "The company's tax code is not valid.",
            {"invoice": {"tax_code": ["Mã số thuế không hợp lệ (10 chữ số, hoặc 10 chữ số - 3 chữ số)."]}},
        )
    db.session.flush()  # the order's id
    request = InvoiceRequest(
        order_id=order.id,
        company_name=company.company_name.strip(),
        tax_code=tax_code,
        address=company.address.strip(),
        email=(company.email or "").strip(),
    )
    db.session.add(request)
    return request
