"""The OCOP office's review queue: producers' new and re-rated listings wait here for approval.

Routes join the office's blueprint (`portal_admin`: signed in, admins only). The
decisions themselves are catalogue.products.moderation's.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext

from catalogue import clock
from catalogue.error_answers import for_reader
from catalogue.errors import Conflict, InvalidInput
from catalogue.portal.admin import portal_admin
from catalogue.portal.auth import current_principal
from catalogue.portal.forms import ButtonForm, RejectForm
from catalogue.products import moderation

QUEUE_PAGE_SIZE = 50


@portal_admin.get("/reviews")
def reviews():
    """Listings waiting for the office: what each asks (the certificate named, and whose it is)."""
    return _queue_page()


@portal_admin.post("/reviews/<int:product_id>/approve")
def approve(product_id: int):
    """Approve a listing: public once on sale and rated, by the certificate it named."""
    form = ButtonForm()
    if not form.validate():
        return _queue_page(), 400
    try:
        product = moderation.approve_listing(current_principal(), product_id, clock.today(), clock.now())
    except (InvalidInput, Conflict) as error:
        flash(gettext("Chưa duyệt được: %(reason)s", reason=_why(error)), "warning")
    else:
        flash(gettext("Đã duyệt “%(name)s”.", name=product.name), "success")
    return redirect(url_for("portal_admin.reviews"), code=303)


@portal_admin.post("/reviews/<int:product_id>/reject")
def reject(product_id: int):
    """Reject a listing with a reason its producer reads."""
    form = _for_row(RejectForm(), product_id)
    if not form.validate():
        return _queue_page(failed_id=product_id, failed_form=form), 422
    try:
        product = moderation.reject_listing(current_principal(), product_id, form.reason.data, clock.now())
    except Conflict as error:
        flash(gettext("Chưa ghi được quyết định: %(reason)s", reason=_why(error)), "warning")
    else:
        flash(gettext("Đã không duyệt “%(name)s”; chủ thể sẽ thấy lý do.", name=product.name), "info")
    return redirect(url_for("portal_admin.reviews"), code=303)


def _why(error) -> str:
    if isinstance(error, moderation.NotPending):
        return gettext("sản phẩm không còn chờ duyệt.")
    if "certificate_no" in getattr(error, "errors", {}):
        return gettext("giấy chứng nhận được đề nghị không còn hiệu lực; hãy không duyệt và nêu lý do.")
    return for_reader(error.message, 409)


def _queue_page(failed_id: int | None = None, failed_form: RejectForm | None = None):
    page_number = request.args.get("page", "1")
    page_number = int(page_number) if page_number.isdigit() and 0 < int(page_number) < 100_000 else 1
    page = moderation.pending_listings(page_number, QUEUE_PAGE_SIZE)
    reject_forms = {
        product.id: failed_form if product.id == failed_id else _for_row(RejectForm(formdata=None), product.id)
        for product in page.items
    }
    return render_template(
        "portal/admin/reviews.html",
        page=page,
        today=clock.today(),
        button=ButtonForm(formdata=None),
        reject_forms=reject_forms,
    )


def _for_row(form: RejectForm, product_id: int) -> RejectForm:
    """Each row's reason field has its own id (one form per row, all on one page)."""
    form.reason.id = form.reason.label.field_id = f"reason-{product_id}"
    return form
