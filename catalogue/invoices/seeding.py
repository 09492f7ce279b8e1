"""The seed's invoice settings: every producer with a valid tax code invoices, products get their set's rate."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update

from catalogue.extensions import db
from catalogue.invoices.models import InvoiceSettings
from catalogue.invoices.rates import RATE_BY_PRODUCT_SET, rate_for_product_set
from catalogue.invoices.settings import valid_tax_code
from catalogue.producers.models import Producer
from catalogue.products.models import Category, Product


def seed_invoicing(today: date) -> int:
    """Give producers sample invoice settings (VAT invoices for companies and cooperatives, sales invoices
    for households; series C<yy>TAA; no provider) and products without a rate their set's; how many producers."""
    configured = set(db.session.scalars(select(InvoiceSettings.producer_id)))
    created = 0
    for producer in db.session.scalars(select(Producer).order_by(Producer.id)):
        if producer.id in configured or valid_tax_code(producer.tax_code or "") is None:
            continue
        db.session.add(
            InvoiceSettings(
                producer_id=producer.id,
                enabled=True,
                legal_name=producer.name,
                address=producer.address,
                template="2" if producer.legal_form == "household" else "1",
                series=f"C{today:%y}TAA",
                provider="none",
            )
        )
        created += 1
    for category in db.session.scalars(select(Category)):
        db.session.execute(
            update(Product)
            .where(Product.category_id == category.id, Product.vat_rate.is_(None))
            .values(vat_rate=rate_for_product_set(category.code))
            .execution_options(synchronize_session=False)
        )
    db.session.flush()
    return created


__all__ = ["seed_invoicing", "RATE_BY_PRODUCT_SET"]
