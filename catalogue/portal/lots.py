"""Portal pages for a product's lots: record and correct them, attach reports, print stamps.

Who may touch a lot is decided by catalogue.traceability.services (its product's producer,
or the office); these views only parse forms and call the services.
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from catalogue import clock
from catalogue.error_answers import for_reader
from catalogue.errors import InvalidInput
from catalogue.portal.admin import portal_admin
from catalogue.portal.auth import current_principal
from catalogue.portal.lot_forms import LotForm, ReportForm
from catalogue.portal.views import portal
from catalogue.products.editing import editable_product
from catalogue.traceability import reports, scans, stamps
from catalogue.traceability import services as lots
from catalogue.urls import public_base

LOT_VALUES = ("lot_number", "produced_on", "expires_on", "quantity", "origin_ward")


@portal.route("/products/<int:product_id>/lots/new", methods=["GET", "POST"])
def new_lot(product_id: int):
    """Record a new lot of the product."""
    principal = current_principal()
    product = editable_product(principal, product_id)
    form = LotForm().with_wards(lots.origin_ward_names())
    if form.validate_on_submit():
        try:
            lot = lots.create_lot(principal, product_id, _values(form), clock.today())
        except InvalidInput as error:
            _place(form, error)
        else:
            flash(gettext("Đã thêm lô %(lot)s.", lot=lot.lot_number), "success")
            return redirect(url_for("portal.lot", product_id=product_id, lot_id=lot.id), code=303)
    return render_template("portal/lot.html", product=product, lot=None, form=form), 422 if form.errors else 200


@portal.route("/products/<int:product_id>/lots/<int:lot_id>", methods=["GET", "POST"])
def lot(product_id: int, lot_id: int):
    """A lot: correct it, see its scans, its reports, and print its stamps."""
    principal = current_principal()
    found = lots.editable_lot(principal, lot_id, product_id)
    form = LotForm() if request.method == "POST" else LotForm(formdata=None, data=_current(found))
    form.with_wards(lots.origin_ward_names())
    if form.validate_on_submit():
        try:
            lots.update_lot(principal, lot_id, _values(form), clock.today(), product_id)
        except InvalidInput as error:
            _place(form, error)
        else:
            flash(gettext("Đã lưu lô sản xuất."), "success")
            return redirect(url_for("portal.lot", product_id=product_id, lot_id=lot_id), code=303)
    return _lot_page(found, form)


@portal.post("/products/<int:product_id>/lots/<int:lot_id>/reports")
def add_report(product_id: int, lot_id: int):
    """Attach a test or inspection report (checked: a PDF that parses, or a real JPEG/PNG)."""
    principal = current_principal()
    found = lots.editable_lot(principal, lot_id, product_id)
    report_form = ReportForm()
    if report_form.validate():
        upload = report_form.report.data
        data = upload.read(reports.MAX_BYTES + 1)
        try:
            reports.add_report(principal, lot_id, report_form.title.data, data, upload.filename or "")
        except reports.ReportRejected as error:
            report_form.report.errors = [for_reader(error.message, 422)]
        else:
            flash(gettext("Đã thêm phiếu kiểm nghiệm."), "success")
            return redirect(url_for("portal.lot", product_id=product_id, lot_id=lot_id), code=303)
    form = LotForm(formdata=None, data=_current(found)).with_wards(lots.origin_ward_names())
    return _lot_page(found, form, report_form)


@portal.get("/products/<int:product_id>/lots/<int:lot_id>/stamps.<kind>")
def stamp_file(product_id: int, lot_id: int, kind: str):
    """The lot's stamps: `pdf` (A4 sheets, ?size=small|large&count=N), or one label as `svg` or `png`."""
    found = lots.editable_lot(current_principal(), lot_id, product_id)
    base = public_base()
    if kind == "pdf":
        size = request.args.get("size", "small")
        count = request.args.get("count", "").strip()
        if size not in stamps.SHEETS:
            abort(400, description=gettext("Cỡ tem chỉ là “nhỏ” (small) hoặc “lớn” (large). Hãy chọn lại cỡ tem."))
        if count and not (count.isdigit() and 1 <= int(count) <= stamps.MAX_LABELS):
            abort(
                400,
                description=gettext(
                    "Số tem cần in là một số từ 1 đến %(most)d. Hãy nhập lại số tem.", most=stamps.MAX_LABELS
                ),
            )
        body, mimetype = stamps.stamp_sheet_pdf(found, base, size, int(count) if count else None), "application/pdf"
    elif kind == "svg":
        body, mimetype = stamps.stamp_svg(found, base), "image/svg+xml"
    elif kind == "png":
        body, mimetype = stamps.stamp_png(found, base), "image/png"
    else:
        abort(404)
    response = Response(body, mimetype=mimetype)
    name = f"tem-{found.product.sku}-{found.lot_number}".replace("/", "-")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _lot_page(found, form: LotForm, report_form: ReportForm | None = None):
    report_form = report_form or ReportForm(formdata=None)
    failed = bool(form.errors or report_form.errors)
    return render_template(
        "portal/lot.html",
        product=found.product,
        lot=found,
        form=form,
        report_form=report_form,
        scans=scans.total_scans(found.id),
        stamp_uri=stamps.stamp_uri(found, public_base()),
        sheets=stamps.SHEETS,
        max_labels=stamps.MAX_LABELS,
    ), 422 if failed else 200


def _values(form: LotForm) -> dict:
    return {name: getattr(form, name).data for name in LOT_VALUES}


def _current(found) -> dict:
    return {
        "lot_number": found.lot_number,
        "produced_on": found.produced_on,
        "expires_on": found.expires_on,
        "quantity": found.quantity,
        "origin_ward": found.origin_ward_name,
    }


def _place(form: LotForm, error: InvalidInput) -> None:
    """The service's Vietnamese messages beside their fields."""
    for name, messages in error.errors.items():
        field = getattr(form, name, None) or form.lot_number
        field.errors = [*field.errors, *messages]  # already in the reader's language


@portal_admin.get("/lots/suspected")
def suspected_lots():
    """The office's list of lots scanned far more than they have units (copied stamps)."""
    flagged = scans.suspected_copies()
    return render_template(
        "portal/admin/suspected_lots.html", lots=flagged, totals={lot.id: scans.total_scans(lot.id) for lot in flagged}
    )
