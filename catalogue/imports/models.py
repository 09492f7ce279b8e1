"""An import's progress row (the page polls it) and the column mappings the office saved."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from catalogue.extensions import db
from catalogue.models_base import utcnow

IMPORT_STATES = ("queued", "running", "done", "failed")


class ImportJob(db.Model):
    """One import of a decision list: who, which file, how far, and what each row did (JSON) once done."""

    __tablename__ = "import_jobs"
    __table_args__ = (CheckConstraint(f"state IN {IMPORT_STATES}", name="ck_import_jobs_state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(200))
    dry_run: Mapped[bool] = mapped_column(Boolean, default=True)
    state: Mapped[str] = mapped_column(String(10), default="queued")
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    done_rows: Mapped[int] = mapped_column(Integer, default=0)
    # {"created": n, "updated": n, "unchanged": n, "refused": n} and the rows' outcomes, once done.
    summary: Mapped[str] = mapped_column(Text, default="{}")
    outcomes: Mapped[str] = mapped_column(Text, default="[]")
    # The uploaded file until the job has read it (a Celery worker on another node reads it from here), and the
    # column mapping it is read with (JSON {field: heading}).
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    mapping: Mapped[str] = mapped_column(Text, default="{}")
    # Why the whole file was refused (not a spreadsheet, too many rows…), in Vietnamese.
    error: Mapped[str] = mapped_column(Text, default="")
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ColumnMapping(db.Model):
    """The office's mapping of a sheet's own headings to the contract's, saved once and reused (one row per name)."""

    __tablename__ = "import_column_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    # JSON {field: heading as the sheet spells it}, field being one of catalogue.imports.columns.FIELDS.
    mapping: Mapped[str] = mapped_column(Text, default="{}")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
