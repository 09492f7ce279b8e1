"""Column helpers shared by the domain models."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.orm import Mapped, mapped_column


def utcnow() -> datetime:
    """Timezone-aware now, the only clock models use."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A stored moment as aware UTC: SQLite gives timezone columns back naive, and they hold UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def token_digest(token: str) -> str:
    """What is stored of a bearer secret (API tokens, order access tokens): its SHA-256, never the token."""
    return hashlib.sha256(token.encode()).hexdigest()


class Timestamped:
    """Adds created_at/updated_at, maintained on every ORM update."""

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
