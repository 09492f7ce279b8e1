"""Looking up localities by the codes clients send."""

from __future__ import annotations

from sqlalchemy import select

from catalogue.errors import InvalidInput
from catalogue.extensions import db
from catalogue.geography.models import Locality


def locality_id(code: str) -> int:
    """The id of the locality with this code; a 422 naming the `locality` field otherwise."""
    found = db.session.scalar(select(Locality.id).where(Locality.code == code))
    if found is None:
        raise InvalidInput(f"There is no locality '{code}'.", {"locality": [f"Unknown locality '{code}'."]})
    return found
