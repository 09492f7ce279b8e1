"""The producers' portal: their products, photos, stock, orders and API tokens.

Views only parse forms and call the services; who may change what is decided by
the services (catalogue.products.editing, .images, catalogue.orders.fulfilment),
with the signed-in user as the Principal.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy import select

from catalogue import clock
from catalogue.accounts.models import ApiToken
from catalogue.accounts.services import create_token, revoke_token
from catalogue.errors import Conflict, InvalidInput
from catalogue.extensions import db
from catalogue.formatting import vn_date
from catalogue.orders.fulfilment import mark_shipped, orders_for_producer
from catalogue.orders.models import ORDER_STATUSES
from catalogue.portal.auth import current_principal
from catalogue.portal.forms import (
    NO_CERTIFICATE,
    PLEASE_CHOOSE,
    BufferForm,
    ButtonForm,
    ImageForm,
    ProductCreateForm,
    ProductEditForm,
    ShipForm,
    StockForm,
    TokenForm,
)
from catalogue.portal.wording import field_errors, image_error
from catalogue.producers.models import Producer
from catalogue.products import editing, images
from catalogue.products.dashboard import category_choices, product_states, state_of, valid_certificates
from catalogue.sync.models import MARKETPLACE_NAMES, MARKETPLACES, channel_stock
from catalogue.sync.services import buffers_of, listings_by_product, oversells
from catalogue.traceability.services import public_lots

portal = Blueprint("portal", __name__, url_prefix="/portal")
PRODUCT_FIELDS = ("name", "category", "unit", "net_weight_g", "price_vnd", "description", "status")
EDIT_FIELDS = (*PRODUCT_FIELDS, "gtin")


@portal.before_request
@login_required
def _signed_in() -> None:
    """Every portal page needs a signed-in user (a session; bearer tokens do not count)."""


@portal.after_request
def _private(response):
    response.headers["Cache-Control"] = "private, no-store"
    return response


@portal.get("/")
def dashboard():
    """The producer's products: stock, status, certificate warnings (admins go to moderation)."""
    principal = current_principal()
    if principal.is_admin:
        return redirect(url_for("portal_admin.products"))
    today = clock.today()
    states = product_states(principal.producer_id, today)
    return render_template(
        "portal/dashboard.html",
        states=states,
        producer=db.session.get(Producer, principal.producer_id),
        listings=listings_by_product([state.product.id for state in states]),
        today=today,
    )


@portal.route("/products/new", methods=["GET", "POST"])
def new_product():
    """A new listing: the user chooses its category, certificate and status; the page says what shoppers will see."""
    principal = current_principal()
    today = clock.today()
    form = ProductCreateForm()
    form.category.choices = [PLEASE_CHOOSE, *category_choices()]
    if principal.is_admin:
        del form.certificate_no
        producers = db.session.execute(select(Producer.slug, Producer.name).order_by(Producer.name_sort_key)).all()
        form.producer.choices = [PLEASE_CHOOSE, *((slug, name) for slug, name in producers)]
    else:
        del form.producer
        form.certificate_no.choices = [
            PLEASE_CHOOSE,
            *(
                (c.certificate_no, f"{c.certificate_no} · {c.stars}★ · {vn_date(c.expires_on)}")
                for c in valid_certificates(principal.producer_id, today)
            ),
            (NO_CERTIFICATE, gettext("Chưa có giấy chứng nhận: sản phẩm sẽ không hiển thị trên cửa hàng")),
        ]
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in PRODUCT_FIELDS + ("stock",)}
        values["description"] = values["description"] or ""
        if principal.is_admin:
            values["producer"] = form.producer.data
        elif form.certificate_no.data != NO_CERTIFICATE:
            values["certificate_no"] = form.certificate_no.data
        try:
            product = editing.create_product(principal, values, today)
        except InvalidInput as error:
            field_errors(form, error)
        else:
            flash(gettext("Đã thêm sản phẩm “%(name)s”.", name=product.name), "success")
            return redirect(url_for("portal.product", product_id=product.id), code=303)
    return render_template("portal/new_product.html", form=form, office=principal.is_admin), 422 if form.errors else 200


@portal.route("/products/<int:product_id>", methods=["GET", "POST"])
def product(product_id: int):
    """Edit a product's details (optimistic: refused if it changed since the form was shown)."""
    principal = current_principal()
    found = editing.editable_product(principal, product_id)
    form = _edit_form(found)
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in EDIT_FIELDS}
        values["description"] = values["description"] or ""
        values["gtin"] = (values["gtin"] or "").strip() or None
        try:
            editing.update_product(principal, product_id, values, _version(form.version.data), clock.today())
        except InvalidInput as error:
            field_errors(form, error)
        except Conflict:
            # Someone saved first: keep what this producer typed, show the stored version beside each field
            # that differs, and let the next save (now against the stored version) decide.
            db.session.rollback()
            stored = editing.editable_product(principal, product_id)
            form.version.data = str(stored.version)
            page, _ = _product_page(stored, edit_form=form, conflict=_differences(form, stored))
            return page, 409
        else:
            flash(gettext("Đã lưu thay đổi."), "success")
            return redirect(url_for("portal.product", product_id=product_id), code=303)
    return _product_page(found, edit_form=form)


def _edit_form(found, from_request: bool = True) -> ProductEditForm:
    """The edit form showing the product as it is (each field's value as the form submits it).

    Built from plain values, not `obj=`: WTForms prefers `obj.category` (a Category) to any
    keyword, no option of the select then matches, and the browser submits the first one.
    """
    current = {name: getattr(found, name) for name in EDIT_FIELDS if name != "category"}
    current["category"] = found.category.code
    options = {} if from_request else {"formdata": None}
    form = ProductEditForm(**options, data={**current, "version": found.version})
    form.category.choices = category_choices()
    if found.status == "archived":
        form.status.choices = [*form.status.choices, ("archived", gettext("Đã lưu trữ"))]
    return form


@portal.post("/products/<int:product_id>/stock")
def stock(product_id: int):
    """Set the stock after a stocktake or a new batch."""
    principal = current_principal()
    found = editing.editable_product(principal, product_id)
    form = StockForm()
    if not form.validate():
        return _product_page(found, stock_form=form)
    editing.set_stock(principal, product_id, form.stock.data)
    flash(gettext("Tồn kho mới: %(stock)d.", stock=form.stock.data), "success")
    return redirect(url_for("portal.product", product_id=product_id), code=303)


@portal.post("/products/<int:product_id>/archive")
def archive(product_id: int):
    """Take the product off sale for good (orders keep referring to it)."""
    editing.archive_product(current_principal(), product_id)
    flash(gettext("Sản phẩm đã được lưu trữ và không còn bán."), "success")
    return redirect(url_for("portal.dashboard"), code=303)


@portal.post("/products/<int:product_id>/images")
def add_image(product_id: int):
    """Upload a photo: checked and re-encoded by the images service."""
    principal = current_principal()
    found = editing.editable_product(principal, product_id)
    form = ImageForm()
    if form.validate():
        upload = form.image.data
        data = upload.read(images.MAX_BYTES + 1)
        try:
            images.add_image(principal, product_id, data, upload.filename or "")
        except images.ImageRejected as error:
            form.image.errors = [image_error(error.reason)]
        else:
            flash(gettext("Đã thêm ảnh."), "success")
            return redirect(url_for("portal.product", product_id=product_id), code=303)
    return _product_page(found, image_form=form)


@portal.post("/products/<int:product_id>/images/<int:image_id>/delete")
def remove_image(product_id: int, image_id: int):
    """Remove one photo of the product."""
    images.remove_image(current_principal(), product_id, image_id)
    flash(gettext("Đã xoá ảnh."), "success")
    return redirect(url_for("portal.product", product_id=product_id), code=303)


def _differences(form: ProductEditForm, stored) -> list[dict]:
    """The edit form's fields whose typed value differs from the stored product's: label, typed, stored."""
    current = _edit_form(stored, from_request=False)
    found = []
    for name in EDIT_FIELDS:
        typed, kept = getattr(form, name), getattr(current, name)
        if (typed.data or "") != (kept.data or "") and str(typed.data or "") != str(kept.data or ""):
            shown = dict(kept.choices).get(kept.data, kept.data) if hasattr(kept, "choices") else kept.data
            found.append({"name": name, "label": kept.label.text, "stored": "" if shown is None else str(shown)})
    return found


def _product_page(found, edit_form=None, stock_form=None, image_form=None, conflict=None, buffer_form=None):
    if edit_form is None:
        edit_form = _edit_form(found, from_request=False)
    stock_form = stock_form or StockForm(formdata=None, stock=found.stock)
    image_form = image_form or ImageForm(formdata=None)
    held = buffers_of(found)
    buffer_form = buffer_form or BufferForm(formdata=None, data={name: held.get(name, 0) for name in MARKETPLACES})
    failed = any(form.errors for form in (edit_form, stock_form, image_form, buffer_form))
    return render_template(
        "portal/product.html",
        product=found,
        state=state_of(found, clock.today()),
        form=edit_form,
        stock_form=stock_form,
        image_form=image_form,
        button=ButtonForm(formdata=None),
        lots=public_lots(found.id),
        conflict=conflict,
        buffer_form=buffer_form,
        channel_stock={name: channel_stock(found.stock, held, name) for name in MARKETPLACES},
        marketplace_names=MARKETPLACE_NAMES,
        product_oversells=oversells(current_principal(), found.id),
    ), 422 if failed else 200


def _version(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


@portal.get("/orders")
def orders():
    """Paid orders with the producer's products: their own lines, and shipping (the office filters by status)."""
    status = request.args.get("status", "") if current_principal().is_admin else ""  # producers: paid and later
    if status and status not in ORDER_STATUSES:
        abort(400, description=gettext("Trạng thái đơn không hợp lệ."))
    return _orders_page(status=status)


@portal.post("/orders/<code>/ship")
def ship(code: str):
    """Record the producer's parcel with its tracking number."""
    form = ShipForm()
    if not form.validate():
        return _orders_page(code, form)
    try:
        mark_shipped(current_principal(), code, form.tracking_number.data, clock.now())
    except InvalidInput as error:
        field_errors(form, error)
        return _orders_page(code, form)
    except Conflict:
        # Only a paid order not yet shipped by this producer can be shipped; the service's words are English.
        flash(
            gettext("Không thể ghi nhận giao hàng: đơn này chưa thanh toán hoặc phần hàng của bạn đã được gửi."),
            "warning",
        )
    else:
        flash(gettext("Đơn %(code)s: đã ghi nhận giao hàng.", code=code), "success")
    return redirect(url_for("portal.orders"), code=303)


def _orders_page(failed_code: str | None = None, failed_form: ShipForm | None = None, status: str = ""):
    principal = current_principal()
    return render_template(
        "portal/orders.html",
        orders=orders_for_producer(principal, status=status),
        office=principal.is_admin,
        status=status if principal.is_admin else "",
        statuses=ORDER_STATUSES,
        failed_code=failed_code,
        failed_form=failed_form,
        ship_form=ShipForm(formdata=None),
    ), 422 if failed_form is not None else 200


@portal.route("/tokens", methods=["GET", "POST"])
def tokens():
    """The user's API tokens; a new one is shown once, here."""
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        scopes = ["catalogue:write", "orders:read"] if form.scopes.data == "both" else [form.scopes.data]
        new_token, _ = create_token(current_user.email, scopes, form.name.data or "")
        form = TokenForm(formdata=None)
    held = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.created_at.desc())
    ).all()
    return render_template(
        "portal/tokens.html", form=form, tokens=held, new_token=new_token, button=ButtonForm(formdata=None)
    ), 422 if form.errors else 200


@portal.post("/tokens/<int:token_id>/revoke")
def revoke(token_id: int):
    """Revoke one of the user's tokens at once."""
    revoke_token(token_id, current_principal(), clock.now())
    flash(gettext("Đã thu hồi khoá API."), "success")
    return redirect(url_for("portal.tokens"), code=303)
