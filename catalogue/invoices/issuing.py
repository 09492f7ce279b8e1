"""Issuing a paid order's invoices: one per producer on it, its own lines and its share of shipping.

Runs after the payment is committed (catalogue.invoices.jobs), in its own transaction, so a
payment never waits on or fails because of invoicing. Issuing twice issues once: an order
row lock serialises two runs for one order, and (order, producer, kind) is unique. A refund
of an invoiced order issues an adjustment to zero that names the original (Decree 123, art. 19);
nothing is ever deleted. A parcel that came back (its return settled) adjusts its producer's invoice
by what its refund returns: an order ships one parcel per producer and that invoice carries exactly the
parcel's lines and fee (`_shipping_shares`), so the adjustment is to zero when the whole parcel went
back, and by the refund alone, shared over the invoice's lines, when the order held less (part of it
refunded before): the adjustment never says more went back than did.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from catalogue import metrics
from catalogue.clock import VIETNAM
from catalogue.delivery.returns import refund_of
from catalogue.extensions import db
from catalogue.invoices import numbering, signing, xml
from catalogue.invoices.models import Invoice, InvoiceLine, InvoiceRequest, InvoiceSettings
from catalogue.invoices.rates import rate_of
from catalogue.invoices.settings import enabled_settings, identity_for, valid_tax_code
from catalogue.invoices.totals import (
    Line,
    RateTotal,
    Sale,
    Totals,
    compute,
    in_words,
    negated,
    share_of,
    split_shipping,
)
from catalogue.orders.models import Order
from catalogue.payments.registry import labels_of
from catalogue.products.models import Product
from catalogue.transactions import use_case

log = logging.getLogger(__name__)
UNKNOWN_PAYMENT = "Khác"  # HTTToan for a rail the registry does not know
SHIPPING_NAME = "Phí vận chuyển"


def payment_words(order: Order) -> str:
    """HTTToan: the rail whose money settled the order, not the one the buyer chose last."""
    labels = labels_of(order.settled_by or order.payment_method)  # each rail's own `invoice` words
    return labels.invoice if labels else UNKNOWN_PAYMENT


def was_paid(order: Order) -> bool:
    """True once the order has been paid (a sale took place), whatever happened after."""
    return any(event.to_status == "paid" for event in order.events)


def _locked_order(order_id: int) -> Order | None:
    return db.session.scalar(
        select(Order)
        .where(Order.id == order_id)
        .options(selectinload(Order.lines), selectinload(Order.events))
        .with_for_update(of=Order)
        .execution_options(populate_existing=True)
    )


def invoices_of(order_id: int) -> list[Invoice]:
    """Every invoice of the order, originals and adjustments, in issue order."""
    return list(
        db.session.scalars(
            select(Invoice)
            .where(Invoice.order_id == order_id)
            .options(selectinload(Invoice.lines))
            .order_by(Invoice.id)
        )
    )


@use_case
def issue_for_order(order_id: int, now: datetime) -> list[int]:
    """Issue the invoices a paid order still lacks (and adjust them if it is refunded); the new invoices' ids."""
    order = _locked_order(order_id)
    if order is None or not was_paid(order):
        return []
    existing = invoices_of(order_id)
    originals = {invoice.producer_id for invoice in existing if invoice.kind == "original"}
    by_producer: dict[int, list] = defaultdict(list)
    for line in order.lines:
        by_producer[line.producer_id].append(line)
    settings = enabled_settings(list(by_producer))
    shares = _shipping_shares(order, by_producer)
    issued: list[Invoice] = []
    for producer_id in sorted(by_producer):  # always the same order of counter locks: no deadlock
        if producer_id in originals or producer_id not in settings or not can_sign(settings[producer_id]):
            continue
        sales = _sales(by_producer[producer_id], shares.get(producer_id, 0))
        issued.append(_issue_original(order, settings[producer_id], sales, now))
    if order.status == "refunded":
        issued.extend(_adjust(order, [*existing, *issued], now))
    elif returned := {parcel.producer_id: refund_of(order, parcel) for parcel in order.parcels
                      if parcel.return_settled_at is not None}:  # fmt: skip
        issued.extend(_adjust(order, [*existing, *issued], now, only=returned))
    return [invoice.id for invoice in issued]


def can_sign(settings: InvoiceSettings) -> bool:
    """False for a producer without a certificate where no development one is allowed (production)."""
    if settings.certificate_file or current_app.config.get("INVOICE_DEV_CERTIFICATES"):
        return True
    log.warning("Producer %s invoices but has no signing certificate; its invoices wait for one", settings.producer_id)
    return False


def _shipping_shares(order: Order, by_producer: dict[int, list]) -> dict[int, int]:
    """Each producer's shipping on its invoice: its own parcel's fee (older orders: a split by value)."""
    if current_app.config.get("INVOICE_SHIPPING_SPLIT", "by_value") == "none":
        return {}
    if order.parcels:
        return {parcel.producer_id: parcel.fee_vnd for parcel in order.parcels if parcel.producer_id in by_producer}
    subtotals = {producer: sum(line.line_total_vnd for line in lines) for producer, lines in by_producer.items()}
    return split_shipping(order.shipping_fee_vnd, subtotals)


def _sales(lines: list, shipping_vnd: int) -> list[Sale]:
    products = {
        product.id: product
        for product in db.session.scalars(
            select(Product)
            .where(Product.id.in_([line.product_id for line in lines]))
            .options(selectinload(Product.category))
        )
    }
    sales = [
        Sale(line.sku, line.name, line.unit, line.quantity, line.line_total_vnd, rate_of(products[line.product_id]))
        for line in lines
    ]
    if shipping_vnd:
        sales.append(Sale("", SHIPPING_NAME, "lần", 1, shipping_vnd, current_app.config["INVOICE_SHIPPING_VAT_RATE"]))
    return sales


def _buyer(order: Order) -> dict:
    request = db.session.get(InvoiceRequest, order.id)
    person = {"buyer_name": order.customer_name, "buyer_email": order.customer_email}
    if request is not None:
        return {**person, "buyer_company": request.company_name, "buyer_tax_code": request.tax_code,
                "buyer_address": request.address, "buyer_email": request.email or order.customer_email}  # fmt: skip
    address = ", ".join(part for part in (order.shipping_line1, order.shipping_ward, order.shipping_province) if part)
    return {**person, "buyer_company": "", "buyer_tax_code": "", "buyer_address": address}


def _issue_original(order: Order, settings: InvoiceSettings, sales: list[Sale], now: datetime) -> Invoice:
    producer = settings.producer
    totals = compute(sales, vat_invoice=settings.template == "1")
    invoice = Invoice(
        order_id=order.id, producer_id=producer.id, kind="original", template=settings.template,
        series=settings.series, issued_at=now, seller_name=settings.legal_name or producer.name,
        seller_tax_code=valid_tax_code(producer.tax_code or "") or "",
        seller_address=settings.address or producer.address, provider=settings.provider, **_buyer(order),
    )  # fmt: skip
    return _finish(invoice, totals, order, settings, adjusts=None)


def _adjust(order: Order, invoices: list[Invoice], now: datetime, only: dict[int, int] | None = None) -> list[Invoice]:
    """Adjust each original not adjusted yet: to zero, or (`only`: the producers whose parcels came back, and
    what each return refunds) by that refund when it is less than the invoice; nothing when it is nothing."""
    adjusted = {invoice.adjusts_invoice_id for invoice in invoices if invoice.kind == "adjustment"}
    made = []
    for original in sorted((i for i in invoices if i.kind == "original"), key=lambda i: i.producer_id):
        refunded = None if only is None else only.get(original.producer_id, 0)
        if original.id in adjusted or (refunded is not None and refunded <= 0):
            continue
        settings = db.session.get(InvoiceSettings, original.producer_id)
        adjustment = Invoice(
            order_id=order.id, producer_id=original.producer_id, kind="adjustment", adjusts_invoice_id=original.id,
            template=original.template, series=settings.series or original.series, issued_at=now,
            seller_name=original.seller_name, seller_tax_code=original.seller_tax_code,
            seller_address=original.seller_address, buyer_name=original.buyer_name,
            buyer_company=original.buyer_company, buyer_tax_code=original.buyer_tax_code,
            buyer_address=original.buyer_address, buyer_email=original.buyer_email, provider=settings.provider,
        )  # fmt: skip
        related = xml.Related(original.template, original.series, original.number, _vn_date(original.issued_at))
        made.append(_finish(adjustment, negated(_returned(original, refunded)), order, settings, adjusts=related))
    return made


def _returned(original: Invoice, refunded: int | None) -> Totals:
    """What goes back of an original: all of it, or `refunded` shared over its lines (VAT worked out again)."""
    totals = stored_totals(original)
    if refunded is None or refunded >= original.total_vnd:
        return totals
    return compute(share_of(totals.lines, refunded), vat_invoice=original.template == "1")


def stored_totals(invoice: Invoice) -> Totals:
    """An issued invoice's amounts as it carries them (lines, per rate, overall)."""
    lines = tuple(
        Line(line.position, line.sku, line.name, line.unit, line.quantity, line.unit_price_vnd, line.amount_vnd,
             line.vat_rate, line.gross_vnd)
        for line in invoice.lines
    )  # fmt: skip
    by_rate: dict[str, list[int]] = {}
    for line in lines:
        if line.vat_rate:
            sums = by_rate.setdefault(line.vat_rate, [0, 0])
            sums[0] += line.amount_vnd
            sums[1] += line.gross_vnd
    from catalogue.invoices.totals import RATE_ORDER

    rates = tuple(
        RateTotal(rate, before, gross - before)
        for rate, (before, gross) in sorted(by_rate.items(), key=lambda item: RATE_ORDER.index(item[0]))
    )
    return Totals(lines, rates, invoice.before_tax_vnd, invoice.tax_vnd, invoice.total_vnd, invoice.total_in_words)


def _vn_date(moment: datetime):
    from catalogue.models_base import as_utc

    return as_utc(moment).astimezone(VIETNAM).date()


def _finish(invoice: Invoice, totals: Totals, order: Order, settings: InvoiceSettings, adjusts) -> Invoice:
    """Number, build, validate, sign and store the invoice (all in the caller's transaction)."""
    identity = identity_for(settings, invoice.seller_tax_code)
    invoice.number = numbering.take_number(invoice.producer_id, invoice.series)
    invoice.before_tax_vnd, invoice.tax_vnd, invoice.total_vnd = totals.before_tax_vnd, totals.tax_vnd, totals.total_vnd
    invoice.total_in_words = totals.words if adjusts is None else f"Điều chỉnh giảm: {in_words(-totals.total_vnd)}"
    invoice.is_test = identity.is_test
    producer = settings.producer
    document = xml.InvoiceDocument(
        template=invoice.template, series=invoice.series, number=invoice.number,
        issued_on=_vn_date(invoice.issued_at), payment_method=payment_words(order),
        seller=xml.Party(invoice.seller_name, invoice.seller_tax_code, invoice.seller_address, producer.email,
                         producer.phone),
        buyer=xml.Party(invoice.buyer_company or invoice.buyer_name, invoice.buyer_tax_code, invoice.buyer_address,
                        invoice.buyer_email, person=invoice.buyer_name),
        totals=Totals(totals.lines, totals.by_rate, totals.before_tax_vnd, totals.tax_vnd, totals.total_vnd,
                      invoice.total_in_words),
        provider_tax_code=current_app.config.get(f"INVOICE_{invoice.provider.upper()}_TAX_CODE") or "",
        adjusts=adjusts, is_test=identity.is_test,
    )  # fmt: skip
    root = xml.build(document)
    xml.validate(root)
    signed = signing.sign(root, identity, xml.element_id(invoice.series, invoice.number))
    invoice.xml = xml.serialise(signed).decode()
    invoice.status = "queued"
    if invoice.provider == "none":
        invoice.last_error = "Chưa chọn nhà cung cấp hóa đơn điện tử: hóa đơn chờ được gửi."
    invoice.lines = [
        InvoiceLine(position=line.position, sku=line.sku, name=line.name, unit=line.unit, quantity=line.quantity,
                    unit_price_vnd=line.unit_price_vnd, amount_vnd=line.amount_vnd, vat_rate=line.vat_rate,
                    gross_vnd=line.gross_vnd)
        for line in totals.lines
    ]  # fmt: skip
    db.session.add(invoice)
    metrics.INVOICES.labels("issued").inc()
    db.session.flush()
    return invoice
