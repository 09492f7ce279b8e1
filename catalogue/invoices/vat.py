"""The office sets a product's VAT rate (what its invoices will carry from now on)."""

from __future__ import annotations

from catalogue.accounts.principal import Principal
from catalogue.errors import InvalidInput, NotFound, PermissionDenied
from catalogue.extensions import db
from catalogue.invoices.models import VAT_RATES
from catalogue.products.models import Product
from catalogue.transactions import use_case


@use_case
def set_vat_rate(principal: Principal, product_id: int, rate: str) -> Product:
    """Only the OCOP office sets VAT rates; issued invoices keep the rate they were issued with."""
    if not principal.is_admin:
        raise PermissionDenied("Only the OCOP office sets VAT rates.")
    if rate not in VAT_RATES:
        raise InvalidInput(f"{rate!r} is not a VAT rate.", {"vat_rate": [f"One of {', '.join(VAT_RATES)}."]})
    product = db.session.get(Product, product_id)
    if product is None:
        raise NotFound(f"No product {product_id}.")
    product.vat_rate = rate
    return product
