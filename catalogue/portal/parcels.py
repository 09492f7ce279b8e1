"""Parcels in the portal: each producer's parcels waiting to leave, booked with one click (or recorded when
sent another way), their labels; the office sees every parcel and chooses who is booked automatically."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired

from catalogue import clock
from catalogue.carriers.port import PENDING
from catalogue.delivery import booking
from catalogue.delivery.views import carrier_name, status_label, tracking_url
from catalogue.delivery.wiring import carriers
from catalogue.errors import Conflict, InvalidInput, NotFound
from catalogue.extensions import db
from catalogue.forms import REQUIRED, Form, length
from catalogue.orders.models import Order
from catalogue.portal.admin import portal_admin
from catalogue.portal.auth import current_principal
from catalogue.portal.forms import ButtonForm
from catalogue.portal.views import portal


class RecordForm(Form):
    carrier = StringField(_l("Hãng vận chuyển"), validators=[DataRequired(REQUIRED), length(min=2, max=20)])
    tracking_code = StringField(_l("Mã vận đơn"), validators=[DataRequired(REQUIRED), length(min=4, max=60)])
    submit = SubmitField(_l("Ghi nhận đã gửi"))


def _page(failed_id: int | None = None, failed_form: RecordForm | None = None, status: int = 200):
    principal = current_principal()
    waiting_only = request.args.get("show") != "all"
    parcels = booking.parcels_for(principal, waiting_only=waiting_only)
    orders = {order.id: order for order in db.session.query(Order).filter(Order.id.in_({p.order_id for p in parcels}))}
    return render_template(
        "portal/parcels.html",
        parcels=parcels,
        orders=orders,
        office=principal.is_admin,
        waiting_only=waiting_only,
        carrier=carriers().default,
        button=ButtonForm(),
        record_form=RecordForm(formdata=None),
        failed_id=failed_id,
        failed_form=failed_form,
        status_label=status_label,
        carrier_name=carrier_name,
        tracking_url=tracking_url,
        PENDING=PENDING,
    ), status


@portal.get("/parcels")
def parcels():
    """The producer's parcels waiting to leave (`?show=all`: every one); the office's: every producer's."""
    return _page()


@portal.post("/parcels/<int:parcel_id>/book")
def book_parcel(parcel_id: int):
    """One click: book the parcel with the shop's carrier (the job runs after this commit)."""
    form = ButtonForm()
    if not form.validate():
        abort(400)
    try:
        parcel = booking.request_booking(current_principal(), None, parcel_id, clock.now())
    except NotFound:
        abort(404)
    except Conflict as error:
        if error.code == "parcel.no_carrier":
            flash(gettext("Cửa hàng chưa kết nối hãng vận chuyển nào: hãy tự gửi hàng rồi nhập hãng và mã vận đơn."),
                  "warning")  # fmt: skip
        else:
            flash(gettext("Kiện hàng này đã được gửi đi hoặc đơn chưa thanh toán."), "warning")
        return redirect(url_for("portal.parcels"), code=303)
    db.session.expire_all()
    parcel = db.session.get(booking.Parcel, parcel.id)
    if parcel.status != PENDING:
        flash(gettext("Đã đặt vận đơn %(code)s. In nhãn và dán lên kiện hàng.", code=parcel.tracking_code), "success")
    elif parcel.booking_state == booking.FAILED:
        flash(gettext("Chưa đặt được vận đơn: %(reason)s", reason=parcel.last_error or ""), "warning")
    elif parcel.last_error:
        flash(gettext("Hãng vận chuyển chưa trả lời (%(reason)s); cửa hàng sẽ tự thử lại.", reason=parcel.last_error),
              "warning")  # fmt: skip
    else:
        flash(gettext("Đang đặt vận đơn; tải lại trang sau ít phút."), "success")
    return redirect(url_for("portal.parcels"), code=303)


@portal.post("/parcels/<int:parcel_id>/record")
def record_parcel(parcel_id: int):
    """A parcel sent another way: its carrier and tracking code."""
    form = RecordForm()
    if not form.validate():
        return _page(parcel_id, form, 422)
    try:
        booking.record_shipped(current_principal(), None, parcel_id, form.carrier.data, form.tracking_code.data,
                               clock.now())  # fmt: skip
    except NotFound:
        abort(404)
    except InvalidInput as error:
        if "carrier" in error.errors:
            form.carrier.errors = [gettext("Tên hãng 2–20 ký tự: chữ, số, dấu cách, chấm hoặc gạch ngang.")]
        if "tracking_code" in error.errors:
            form.tracking_code.errors = [gettext("Mã vận đơn 4–60 ký tự: chữ, số, dấu chấm hoặc gạch ngang.")]
        return _page(parcel_id, form, 422)
    except Conflict:
        flash(gettext("Kiện hàng này đã được gửi đi hoặc đơn chưa thanh toán."), "warning")
        return redirect(url_for("portal.parcels"), code=303)
    flash(gettext("Đã ghi nhận kiện hàng đã gửi."), "success")
    return redirect(url_for("portal.parcels"), code=303)


@portal.get("/parcels/<int:parcel_id>/label.pdf")
def parcel_label(parcel_id: int):
    """The carrier's label (`?size=A6`, the default, or A5) to print and stick on the parcel."""
    size = request.args.get("size", "A6").upper()
    try:
        name, pdf = booking.label_of(current_principal(), parcel_id, size)
    except NotFound:
        abort(404)
    except InvalidInput:
        abort(400, description=gettext("Khổ nhãn là A6 hoặc A5."))
    except Conflict:
        abort(409, description=gettext("Kiện hàng này chưa có nhãn của hãng vận chuyển."))
    except booking.CarrierError as error:
        abort(503, description=gettext("Chưa lấy được nhãn: %(reason)s", reason=error.message_vi))
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@portal_admin.post("/producers/<int:producer_id>/book-on-payment")
def book_on_payment(producer_id: int):
    """The office turns automatic booking on payment on or off for one producer."""
    form = ButtonForm()
    if not form.validate():
        abort(400)
    on = request.form.get("on") == "1"
    try:
        booking.set_book_on_payment(current_principal(), producer_id, on)
    except NotFound:
        abort(404)
    flash(gettext("Đã bật tự đặt vận đơn khi đơn được thanh toán.") if on
          else gettext("Đã tắt tự đặt vận đơn khi thanh toán."), "success")  # fmt: skip
    return redirect(url_for("portal_admin.producers"), code=303)
