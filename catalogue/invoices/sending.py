"""Sending issued invoices to their provider: outside any transaction, recorded in short ones.

An invoice that cannot be sent (provider down, timeout, not configured) stays `queued` with
the reason and the time of its next try; `send_due` (a Celery beat task, or
`flask invoices send`) retries it. A rejection is kept with the provider's reason for the
office. Nothing here changes an invoice's number or content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select

from catalogue import metrics
from catalogue.extensions import db
from catalogue.invoices.models import Invoice
from catalogue.invoices.providers import (
    PROVIDER_NAMES,
    ProviderRejected,
    ProviderUnavailable,
    Submission,
    provider_for,
)
from catalogue.transactions import calls_out, use_case


@dataclass(frozen=True)
class _Pending:
    id: int
    provider: str
    submission: Submission


@use_case
def _pending(invoice_id: int) -> _Pending | None:
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None or invoice.status != "queued" or invoice.provider == "none":
        return None  # sent, refused, or no provider chosen yet (it waits, its reason given at issuance)
    key = f"{invoice.seller_tax_code}-{invoice.template}{invoice.series}-{invoice.number}"
    return _Pending(invoice.id, invoice.provider, Submission(key, invoice.seller_tax_code, invoice.xml.encode()))


@use_case
def _record(invoice_id: int, now: datetime, status: str, error: str = "", lookup: str = "", authority: str = ""):
    invoice = db.session.get(Invoice, invoice_id, with_for_update=True)
    if invoice is None or invoice.status != "queued":
        return
    invoice.attempts += 1
    invoice.last_error = error[:500]
    if status == "sent":
        invoice.status, invoice.sent_at = "sent", now
        invoice.provider_lookup_code, invoice.authority_code = lookup[:100], authority[:100]
        invoice.next_attempt_at = None
    elif status == "rejected":
        invoice.status, invoice.next_attempt_at = "rejected", None
    else:  # stays queued: next try later, waiting longer after each failure
        minutes = current_app.config["INVOICE_RETRY_MINUTES"] * min(2 ** (invoice.attempts - 1), 32)
        invoice.next_attempt_at = now + timedelta(minutes=minutes)


@calls_out
def send_invoice(invoice_id: int, now: datetime) -> str:
    """Send one queued invoice; what became of it: sent, rejected, queued (retry later) or skipped."""
    outcome = _send(invoice_id, now)
    if outcome != "skipped":
        metrics.INVOICES.labels(outcome).inc()
    return outcome


def _send(invoice_id: int, now: datetime) -> str:
    pending = _pending(invoice_id)
    if pending is None:
        return "skipped"
    provider = provider_for(current_app.config, pending.provider)
    if provider is None:
        name = PROVIDER_NAMES.get(pending.provider, pending.provider)
        problem = f"Chưa cấu hình kết nối tới {name}: hãy báo quản trị hệ thống đặt khoá kết nối."
        _record(invoice_id, now, "queued", problem)
        return "queued"
    try:
        receipt = provider.submit(pending.submission)
    except ProviderRejected as error:
        _record(invoice_id, now, "rejected", f"Nhà cung cấp từ chối: {error}")
        return "rejected"
    except ProviderUnavailable as error:
        _record(invoice_id, now, "queued", f"Chưa gửi được: {error}")
        return "queued"
    _record(invoice_id, now, "sent", lookup=receipt.lookup_code, authority=receipt.authority_code)
    return "sent"


@use_case
def due_invoices(now: datetime, limit: int = 200) -> list[int]:
    """Queued invoices whose next try has come (those with a provider chosen), oldest first."""
    return list(
        db.session.scalars(
            select(Invoice.id)
            .where(
                Invoice.status == "queued",
                Invoice.provider != "none",
                or_(Invoice.next_attempt_at.is_(None), Invoice.next_attempt_at <= now),
            )
            .order_by(Invoice.id)
            .limit(limit)
        )
    )


@calls_out
def send_due(now: datetime) -> dict[str, int]:
    """Try every queued invoice that is due; counts by outcome."""
    outcomes: dict[str, int] = {}
    for invoice_id in due_invoices(now):
        outcome = send_invoice(invoice_id, now)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes
