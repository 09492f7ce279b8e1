"""E-invoices: a producer's invoice settings, the buyer's request for a company invoice, issued invoices."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from babel.numbers import format_decimal
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalogue.extensions import db
from catalogue.invoices.totals import has_exact_unit_price, unit_price_of
from catalogue.models_base import Timestamped, utcnow
from catalogue.producers.models import Producer

VAT_RATES = ("0%", "5%", "8%", "10%", "KCT", "KKKNT")
TEMPLATES = ("1", "2")  # 1: VAT invoice (hóa đơn GTGT), 2: sales invoice (hóa đơn bán hàng)
PROVIDERS = ("none", "vnpt", "viettel", "misa")
KINDS = ("original", "adjustment")
# queued: issued and signed, waiting to reach the provider; sent: the provider took it (with its lookup
# code, and the tax authority's code when it gives one); rejected: the provider refused it (reason kept).
STATUSES = ("queued", "sent", "rejected")


class InvoiceSettings(Timestamped, db.Model):
    """How a producer invoices: legal name and address, template, series, provider and certificate."""

    __tablename__ = "invoice_settings"
    __table_args__ = (
        CheckConstraint(f"template IN {TEMPLATES}", name="ck_invoice_settings_template"),
        CheckConstraint(f"provider IN {PROVIDERS}", name="ck_invoice_settings_provider"),
    )

    producer_id: Mapped[int] = mapped_column(ForeignKey("producers.id", ondelete="CASCADE"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    legal_name: Mapped[str] = mapped_column(String(300), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    template: Mapped[str] = mapped_column(String(1), default="2")
    series: Mapped[str] = mapped_column(String(6), default="")
    provider: Mapped[str] = mapped_column(String(10), default="none")
    # The uploaded PKCS#12 lives in INVOICE_CERT_DIR (re-encrypted with INVOICE_CERT_PASSWORD), never here.
    certificate_file: Mapped[str] = mapped_column(String(200), default="")
    certificate_subject: Mapped[str] = mapped_column(String(300), default="")
    certificate_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    producer: Mapped[Producer] = relationship()


class InvoiceCounter(db.Model):
    """The last number issued in a producer's series: one row, updated under its row lock, so gap-free."""

    __tablename__ = "invoice_counters"

    producer_id: Mapped[int] = mapped_column(ForeignKey("producers.id", ondelete="CASCADE"), primary_key=True)
    series: Mapped[str] = mapped_column(String(6), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class InvoiceRequest(db.Model):
    """The buyer asked at checkout for an invoice in a company's name ("xuất hóa đơn công ty")."""

    __tablename__ = "invoice_requests"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    company_name: Mapped[str] = mapped_column(String(300))
    tax_code: Mapped[str] = mapped_column(String(14))
    address: Mapped[str] = mapped_column(String(300))
    email: Mapped[str] = mapped_column(String(200), default="")


class Invoice(db.Model):
    """One issued e-invoice: a producer's lines of one order (or the adjustment of such an invoice)."""

    __tablename__ = "invoices"
    __table_args__ = (
        CheckConstraint(f"kind IN {KINDS}", name="ck_invoices_kind"),
        CheckConstraint(f"status IN {STATUSES}", name="ck_invoices_status"),
        UniqueConstraint("producer_id", "series", "number", name="uq_invoices_number"),
        # One original per producer and order, one adjustment per original: a job run twice issues once.
        UniqueConstraint("order_id", "producer_id", "kind", name="uq_invoices_order_producer_kind"),
        Index("ix_invoices_status", "status", "next_attempt_at"),
        Index("ix_invoices_producer_issued", "producer_id", "issued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producers.id"))
    kind: Mapped[str] = mapped_column(String(12), default="original")
    adjusts_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    template: Mapped[str] = mapped_column(String(1))
    series: Mapped[str] = mapped_column(String(6))
    number: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    seller_name: Mapped[str] = mapped_column(String(300))
    seller_tax_code: Mapped[str] = mapped_column(String(14))
    seller_address: Mapped[str] = mapped_column(String(300))
    buyer_name: Mapped[str] = mapped_column(String(300))  # the person who bought
    buyer_company: Mapped[str] = mapped_column(String(300), default="")
    buyer_tax_code: Mapped[str] = mapped_column(String(14), default="")
    buyer_address: Mapped[str] = mapped_column(String(300), default="")
    buyer_email: Mapped[str] = mapped_column(String(200), default="")
    before_tax_vnd: Mapped[int] = mapped_column(BigInteger)
    tax_vnd: Mapped[int] = mapped_column(BigInteger)
    total_vnd: Mapped[int] = mapped_column(BigInteger)
    total_in_words: Mapped[str] = mapped_column(String(400))
    # Signed with a development certificate: not valid for tax, and says so on every view.
    is_test: Mapped[bool] = mapped_column(Boolean, default=False)
    xml: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    provider: Mapped[str] = mapped_column(String(10), default="none")
    provider_lookup_code: Mapped[str] = mapped_column(String(100), default="")
    authority_code: Mapped[str] = mapped_column(String(100), default="")  # mã của cơ quan thuế
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="InvoiceLine.position"
    )
    producer: Mapped[Producer] = relationship()
    adjusts: Mapped[Invoice | None] = relationship(remote_side=[id])


class InvoiceLine(db.Model):
    """A line as invoiced: goods (or the producer's share of shipping), amounts before tax, its VAT rate."""

    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(40), default="")
    name: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(60), default="")
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_vnd: Mapped[int] = mapped_column(BigInteger)  # before tax, rounded to the đồng
    amount_vnd: Mapped[int] = mapped_column(BigInteger)  # before tax; the rate's rounding lands here
    vat_rate: Mapped[str] = mapped_column(String(5))
    gross_vnd: Mapped[int] = mapped_column(BigInteger)  # what the buyer paid for the line, tax included

    invoice: Mapped[Invoice] = relationship(back_populates="lines")

    @property
    def unit_price(self) -> Decimal:
        """The unit price the invoice's XML says (DGia): amount / quantity exactly, as issued now.

        A line issued before then carries its rounded unit price, which is what its XML said.
        """
        if has_exact_unit_price(self.amount_vnd, self.quantity):
            return unit_price_of(self.amount_vnd, self.quantity)
        return Decimal(self.unit_price_vnd)

    @property
    def unit_price_text(self) -> str:
        """`78.703,5 ₫`: the exact unit price in Vietnamese grouping, decimals only when it has them."""
        return f"{format_decimal(self.unit_price, locale='vi_VN', decimal_quantization=False)}\xa0₫"
