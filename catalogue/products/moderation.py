"""The OCOP office's review of producers' listings.

A certificate rates the products it was issued for; rating another product is the
office's decision. So a producer's new listing, and any producer change naming a
certificate, waits here (`review_status` pending) and is never public until the
office approves it (catalogue.products.services.publicly_listed). Approving a
listing that asked for a certificate rates it by a copy of that certificate;
rejecting one keeps it off the shop with a reason its producer reads (and keeps
what it asked, so the producer's next edit asks again). Every
decision is written to the audit log in the same transaction.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from catalogue.accounts.principal import Principal
from catalogue.accounts.services import record
from catalogue.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from catalogue.extensions import db
from catalogue.products import certificates
from catalogue.products.models import Certificate, Product
from catalogue.products.services import Page
from catalogue.text import nfc
from catalogue.transactions import use_case

MAX_REASON_LENGTH = 1000


class NotPending(Conflict):
    """The listing was decided meanwhile (or never asked): nothing to approve or reject."""


def pending_count() -> int:
    """How many listings wait for the office."""
    return db.session.scalar(select(func.count(Product.id)).where(Product.review_status == "pending")) or 0


def pending_listings(page: int = 1, per_page: int = 50) -> Page[Product]:
    """Listings waiting for the office, oldest request first, with what each asks."""
    waiting = select(Product).where(Product.review_status == "pending")
    total = db.session.scalar(select(func.count()).select_from(waiting.subquery())) or 0
    items = db.session.scalars(
        waiting.options(
            joinedload(Product.producer),
            joinedload(Product.category),
            joinedload(Product.current_certificate),
            joinedload(Product.requested_certificate).joinedload(Certificate.product),
        )
        .order_by(Product.updated_at, Product.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page(items=items, total=total, page=page, per_page=per_page)


@use_case
def approve_listing(principal: Principal, product_id: int, today: date, now: datetime) -> Product:
    """Publish a pending listing (public once active and rated); rates it by the certificate it named."""
    product = _pending(principal, product_id)
    requested = product.requested_certificate
    changes: dict[str, list] = {"review_status": ["pending", "approved"]}
    if requested is not None:
        if not certificates.rates_on(requested, today):
            raise InvalidInput(
                f"Certificate {requested.certificate_no} is not valid today; reject the listing instead.",
                {"certificate_no": ["Not valid today."]},
            )
        before = product.current_certificate.certificate_no if product.current_certificate else None
        certificates.rate_by_copy_of(product, requested)
        product.requested_certificate = None
        changes["certificate"] = [before, requested.certificate_no]
    _decide(product, principal, now, "approved", "")
    record(principal, "product.approve", "product", product.id, changes)
    return product


@use_case
def reject_listing(principal: Principal, product_id: int, reason: str, now: datetime) -> Product:
    """Keep a pending listing off the shop, telling its producer why."""
    reason = nfc(reason or "").strip()
    if not reason:
        raise InvalidInput("Say why the listing is rejected.", {"reason": ["Required."]})
    if len(reason) > MAX_REASON_LENGTH:
        raise InvalidInput("The reason is too long.", {"reason": [f"At most {MAX_REASON_LENGTH} characters."]})
    product = _pending(principal, product_id)
    _decide(product, principal, now, "rejected", reason)
    changes = {"review_status": ["pending", "rejected"], "reason": [None, reason]}
    record(principal, "product.reject", "product", product.id, changes)
    return product


def _pending(principal: Principal, product_id: int) -> Product:
    if not principal.is_admin:
        raise PermissionDenied("Only the OCOP office reviews listings.")
    product = db.session.get(Product, product_id)
    if product is None:
        raise NotFound(f"No product {product_id}.")
    if product.review_status != "pending":
        raise NotPending(f"Product {product_id} is not waiting for review (it is {product.review_status}).")
    return product


def _decide(product: Product, principal: Principal, now: datetime, decision: str, reason: str) -> None:
    product.review_status = decision
    product.reviewed_by, product.reviewed_at, product.rejection_reason = principal.label, now, reason
