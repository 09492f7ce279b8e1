"""The office's import page (a decision list uploaded, its columns mapped once, each run's report) and the exports.

Routes join the office's blueprint (`portal_admin`: signed in, admins only). The import itself is
catalogue.imports'; short files run while the page waits, long ones in the background, and the
job's page follows its progress row (it reloads itself while the job runs: no script needed).
"""

from __future__ import annotations

import json

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, StringField, SubmitField

from catalogue.error_answers import for_reader
from catalogue.extensions import db
from catalogue.forms import Form, length
from catalogue.imports.columns import FIELDS, HEADINGS, REQUIRED, column_positions
from catalogue.imports.jobs import create_job, start_job
from catalogue.imports.mappings import save_mapping, saved_mapping
from catalogue.imports.models import ImportJob
from catalogue.imports.reading import SheetRefused, read_sheet
from catalogue.portal.admin import portal_admin
from catalogue.portal.auth import current_principal
from catalogue.portal.forms import ButtonForm
from catalogue.portal.views import portal


class ImportForm(Form):
    """The file, whether to only try it, and the sheet's own name of each column (empty: the contract's)."""

    sheet = FileField(_l("File danh sách (XLSX hoặc CSV)"), validators=[FileRequired(_l("Chọn một file."))])
    dry_run = BooleanField(_l("Chạy thử: chỉ xem kết quả, chưa ghi gì"), default=True)
    remember = BooleanField(_l("Ghi nhớ cách ghép cột cho các lần sau"), default=True)
    submit = SubmitField(_l("Nhập danh sách"))


for _field in FIELDS:
    setattr(ImportForm, f"column_{_field}", StringField(HEADINGS[_field], validators=[length(max=100)]))


@portal_admin.route("/imports", methods=["GET", "POST"])
def imports():
    """Upload a decision list (dry run by default); the mapping is remembered once the clerk asks."""
    saved = saved_mapping()
    form = ImportForm(data={f"column_{field}": saved.get(field, "") for field in FIELDS} if not _posted() else None)
    error = None
    if form.validate_on_submit():
        mapping = {field: (form[f"column_{field}"].data or "").strip() for field in FIELDS}
        mapping = {field: heading for field, heading in mapping.items() if heading}
        content = form.sheet.data.read()
        try:
            sheet = read_sheet(content, form.sheet.data.filename or "")
            column_positions(sheet.headings, mapping)
        except SheetRefused as refused:
            error = for_reader(refused.message, 422)
        else:
            principal = current_principal()
            if form.remember.data and mapping != saved:
                save_mapping(principal, mapping)
            job = create_job(principal, form.sheet.data.filename or "", content, mapping, form.dry_run.data)
            start_job(job.id, len(sheet.rows))
            return redirect(url_for("portal_admin.import_job", job_id=job.id), code=303)
    recent = db.session.scalars(db.select(ImportJob).order_by(ImportJob.id.desc()).limit(10)).all()
    status = 422 if (error or form.errors) else 200
    fields = [(field, form[f"column_{field}"], field in REQUIRED) for field in FIELDS]
    return render_template("portal/admin/imports.html", form=form, fields=fields, error=error, recent=recent), status


@portal_admin.get("/imports/<int:job_id>")
def import_job(job_id: int):
    """A job's progress while it runs, then what each row did."""
    job = db.session.get(ImportJob, job_id)
    if job is None:
        abort(404)
    outcomes = json.loads(job.outcomes or "[]")
    summary = json.loads(job.summary or "{}")
    return render_template(
        "portal/admin/import_job.html", job=job, outcomes=outcomes, summary=summary, button=ButtonForm()
    )


@portal_admin.post("/imports/<int:job_id>/apply")
def apply_import(job_id: int):
    """After a dry run the clerk imports the same file for real, read with the same mapping."""
    job = db.session.get(ImportJob, job_id)
    if job is None:
        abort(404)
    if not ButtonForm().validate() or not job.dry_run or job.state != "done" or not job.content:
        flash(gettext("Không nhập được từ lần chạy thử này: hãy tải file lên lại."), "warning")
        return redirect(url_for("portal_admin.import_job", job_id=job_id), code=303)
    real = create_job(current_principal(), job.filename, job.content, json.loads(job.mapping or "{}"), False)
    start_job(real.id, job.total_rows)
    return redirect(url_for("portal_admin.import_job", job_id=real.id), code=303)


@portal.get("/products/export.<string:kind>")
def export_range(kind: str):
    """A producer's own products only (never another's), as CSV or XLSX; the office gets the whole catalogue."""
    principal = current_principal()
    if principal.is_admin:
        return redirect(url_for("portal_admin.export_catalogue", kind=kind))
    if principal.producer_id is None:
        abort(403)
    return _export(kind, principal.producer_id, "san-pham")


def _export(kind: str, producer_id: int | None, name: str):
    """Answer the products as a download; 404 for a format not offered."""
    from flask import Response

    from catalogue import clock
    from catalogue.imports import exports

    if kind not in exports.FORMATS:
        abort(404)
    rows = exports.catalogue_rows(clock.today(), producer_id)
    day = clock.today().isoformat()
    if kind == "csv":
        body, mimetype = exports.as_csv(rows), "text/csv; charset=utf-8"
    else:
        body, mimetype = exports.as_xlsx(rows, "San pham"), exports.XLSX_MIMETYPE
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}-{day}.{kind}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _posted() -> bool:
    from flask import request

    return request.method == "POST"


@portal_admin.get("/exports/catalogue.<string:kind>")
def export_catalogue(kind: str):
    """The whole catalogue, every status, as CSV or XLSX."""
    return _export(kind, None, "catalogue-ocop")
