"""The marketplace mapping data file (catalogue/sync/marketplace_mappings.json)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

MAPPINGS_FILE = Path(__file__).with_name("marketplace_mappings.json")


@lru_cache(maxsize=1)
def mappings() -> dict:
    """The whole mapping file, read once."""
    return json.loads(MAPPINGS_FILE.read_text(encoding="utf-8"))


def google_category(category_code: str) -> str | None:
    return mappings()["google"].get(category_code)
