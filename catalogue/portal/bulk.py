"""A producer's bulk pages: its range updated from an edited spreadsheet (preview, then apply), photos from a ZIP.

The preview's changed rows travel to the apply step in the page itself, signed with the app's
secret (itsdangerous) and bound to the signed-in user, so nothing is stored between the two steps
and a tampered plan is refused; apply still runs every row through the single edit's service,
which checks ownership and the row's version again.
"""

from __future__ import annotations

from dataclasses import asdict

from flask import abort, current_app, render_template
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from itsdangerous import BadSignature, URLSafeTimedSerializer
from wtforms import HiddenField, SubmitField

from catalogue import clock
from catalogue.error_answers import for_reader
from catalogue.forms import Form
from catalogue.imports import bulk_updates, photo_zip
from catalogue.imports.reading import SheetRefused, read_sheet
from catalogue.portal.auth import current_principal
from catalogue.portal.views import portal

PLAN_SALT = "portal.bulk-update"
PLAN_MAX_AGE = 3600  # an hour between the preview and the apply
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class BulkUploadForm(Form):
    sheet = FileField(_l("File sản phẩm đã sửa (XLSX hoặc CSV)"), validators=[FileRequired(_l("Chọn một file."))])
    submit = SubmitField(_l("Xem trước thay đổi"))


class PhotoZipForm(Form):
    archive = FileField(_l("Tệp ZIP chứa ảnh"), validators=[FileRequired(_l("Chọn một tệp ZIP."))])
    submit = SubmitField(_l("Tải ảnh lên"))


class BulkApplyForm(Form):
    plan = HiddenField()
    submit = SubmitField(_l("Áp dụng thay đổi"))


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=PLAN_SALT)


def _producer_principal():
    principal = current_principal()
    if principal.is_admin or principal.producer_id is None:
        abort(403)
    return principal


@portal.route("/products/bulk", methods=["GET", "POST"])
def bulk_update():
    """Upload the edited range; the answer is the preview of every row (nothing written yet)."""
    principal = _producer_principal()
    form = BulkUploadForm()
    error, plans, apply_form = None, None, None
    if form.validate_on_submit():
        content = form.sheet.data.read(MAX_UPLOAD_BYTES + 1)
        try:
            if len(content) > MAX_UPLOAD_BYTES:
                raise SheetRefused(gettext("File lớn hơn 5 MB: hãy chia thành nhiều file."))
            plans = bulk_updates.preview(principal, read_sheet(content, form.sheet.data.filename or ""))
        except SheetRefused as refused:
            error = for_reader(refused.message, 422)
        else:
            changed = [asdict(plan) for plan in plans if plan.action == "change"]
            token = _serializer().dumps({"user": principal.user_id, "rows": changed})
            apply_form = BulkApplyForm(formdata=None, plan=token)
    summary = _count(plans or [], "action")
    status = 422 if (error or form.errors) else 200
    return render_template(
        "portal/bulk_update.html", form=form, error=error, plans=plans, summary=summary, apply_form=apply_form
    ), status


@portal.post("/products/bulk/apply")
def bulk_apply():
    """Apply the previewed rows: each its own transaction, refused as a conflict when its product changed."""
    principal = _producer_principal()
    form = BulkApplyForm()
    if not form.validate():
        abort(400)
    try:
        plan = _serializer().loads(form.plan.data or "", max_age=PLAN_MAX_AGE)
    except BadSignature:
        return render_template(
            "portal/bulk_update.html",
            form=BulkUploadForm(formdata=None),
            error=gettext("Bản xem trước đã hết hạn hoặc không hợp lệ: hãy tải file lên lại."),
            plans=None,
            summary={},
            apply_form=None,
        ), 422
    if plan.get("user") != principal.user_id:
        abort(403)
    plans = [bulk_updates.RowPlan(**row) for row in plan.get("rows", [])]
    results = bulk_updates.apply(principal, plans, clock.today())
    return render_template("portal/bulk_result.html", results=results, summary=_count(results, "outcome"))


def _count(items, attribute: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        key = getattr(item, attribute)
        counts[key] = counts.get(key, 0) + 1
    return counts


@portal.route("/products/photos", methods=["GET", "POST"])
def bulk_photos():
    """Upload a ZIP of photos named by SKU; each is checked and re-encoded like a single upload."""
    principal = _producer_principal()
    form = PhotoZipForm()
    error, outcomes = None, None
    if form.validate_on_submit():
        content = form.archive.data.read(photo_zip.MAX_ZIP_BYTES + 1)
        try:
            outcomes = photo_zip.add_photos(principal, content)
        except photo_zip.ZipRefused as refused:
            error = for_reader(refused.message, 422)
    summary = _count(outcomes or [], "outcome")
    status = 422 if (error or form.errors) else 200
    return render_template(
        "portal/bulk_photos.html", form=form, error=error, outcomes=outcomes, summary=summary
    ), status
