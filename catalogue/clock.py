"""What day it is in Quảng Ninh: certificate validity is judged by the local date."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def today() -> date:
    """Today's date in Vietnam, or `CATALOGUE_TODAY` when a test pins it."""
    pinned = current_app.config.get("CATALOGUE_TODAY")
    if pinned:
        return pinned if isinstance(pinned, date) else date.fromisoformat(pinned)
    return datetime.now(VIETNAM).date()


def now() -> datetime:
    """The current instant, timezone-aware (UTC)."""
    return datetime.now(UTC)
