"""Registering producers: the OCOP office only."""

from __future__ import annotations

import re

from marshmallow import ValidationError
from sqlalchemy import select

from catalogue.accounts.principal import Principal
from catalogue.accounts.services import record
from catalogue.errors import Conflict, InvalidInput, PermissionDenied
from catalogue.extensions import db
from catalogue.geography.models import Locality
from catalogue.orders.schemas import vietnamese_phone
from catalogue.producers.models import LEGAL_FORMS, Producer
from catalogue.tax_codes import valid_tax_code
from catalogue.text import fold, nfc, slugify, sort_key, unique_slug
from catalogue.transactions import use_case

# Vietnamese tax codes: 10 digits, or 13 with a branch suffix (0101234567-001), and a check digit that holds.
TAX_CODE = re.compile(r"^\d{10}(-\d{3})?$")


class DuplicateName(Conflict):
    """A producer of the same name (tone marks and case aside) is already registered in the locality."""

    def __init__(self, existing: Producer) -> None:
        super().__init__(
            f"A producer named {existing.name!r} is already registered in this locality: confirm to add another.",
            {"name": ["A producer of this name exists in this locality."]},
        )
        self.existing = existing


class DuplicateTaxCode(Conflict):
    """The tax code is already a registered producer's."""


def same_name_in_locality(name: str, locality: Locality) -> Producer | None:
    """The producer of `locality` whose name reads as `name` once tone marks, case and spacing are set aside."""
    wanted = " ".join(fold(name).split())
    candidates = db.session.scalars(select(Producer).where(Producer.locality_id == locality.id))
    return next((producer for producer in candidates if " ".join(fold(producer.name).split()) == wanted), None)


@use_case
def create_producer(principal: Principal, values: dict) -> Producer:
    """A new producer (company, cooperative or household business) with a slug from its name."""
    if not principal.is_admin:
        raise PermissionDenied("Only the OCOP office registers producers.")
    name = nfc(values.get("name") or "").strip()
    errors: dict[str, list[str]] = {}
    if not 3 <= len(name) <= 200:
        errors["name"] = ["3–200 characters."]
    if values.get("legal_form") not in LEGAL_FORMS:
        errors["legal_form"] = [f"Must be one of {', '.join(LEGAL_FORMS)}."]
    locality = db.session.scalar(select(Locality).where(Locality.code == values.get("locality")))
    if locality is None:
        errors["locality"] = ["Unknown locality."]
    tax_code = (values.get("tax_code") or "").strip() or None
    if tax_code and (not TAX_CODE.match(tax_code) or valid_tax_code(tax_code) is None):
        errors["tax_code"] = ["10 digits, or 13 as 0101234567-001, with a valid check digit."]
    phone = (values.get("phone") or "").strip()
    if phone:
        try:
            phone = vietnamese_phone(phone)
        except ValidationError:
            errors["phone"] = ["Must be a Vietnamese phone number, e.g. 0912345678."]
    if errors:
        raise InvalidInput("The producer is not valid.", errors)
    if tax_code and db.session.scalar(select(Producer.id).where(Producer.tax_code == tax_code)):
        raise DuplicateTaxCode(f"A producer with tax code {tax_code} exists.", {"tax_code": ["Already registered."]})
    existing = same_name_in_locality(name, locality)
    if existing is not None and not values.get("confirm_duplicate"):
        raise DuplicateName(existing)
    producer = Producer(
        slug=unique_slug(slugify(name), set(db.session.scalars(select(Producer.slug)))),
        name=name,
        legal_form=values["legal_form"],
        tax_code=tax_code,
        locality=locality,
        address=nfc(values.get("address") or "").strip()[:300],
        phone=phone[:20],
        email=(values.get("email") or "").strip().lower()[:200],
        name_sort_key=sort_key(name),
    )
    db.session.add(producer)
    db.session.flush()
    record(principal, "producer.create", "producer", producer.id, {"name": [None, name]})
    return producer
