"""An import as a job with a progress row: a Celery task when CELERY_BROKER_URL is set, else a thread of this process.

The uploaded file waits in the job's row (a worker on another node reads it there) and is dropped
once read. The page polls the row: `done_rows` of `total_rows` moves at every committed chunk.
A job whose process died stays `running`; the office starts the file again, which is safe: an
import of the same file changes only what the first did not.
"""

from __future__ import annotations

import json
import logging
import threading

from flask import Flask, current_app
from sqlalchemy import update

from catalogue import clock
from catalogue.accounts.principal import SYSTEM, Principal
from catalogue.errors import DomainError
from catalogue.extensions import db
from catalogue.imports.importing import import_decisions
from catalogue.imports.models import ImportJob
from catalogue.imports.reading import read_sheet
from catalogue.transactions import use_case

log = logging.getLogger(__name__)
# Files up to this many rows are imported while the page waits; longer ones go to the background.
INLINE_ROWS = 300


@use_case
def create_job(principal: Principal, filename: str, content: bytes, mapping: dict, dry_run: bool) -> ImportJob:
    """Keep the file and how to read it; the job is queued until run_job reads it."""
    job = ImportJob(
        filename=(filename or "bang-tinh")[:200],
        dry_run=dry_run,
        state="queued",
        content=content,
        mapping=json.dumps(mapping, ensure_ascii=False),
        summary="{}",
        outcomes="[]",
        error="",
        actor_user_id=principal.user_id,
        actor=principal.label,
    )
    db.session.add(job)
    db.session.flush()
    return job


def start_job(job_id: int, rows: int) -> None:
    """Run the job now when it is short, else in the background (Celery, or a thread of this process)."""
    if rows <= current_app.config.get("IMPORT_INLINE_ROWS", INLINE_ROWS):
        run_job(job_id)
    elif current_app.config.get("CELERY_BROKER_URL"):
        from catalogue.tasks import run_import

        run_import.delay(job_id)
    else:
        app = current_app._get_current_object()
        threading.Thread(target=_run_in_thread, args=(app, job_id), name=f"import-{job_id}", daemon=True).start()


def _run_in_thread(app: Flask, job_id: int) -> None:
    with app.app_context():
        try:
            run_job(job_id)
        finally:
            db.session.remove()


def run_job(job_id: int) -> ImportJob | None:
    """Read the job's file and import it, updating its progress row; a refused file marks it failed."""
    if not _claim(job_id):
        return db.session.get(ImportJob, job_id)  # taken by another worker (Celery redelivers a lost task)
    job = db.session.get(ImportJob, job_id)
    principal = _principal_of(job)
    try:
        sheet = read_sheet(job.content or b"", job.filename)
        _count(job_id, len(sheet.rows))
        report = import_decisions(
            principal,
            sheet,
            clock.today(),
            dry_run=job.dry_run,
            mapping=json.loads(job.mapping or "{}"),
            progress=lambda done: _progress(job_id, done),
        )
    except DomainError as error:
        db.session.rollback()
        _finish(job_id, "failed", error=error.message)
    except Exception:
        db.session.rollback()
        log.exception("Import job %s failed", job_id)
        _finish(job_id, "failed", error="Lỗi không mong đợi khi nhập: hãy thử lại, hoặc báo cho quản trị.")
        raise
    else:
        _finish(
            job_id,
            "done",
            summary=json.dumps(report.counts),
            outcomes=json.dumps([outcome.as_dict() for outcome in report.outcomes], ensure_ascii=False),
        )
    db.session.expire_all()
    return db.session.get(ImportJob, job_id)


def _principal_of(job: ImportJob) -> Principal:
    """The office user who started the job (an admin), as services see them; the CLI's system principal if gone."""
    from catalogue.accounts.models import User

    user = db.session.get(User, job.actor_user_id) if job.actor_user_id else None
    if user is None or user.role != "admin":
        return SYSTEM
    return Principal(user.id, "admin", None, frozenset({"admin", "catalogue:write"}), job.actor or user.email)


@use_case
def _claim(job_id: int) -> bool:
    """Queued → running in one conditional UPDATE: of two workers given the same job, one runs it."""
    claimed = db.session.execute(
        update(ImportJob).where(ImportJob.id == job_id, ImportJob.state == "queued").values(state="running")
    )
    return claimed.rowcount == 1


@use_case
def _count(job_id: int, total: int) -> None:
    db.session.execute(update(ImportJob).where(ImportJob.id == job_id).values(total_rows=total))


def _progress(job_id: int, done: int) -> None:
    """Inside the chunk's transaction: the progress commits with the rows it counts."""
    db.session.execute(update(ImportJob).where(ImportJob.id == job_id).values(done_rows=done))


@use_case
def _finish(job_id: int, state: str, **values) -> None:
    done = {"done_rows": ImportJob.total_rows} if state == "done" else {}
    # A dry run keeps its file, so the clerk can import it for real from its report; a real run drops it.
    kept = {} if state == "done" else {"content": None}
    db.session.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id)
        .values(state=state, finished_at=clock.now(), **kept, **done, **values)
    )
    db.session.execute(
        update(ImportJob).where(ImportJob.id == job_id, ImportJob.dry_run.is_(False)).values(content=None)
    )
