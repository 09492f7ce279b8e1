"""Registering producers: the OCOP office only."""

from __future__ import annotations

import re

from sqlalchemy import select

from catalogue.accounts.principal import Principal
from catalogue.accounts.services import record
from catalogue.errors import Conflict, InvalidInput, PermissionDenied
from catalogue.extensions import db
from catalogue.geography.models import Locality
from catalogue.producers.models import LEGAL_FORMS, Producer
from catalogue.text import nfc, slugify, sort_key, unique_slug
from catalogue.transactions import use_case

# Vietnamese tax codes: 10 digits, or 13 with a branch suffix (0101234567-001).
TAX_CODE = re.compile(r"^\d{10}(-\d{3})?$")


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
    if tax_code and not TAX_CODE.match(tax_code):
        errors["tax_code"] = ["10 digits, or 13 as 0101234567-001."]
    if errors:
        raise InvalidInput("The producer is not valid.", errors)
    if tax_code and db.session.scalar(select(Producer.id).where(Producer.tax_code == tax_code)):
        raise Conflict(f"A producer with tax code {tax_code} exists.", {"tax_code": ["Already registered."]})
    producer = Producer(
        slug=unique_slug(slugify(name), set(db.session.scalars(select(Producer.slug)))),
        name=name,
        legal_form=values["legal_form"],
        tax_code=tax_code,
        locality=locality,
        address=nfc(values.get("address") or "").strip()[:300],
        phone=(values.get("phone") or "").strip()[:20],
        email=(values.get("email") or "").strip().lower()[:200],
        name_sort_key=sort_key(name),
    )
    db.session.add(producer)
    db.session.flush()
    record(principal, "producer.create", "producer", producer.id, {"name": [None, name]})
    return producer
