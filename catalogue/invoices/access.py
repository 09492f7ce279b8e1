"""Who reads which invoices: the buyer (the order's token), the producer that issued them, the OCOP office."""

from __future__ import annotations

import hmac
from datetime import datetime

from catalogue.accounts.principal import Principal
from catalogue.errors import NotFound
from catalogue.extensions import db
from catalogue.invoices.issuing import invoices_of
from catalogue.invoices.models import Invoice
from catalogue.models_base import token_digest
from catalogue.orders import services as orders
from catalogue.orders.models import Order


def for_buyer(code: str, access_token: str | None, now: datetime) -> list[Invoice]:
    """The order's invoices, for the holder of its token (404 otherwise)."""
    order = orders.order_for_buyer(code, access_token, now)
    return invoices_of(order.id)


def for_order(order: Order) -> list[Invoice]:
    """The order's invoices, once the caller was allowed to read the order itself."""
    return invoices_of(order.id)


def for_staff(code: str, principal: Principal, now: datetime) -> list[Invoice]:
    """Every invoice of the order for the office; a producer's own only, and 404 if it has no line in it."""
    order, _ = orders.order_for_staff(code, principal, now)
    invoices = invoices_of(order.id)
    if principal.is_admin:
        return invoices
    return [invoice for invoice in invoices if invoice.producer_id == principal.producer_id]


def one_invoice(invoice_id: int, principal: Principal | None, access_token: str | None) -> Invoice:
    """One invoice for its buyer (the order's token), its producer (`orders:read`) or the office; else 404."""
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None:
        raise NotFound(f"No invoice {invoice_id}.")
    if principal is not None:
        if principal.is_admin or (principal.can("orders:read") and principal.owns_producer(invoice.producer_id)):
            return invoice
        raise NotFound(f"No invoice {invoice_id}.")  # never confirm that another producer's invoice exists
    order = db.session.get(Order, invoice.order_id)
    if access_token and hmac.compare_digest(order.access_token_hash, token_digest(access_token)):
        return invoice
    raise NotFound(f"No invoice {invoice_id}.")


def producer_may_read(principal: Principal, invoice: Invoice) -> bool:
    """A signed-in producer reads its own invoices; the office every one."""
    return principal.is_admin or principal.owns_producer(invoice.producer_id)
