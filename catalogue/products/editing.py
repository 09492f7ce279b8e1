"""Changing the catalogue: producers edit their own products, the OCOP office any.

Ownership is checked here, not only in views: every function takes the acting
Principal and refuses (PermissionDenied) before touching anything. Which fields a
role may set is decided here too, so no form or schema can mass-assign. Every
change is written to the audit log in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import nh3
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from catalogue import clock
from catalogue.accounts.principal import Principal
from catalogue.accounts.services import record
from catalogue.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from catalogue.extensions import db
from catalogue.geography.models import Locality
from catalogue.producers.models import Producer
from catalogue.products import certificates
from catalogue.products.models import Category, Certificate, Product
from catalogue.products.services import refresh_derived_fields
from catalogue.text import nfc, slugify, unique_slug
from catalogue.transactions import use_case

PRODUCER_FIELDS = frozenset(
    {"name", "description", "unit", "net_weight_g", "price_vnd", "stock", "status", "category", "gtin"}
)
ADMIN_FIELDS = PRODUCER_FIELDS | {"locality", "producer"}
# What a certificate rated: a producer changing these on a rated listing makes it another product, for the office to
# review (a renamed product must not keep stars it was never given).
RATED_IDENTITY_FIELDS = frozenset({"name", "category", "unit", "net_weight_g"})
DESCRIPTION_TAGS = {"p", "br", "strong", "em", "b", "i", "ul", "ol", "li"}
EDITABLE_STATUSES = ("draft", "active", "archived")


class PreconditionFailed(Conflict):
    """Answered as 412: the product changed since the caller read it."""

    http_status = 412


@dataclass(frozen=True)
class Change:
    """A field's value before and after."""

    before: object
    after: object


def editable_product(principal: Principal, product_id: int) -> Product:
    """The product, if the principal may change it (owner with catalogue:write, or admin)."""
    product = db.session.get(Product, product_id)
    if product is None:
        raise NotFound(f"No product {product_id}.")
    if not may_edit(principal, product.producer_id):
        raise PermissionDenied("Only the product's producer or the OCOP office may change it.")
    return product


def may_edit(principal: Principal, producer_id: int) -> bool:
    """Admins anything; a producer's catalogue:write principal its own products only."""
    return principal.is_admin or (principal.can("catalogue:write") and principal.owns_producer(producer_id))


@use_case
def create_product(principal: Principal, values: dict, today: date) -> Product:
    """A new product (draft unless `status` says otherwise), rated by one of the producer's certificates.

    The office's listings are public once active and rated; a producer's wait for the
    office's approval (catalogue.products.moderation), and so does the certificate it names.
    """
    _check_fields(principal, values)
    producer = _producer_for(principal, values.get("producer"))
    certificate_no = values.pop("certificate_no", None)
    review_status = "approved" if principal.is_admin else "pending"
    product = Product(status="draft", stock=0, version=1, review_status=review_status, rejection_reason="")
    with db.session.no_autoflush:  # the row is complete only once sku and slug are chosen
        db.session.add(product)
        product.producer, product.locality = producer, producer.locality
        changes = _apply(product, values)
        product.sku = _next_sku(product.locality)
        product.slug = unique_slug(slugify(product.name), set(db.session.scalars(select(Product.slug))))
        refresh_derived_fields(product)
    db.session.flush()
    if certificate_no:
        changes.update(_name_certificate(principal, product, certificate_no, today))
    changes["review_status"] = [None, product.review_status]
    record(principal, "product.create", "product", product.id, changes)
    return product


@use_case
def update_product(
    principal: Principal, product_id: int, values: dict, expected_version: int | None, today: date | None = None
) -> Product:
    """Change some fields; refused with 412 when `expected_version` is not the current one.

    A producer naming a certificate (a re-rating) sends the listing back to the office's
    review, and so do a producer's edit of a rejected listing and a producer's change of what a
    rated listing is (name, product set, unit, weight); the office's edits never do.
    """
    product = editable_product(principal, product_id)
    _check_version(product, expected_version)
    _check_fields(principal, values)
    values = dict(values)
    certificate_no = values.pop("certificate_no", None)
    review_before = product.review_status
    changes = _apply(product, values)
    if certificate_no:
        changes.update(_name_certificate(principal, product, certificate_no, today or clock.today()))
    elif not principal.is_admin and needs_review(product, set(changes)):
        _ask_for_review(product, product.requested_certificate)
    if product.review_status != review_before:
        changes["review_status"] = [review_before, product.review_status]
    if changes:
        refresh_derived_fields(product)
        record(principal, "product.update", "product", product.id, changes)
    _flush_versioned()
    return product


def needs_review(product: Product, changed_fields: set[str]) -> bool:
    """Whether a producer's change of these fields sends the listing (back) to the office's review.

    A producer's edit of a rejected listing does, and so does a change of what a rated listing is
    (RATED_IDENTITY_FIELDS); stock alone never. Public so a preview (the bulk update's) can say
    so before anything is written, by the same rule update_product applies.
    """
    if product.review_status == "rejected":
        return bool(changed_fields - {"stock"})
    return product.current_certificate_id is not None and bool(changed_fields & RATED_IDENTITY_FIELDS)


@use_case
def archive_product(principal: Principal, product_id: int, expected_version: int | None = None) -> Product:
    """Archive (never delete: orders refer to it); it leaves the storefront and the marketplaces."""
    return update_product(principal, product_id, {"status": "archived"}, expected_version)


@use_case
def set_stock(principal: Principal, product_id: int, stock: int, expected_version: int | None = None) -> Product:
    """Set the stock count after a stocktake or a new batch."""
    return update_product(principal, product_id, {"stock": stock}, expected_version)


def _check_version(product: Product, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != product.version:
        raise PreconditionFailed(
            f"Product {product.id} changed since you read it (now version {product.version}); read it again.",
            {"version": [f"Expected {expected_version}, is {product.version}."]},
        )


def _flush_versioned() -> None:
    """Write now, so a concurrent change is a 412 here (the use case then rolls back)."""
    try:
        db.session.flush()
    except StaleDataError as error:  # someone else committed between our read and our write
        raise PreconditionFailed("The product changed while saving; read it again.") from error


def _check_fields(principal: Principal, values: dict) -> None:
    allowed = ADMIN_FIELDS if principal.is_admin else PRODUCER_FIELDS
    refused = set(values) - allowed - {"certificate_no"}
    if refused:
        raise PermissionDenied(
            f"You may not set {', '.join(sorted(refused))}.", {name: ["Not allowed for you."] for name in refused}
        )


def _producer_for(principal: Principal, producer_slug: str | None) -> Producer:
    if principal.is_admin:
        if not producer_slug:
            raise InvalidInput("Say which producer the product belongs to.", {"producer": ["Required."]})
        producer = db.session.scalar(select(Producer).where(Producer.slug == producer_slug))
        if producer is None:
            raise InvalidInput(f"No producer '{producer_slug}'.", {"producer": ["Unknown producer."]})
        return producer
    if not principal.can("catalogue:write") or principal.producer_id is None:
        raise PermissionDenied("Only producers (catalogue:write) and the OCOP office create products.")
    return db.session.get(Producer, principal.producer_id)


def _apply(product: Product, values: dict) -> dict:
    """Set the given fields (already type-checked); returns {field: [before, after]} of real changes."""
    changes: dict[str, list] = {}
    for name, value in values.items():
        if name == "category":
            category = db.session.scalar(select(Category).where(Category.code == value))
            if category is None:
                raise InvalidInput(f"No product set '{value}'.", {"category": ["Unknown category."]})
            before, after = (product.category.code if product.category else None), category.code
            product.category = category
        elif name == "locality":
            locality = db.session.scalar(select(Locality).where(Locality.code == value))
            if locality is None:
                raise InvalidInput(f"No locality '{value}'.", {"locality": ["Unknown locality."]})
            before, after = (product.locality.code if product.locality else None), locality.code
            product.locality = locality
        elif name == "producer":
            continue  # chosen at creation only
        elif name == "gtin":
            before, after = product.gtin, checked_gtin(product, value)
            product.gtin = after
        else:
            value = _clean(name, value)
            before, after = getattr(product, name), value
            setattr(product, name, value)
        if before != after:
            changes[name] = [before, after]
    return changes


def checked_gtin(product: Product, value: str | None) -> str | None:
    """A GTIN the product may carry (EAN-13, 893, right check digit, no other product's); None clears it."""
    from catalogue.traceability.digital_link import gtin_problem

    value = (value or "").strip() or None
    if value is None:
        return None
    problem = gtin_problem(value)
    messages = {
        "length": "A GTIN here is the 13 digits of an EAN-13.",
        "prefix": "A Vietnamese product's GTIN starts with 893.",
        "check_digit": "The GTIN's check digit (its last) is wrong.",
    }
    if problem:
        raise InvalidInput(messages[problem], {"gtin": [messages[problem]]})
    holder = db.session.scalar(select(Product.id).where(Product.gtin == value, Product.id != product.id))
    if holder is not None:
        message = "Another product already carries this GTIN."
        raise InvalidInput(message, {"gtin": [message]})
    return value


def _clean(name: str, value):
    if name == "description":
        return nh3.clean(nfc(value), tags=DESCRIPTION_TAGS, attributes={}).strip()
    if name in ("name", "unit"):
        return nfc(value).strip()
    if name == "status" and value not in EDITABLE_STATUSES:
        raise InvalidInput("Unknown status.", {"status": [f"Must be one of {', '.join(EDITABLE_STATUSES)}."]})
    return value


def _next_sku(locality: Locality) -> str:
    prefix = f"QN-{locality.sku_prefix}-"
    last = db.session.scalar(select(func.max(Product.sku)).where(Product.sku.like(f"{prefix}%")))
    number = int(last.rsplit("-", 1)[1]) + 1 if last and last.rsplit("-", 1)[1].isdigit() else 1
    return f"{prefix}{number:04d}"


def _name_certificate(principal: Principal, product: Product, certificate_no: str, today: date) -> dict:
    """Rate `product` by one of its producer's valid certificates: at once for the office, else on approval."""
    source = certificates.producer_certificate(product.producer_id, certificate_no, today)
    if source.product_id == product.id:  # it already rates the product it was issued for
        return {}
    if principal.is_admin:
        before = product.current_certificate
        certificates.rate_by_copy_of(product, source)
        product.requested_certificate = None
        return {"certificate": [_number(before), source.certificate_no]}
    before = product.requested_certificate
    _ask_for_review(product, source)
    return {} if before is source else {"requested_certificate": [_number(before), source.certificate_no]}


def _number(certificate: Certificate | None) -> str | None:
    return certificate.certificate_no if certificate else None


def _ask_for_review(product: Product, requested: Certificate | None) -> None:
    """Put the listing in the office's queue; the last decision no longer applies."""
    product.review_status = "pending"
    product.requested_certificate = requested
    product.reviewed_by, product.reviewed_at, product.rejection_reason = None, None, ""
