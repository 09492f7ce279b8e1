"""The office's column mapping, saved once and reused for every later file (one settings row)."""

from __future__ import annotations

import json

from sqlalchemy import select

from catalogue.accounts.principal import Principal
from catalogue.accounts.services import record
from catalogue.errors import PermissionDenied
from catalogue.extensions import db
from catalogue.imports.columns import clean_mapping
from catalogue.imports.models import ColumnMapping
from catalogue.transactions import use_case

DEFAULT = "default"


def saved_mapping(name: str = DEFAULT) -> dict[str, str]:
    """The mapping saved under `name` ({} when none)."""
    stored = db.session.scalar(select(ColumnMapping.mapping).where(ColumnMapping.name == name))
    return clean_mapping(json.loads(stored)) if stored else {}


@use_case
def save_mapping(principal: Principal, mapping: dict, name: str = DEFAULT) -> dict[str, str]:
    """Remember `mapping` (only known fields with a heading) for the next files."""
    if not principal.is_admin:
        raise PermissionDenied("Chỉ văn phòng OCOP được ghép cột cho việc nhập danh sách.")
    cleaned = clean_mapping(mapping)
    row = db.session.scalar(select(ColumnMapping).where(ColumnMapping.name == name))
    if row is None:
        row = ColumnMapping(name=name)
        db.session.add(row)
    row.mapping = json.dumps(cleaned, ensure_ascii=False)
    record(principal, "import.mapping", "import_column_mapping", None, {"mapping": [None, cleaned]})
    return cleaned
