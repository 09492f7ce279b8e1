"""The OCOP office's pages: producers, users, certificates and product moderation."""

from __future__ import annotations

from collections import Counter

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from catalogue import clock
from catalogue.accounts.models import User
from catalogue.accounts.services import create_user, disable_two_factor, end_sessions
from catalogue.error_answers import for_reader
from catalogue.errors import DomainError, InvalidInput, NotFound
from catalogue.extensions import db
from catalogue.geography.models import Locality
from catalogue.portal.auth import current_principal
from catalogue.portal.certificate_forms import CorrectionForm, WithdrawalForm
from catalogue.portal.forms import CertificateForm, ProducerForm, StatusForm, UserForm
from catalogue.portal.wording import field_errors
from catalogue.producers.editing import DuplicateName, DuplicateTaxCode, create_producer
from catalogue.producers.models import Producer
from catalogue.products import certificates, editing
from catalogue.products.dashboard import state_of
from catalogue.products.editing import PreconditionFailed
from catalogue.products.models import Certificate, Product
from catalogue.products.moderation import pending_count
from catalogue.products.services import office_catalogue
from catalogue.sync.services import listings_by_product
from catalogue.text import fold

portal_admin = Blueprint("portal_admin", __name__, url_prefix="/portal/admin")
ADMIN_PAGE_SIZE = 50


@portal_admin.before_request
@login_required
def _office_only() -> None:
    """Signed in (else to the login page) and an admin (else 403)."""
    if current_user.role != "admin":
        abort(403)


@portal_admin.after_request
def _private(response):
    response.headers["Cache-Control"] = "private, no-store"
    return response


@portal_admin.get("/mails")
def mails():
    """The buyers' emails the mail server has not taken yet (retried) or at all (failed)."""
    from catalogue.mail import undelivered

    return render_template("portal/admin/mails.html", mails=undelivered())


@portal_admin.route("/producers", methods=["GET", "POST"])
def producers():
    """Every producer, and registering a new one."""
    form = ProducerForm()
    form.locality.choices = [
        (code, name) for code, name in db.session.execute(select(Locality.code, Locality.name).order_by(Locality.name))
    ]
    duplicate = None
    if form.validate_on_submit():
        try:
            producer = create_producer(current_principal(), {field.name: field.data for field in form})
        except InvalidInput as error:
            field_errors(form, error)
        except DuplicateTaxCode:
            form.tax_code.errors = [gettext("Mã số thuế này đã được đăng ký cho một chủ thể khác.")]
        except DuplicateName as error:
            # The same name in the same locality is most often the same producer typed twice: say which one,
            # and add it only once the office confirms it is another (the form keeps what was typed).
            duplicate = error.existing
            form.name.errors = [
                gettext(
                    "Đã có chủ thể “%(name)s” ở %(locality)s. Nếu đây là một chủ thể khác, hãy đánh dấu ô xác nhận "
                    "bên dưới rồi gửi lại.",
                    name=duplicate.name,
                    locality=duplicate.locality.name,
                )
            ]
        else:
            flash(gettext("Đã thêm chủ thể “%(name)s”.", name=producer.name), "success")
            return redirect(url_for("portal_admin.producers"), code=303)
    listed = db.session.scalars(
        select(Producer).options(joinedload(Producer.locality)).order_by(Producer.name_sort_key)
    ).all()
    page = render_template("portal/admin/producers.html", form=form, producers=listed, duplicate=duplicate)
    return page, 422 if form.errors else 200


@portal_admin.route("/users", methods=["GET", "POST"])
def users():
    """Every user, and creating one (a producer's staff belongs to that producer)."""
    form = UserForm()
    form.producer.choices = [("", "—")] + producer_choices()
    if form.validate_on_submit():
        try:
            user = create_user(form.email.data, form.password.data, form.role.data, form.producer.data or None)
        except InvalidInput as error:
            field_errors(form, error)
        except DomainError as error:  # the email is taken
            field_errors(form, InvalidInput(for_reader(error.message, 422), error.errors))
        else:
            flash(gettext("Đã thêm người dùng %(email)s.", email=user.email), "success")
            return redirect(url_for("portal_admin.users"), code=303)
    listed = db.session.scalars(select(User).options(joinedload(User.producer)).order_by(User.email)).all()
    return render_template("portal/admin/users.html", form=form, users=listed), 422 if form.errors else 200


def producer_choices() -> list[tuple[str, str]]:
    """Every producer for a select, by name; two of the same name told apart by locality (then tax code)."""
    rows = db.session.execute(
        select(Producer.slug, Producer.name, Producer.tax_code, Locality.name)
        .join(Locality, Producer.locality_id == Locality.id)
        .order_by(Producer.name_sort_key, Locality.name, Producer.slug)
    ).all()
    names = Counter(fold(name) for _, name, _, _ in rows)
    places = Counter((fold(name), place) for _, name, _, place in rows)
    choices = []
    for slug, name, tax_code, place in rows:
        shown = name
        if names[fold(name)] > 1:
            shown = f"{name} — {place}"
            if places[(fold(name), place)] > 1:
                shown += f" — {gettext('MST')} {tax_code}" if tax_code else f" — {slug}"
        choices.append((slug, shown))
    return choices


@portal_admin.post("/users/<int:user_id>/sign-out")
def sign_out_user(user_id: int):
    """End every session of a user (a lost phone, a departed clerk): their cookies stop working everywhere."""
    try:
        user = end_sessions(user_id, current_principal())
    except NotFound:
        abort(404)
    flash(gettext("Đã đăng xuất %(email)s khỏi mọi thiết bị.", email=user.email), "success")
    return redirect(url_for("portal_admin.users"), code=303)


@portal_admin.post("/users/<int:user_id>/two-factor/off")
def two_factor_off(user_id: int):
    """Turn off a user's two-factor sign-in (phone and recovery codes lost): they enrol again at next sign-in."""
    try:
        user = disable_two_factor(user_id, current_principal())
    except NotFound:
        abort(404)
    flash(gettext("Đã tắt xác thực hai lớp của %(email)s.", email=user.email), "success")
    return redirect(url_for("portal_admin.users"), code=303)


@portal_admin.get("/products")
def products():
    """Every product with its certificate and review state, page by page; searched as the shop searches."""
    query = request.args.get("q", "").strip()[:100]
    raw_page = request.args.get("page", "1")
    page_number = int(raw_page) if raw_page.isdigit() and 0 < int(raw_page) <= 100_000 else 1
    found = office_catalogue(query, page_number, ADMIN_PAGE_SIZE)
    today = clock.today()
    return render_template(
        "portal/admin/products.html",
        states=[state_of(product, today) for product in found.items],
        page=found,
        pages=max(1, -(-found.total // found.per_page)),
        query=query,
        pending=pending_count(),
    )


@portal_admin.get("/products/<int:product_id>")
def product(product_id: int):
    """One product: its certificate history, a new or renewed certificate, its status."""
    return _product_page(_product(product_id))


@portal_admin.post("/products/<int:product_id>/certificates")
def add_certificate(product_id: int):
    """Record a new or renewed OCOP certificate; the latest one rates the product."""
    found = _product(product_id)
    form = CertificateForm()
    if not form.validate():
        return _product_page(found, certificate_form=form)
    try:
        certificates.record_certificate(
            current_principal(),
            product_id,
            int(form.stars.data),
            form.certificate_no.data,
            form.issuing_level.data,
            form.issued_on.data,
        )
    except InvalidInput as error:
        _place_errors(form, error)
        return _product_page(found, certificate_form=form)
    flash(gettext("Đã ghi giấy chứng nhận %(number)s.", number=form.certificate_no.data.strip()), "success")
    return redirect(url_for("portal_admin.product", product_id=product_id), code=303)


@portal_admin.post("/products/<int:product_id>/certificates/<int:certificate_id>/correct")
def correct_certificate(product_id: int, certificate_id: int):
    """Fix a mistake in one of the product's certificates, with a reason kept in its history."""
    found, certificate = _product(product_id), _held_certificate(product_id, certificate_id)
    form = CorrectionForm(prefix=f"correct-{certificate.id}")
    if form.validate():
        values = {
            "stars": int(form.stars.data),
            "certificate_no": form.certificate_no.data,
            "issuing_level": form.issuing_level.data,
            "issued_on": form.issued_on.data,
        }
        try:
            certificates.correct_certificate(current_principal(), certificate.id, values, form.reason.data)
        except InvalidInput as error:
            _place_errors(form, error)
        else:
            flash(gettext("Đã sửa giấy chứng nhận %(number)s.", number=certificate.certificate_no), "success")
            return redirect(url_for("portal_admin.product", product_id=product_id), code=303)
    return _product_page(found, failed_forms={certificate.id: {"correct": form}})


@portal_admin.post("/products/<int:product_id>/certificates/<int:certificate_id>/withdraw")
def withdraw_certificate(product_id: int, certificate_id: int):
    """Withdraw one of the product's certificates, with a reason: it rates nothing any more."""
    found, certificate = _product(product_id), _held_certificate(product_id, certificate_id)
    form = WithdrawalForm(prefix=f"withdraw-{certificate.id}")
    if form.validate():
        try:
            certificates.withdraw_certificate(current_principal(), certificate.id, form.reason.data)
        except InvalidInput as error:
            _place_errors(form, error)
        else:
            flash(gettext("Đã thu hồi giấy chứng nhận %(number)s.", number=certificate.certificate_no), "success")
            return redirect(url_for("portal_admin.product", product_id=product_id), code=303)
    return _product_page(found, failed_forms={certificate.id: {"withdraw": form}})


@portal_admin.post("/products/<int:product_id>/status")
def moderate(product_id: int):
    """Put a product on sale, back to draft, or archive it."""
    found = _product(product_id)
    form = StatusForm()
    if not form.validate():
        return _product_page(found, status_form=form)
    try:
        editing.update_product(current_principal(), product_id, {"status": form.status.data}, None)
    except (InvalidInput, PreconditionFailed):
        flash(gettext("Chưa đổi được trạng thái: sản phẩm vừa thay đổi. Vui lòng xem lại và thử lần nữa."), "warning")
    else:
        flash(gettext("Đã đổi trạng thái sản phẩm."), "success")
    return redirect(url_for("portal_admin.product", product_id=product_id), code=303)


def _product(product_id: int) -> Product:
    found = db.session.get(Product, product_id)
    if found is None:
        raise NotFound(f"No product {product_id}.")
    return found


def _held_certificate(product_id: int, certificate_id: int) -> Certificate:
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or certificate.product_id != product_id:
        raise NotFound(f"Product {product_id} has no certificate {certificate_id}.")
    return certificate


def _place_errors(form, error: InvalidInput) -> None:
    """The certificate service's own Vietnamese message on each field it names (else on the first field)."""
    placed = False
    for name, messages in error.errors.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, *messages]
            placed = True
    if not placed:
        first = next(field for field in form if field.name.rsplit("-", 1)[-1] != "csrf_token")
        first.errors = [*first.errors, for_reader(error.message, 422)]


def _certificate_forms(certificate: Certificate, failed: dict) -> dict:
    """The correction and withdrawal forms of one certificate, prefilled (or as submitted when refused)."""
    correct = failed.get("correct") or CorrectionForm(
        formdata=None,
        prefix=f"correct-{certificate.id}",
        stars=str(certificate.stars),
        certificate_no=certificate.certificate_no,
        issuing_level=certificate.issuing_level,
        issued_on=certificate.issued_on,
    )
    withdraw = failed.get("withdraw") or WithdrawalForm(formdata=None, prefix=f"withdraw-{certificate.id}")
    return {"correct": correct, "withdraw": withdraw, "open": bool(failed)}


def _product_page(found: Product, certificate_form=None, status_form=None, failed_forms: dict | None = None):
    today = clock.today()
    failed_forms = failed_forms or {}
    certificate_form = certificate_form or CertificateForm(formdata=None, issued_on=today)
    status_form = status_form or StatusForm(formdata=None, status=found.status)
    history = certificates.certificate_history(found)
    forms = {held.id: _certificate_forms(held, failed_forms.get(held.id, {})) for held, _ in history}
    failed = bool(certificate_form.errors or status_form.errors or failed_forms)
    return render_template(
        "portal/admin/product.html",
        product=found,
        state=state_of(found, today),
        today=today,
        history=history,
        event_changes=certificates.event_changes,
        certificate_forms=forms,
        certificate_form=certificate_form,
        status_form=status_form,
        listings=listings_by_product([found.id]).get(found.id, []),
    ), 422 if failed else 200
