"""A producer's invoices as its portal lists them (filters, one invoice, the CSV for its accountant)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from catalogue.accounts.principal import Principal
from catalogue.clock import VIETNAM
from catalogue.errors import NotFound, PermissionDenied
from catalogue.extensions import db
from catalogue.invoices.models import KINDS, STATUSES, Invoice
from catalogue.invoices.providers import INVOICE_STATUS_NAMES
from catalogue.models_base import as_utc
from catalogue.orders.models import Order
from catalogue.spreadsheets import CsvWriter

PAGE_SIZE = 50
CSV_COLUMNS = ("Ký hiệu", "Số", "Loại", "Ngày lập", "Đơn hàng", "Người mua", "Tên đơn vị", "MST người mua",
               "Cộng tiền hàng", "Tiền thuế GTGT", "Tổng tiền thanh toán", "Trạng thái", "Mã tra cứu",
               "Mã CQT", "Hóa đơn điều chỉnh cho số")  # fmt: skip


@dataclass(frozen=True)
class InvoiceFilter:
    """What the producer's list is narrowed to: a month (YYYY-MM, Vietnam time), a status, a kind."""

    month: str = ""
    status: str = ""
    kind: str = ""
    producer_id: int | None = None  # the office may narrow to one producer

    def cleaned(self) -> InvoiceFilter:
        month = self.month if _month_range(self.month) else ""
        return InvoiceFilter(month, self.status if self.status in STATUSES else "",
                             self.kind if self.kind in KINDS else "", self.producer_id)  # fmt: skip


def _month_range(month: str) -> tuple[datetime, datetime] | None:
    try:
        start = datetime.strptime(month, "%Y-%m").replace(tzinfo=VIETNAM)
    except ValueError:
        return None
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


def _query(principal: Principal, wanted: InvoiceFilter):
    if not principal.is_admin and principal.producer_id is None:
        raise PermissionDenied("Only producers and the OCOP office read invoices.")
    query = select(Invoice, Order.code).join(Order, Order.id == Invoice.order_id)
    producer_id = wanted.producer_id if principal.is_admin else principal.producer_id
    if producer_id is not None:
        query = query.where(Invoice.producer_id == producer_id)
    if wanted.month:
        start, end = _month_range(wanted.month)
        query = query.where(Invoice.issued_at >= start, Invoice.issued_at < end)
    if wanted.status:
        query = query.where(Invoice.status == wanted.status)
    if wanted.kind:
        query = query.where(Invoice.kind == wanted.kind)
    return query


def list_invoices(principal: Principal, wanted: InvoiceFilter, page: int = 1) -> tuple[list, int]:
    """(invoice, order code) rows of a page, newest first, and how many match."""
    query = _query(principal, wanted.cleaned())
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.execute(
        query.order_by(Invoice.issued_at.desc(), Invoice.id.desc())
        .limit(PAGE_SIZE)
        .offset((max(page, 1) - 1) * PAGE_SIZE)
    ).all()
    return [(invoice, code) for invoice, code in rows], total


def invoice_for_portal(principal: Principal, invoice_id: int) -> Invoice:
    """One invoice for its producer or the office; another producer's is a 404."""
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None or not (principal.is_admin or principal.owns_producer(invoice.producer_id)):
        raise NotFound(f"No invoice {invoice_id}.")
    return invoice


def invoices_csv(principal: Principal, wanted: InvoiceFilter) -> str:
    """Every matching invoice as CSV (UTF-8 with BOM, so spreadsheet programs read the Vietnamese)."""
    query = _query(principal, wanted.cleaned()).order_by(Invoice.series, Invoice.number)
    rows = db.session.execute(query).all()
    adjusted = {invoice.adjusts_invoice_id for invoice, _ in rows if invoice.adjusts_invoice_id}
    numbers = dict(db.session.execute(select(Invoice.id, Invoice.number).where(Invoice.id.in_(adjusted))).all())
    out = io.StringIO()
    out.write("\ufeff")
    writer = CsvWriter(out)
    writer.writerow(CSV_COLUMNS)
    for invoice, code in rows:
        writer.writerow([
            invoice.series, f"{invoice.number:08d}", "Điều chỉnh" if invoice.kind == "adjustment" else "Gốc",
            as_utc(invoice.issued_at).astimezone(VIETNAM).strftime("%d/%m/%Y"), code, invoice.buyer_name,
            invoice.buyer_company, invoice.buyer_tax_code, invoice.before_tax_vnd, invoice.tax_vnd, invoice.total_vnd,
            INVOICE_STATUS_NAMES.get(invoice.status, invoice.status), invoice.provider_lookup_code,
            invoice.authority_code,
            f"{numbers[invoice.adjusts_invoice_id]:08d}" if invoice.adjusts_invoice_id else "",
        ])  # fmt: skip
    return out.getvalue()
