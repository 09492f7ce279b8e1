"""Delivery in the portal: a producer's pickup address (its own; the office's for anyone) and the
office's zone table of shipping fees."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectField, StringField, SubmitField, TelField
from wtforms.validators import DataRequired, Optional

from catalogue.delivery.models import RATE_ZONES, ShippingRate
from catalogue.delivery.pickup import PROVINCE, Pickup, set_pickup
from catalogue.delivery.zones import ZONE_LABELS, update_rates
from catalogue.errors import InvalidInput, NotFound
from catalogue.extensions import db
from catalogue.forms import CHOOSE, REQUIRED, Form, length
from catalogue.geography.addresses import province_names, ward_names
from catalogue.portal.admin import portal_admin
from catalogue.portal.auth import current_principal
from catalogue.portal.forms import ButtonForm
from catalogue.portal.views import portal
from catalogue.producers.models import Producer


class PickupForm(Form):
    address = StringField(_l("Số nhà, đường, thôn/xóm"), validators=[DataRequired(REQUIRED), length(min=3, max=200)])
    province = SelectField(_l("Tỉnh/thành phố"), validators=[DataRequired(CHOOSE)])
    ward = StringField(_l("Phường/xã/đặc khu"), validators=[DataRequired(REQUIRED), length(min=2, max=120)])
    phone = TelField(_l("Số điện thoại lấy hàng"), validators=[Optional(), length(max=20)])
    submit = SubmitField(_l("Lưu địa chỉ lấy hàng"))


def _pickup_page(producer: Producer, action: str):
    form = PickupForm(
        address=producer.pickup_address,
        province=producer.pickup_province or PROVINCE,
        ward=producer.pickup_ward,
        phone=producer.pickup_phone,
    )
    form.province.choices = province_names()
    if form.validate_on_submit():
        pickup = Pickup(form.address.data, form.ward.data, form.province.data, form.phone.data or "")
        try:
            set_pickup(current_principal(), producer.id, pickup)
        except NotFound:
            abort(404)
        except InvalidInput as error:
            fields = error.errors.get("pickup", {})
            if "ward" in fields:
                form.ward.errors = [gettext("Không có phường/xã này ở %(province)s.", province=form.province.data)]
            elif "province" in fields:
                form.province.errors = [CHOOSE]
            else:
                form.phone.errors = [gettext("Số điện thoại Việt Nam, ví dụ 0912345678.")]
        else:
            flash(gettext("Đã lưu địa chỉ lấy hàng."), "success")
            return redirect(action, code=303)
    return render_template(
        "portal/pickup.html",
        form=form,
        producer=producer,
        action=action,
        wards=ward_names(form.province.data or PROVINCE),
    ), 422 if form.errors else 200


@portal.route("/pickup", methods=["GET", "POST"])
def pickup():
    """The producer's own pickup address: where carriers collect its parcels."""
    principal = current_principal()
    if principal.is_admin or principal.producer_id is None:
        return redirect(url_for("portal_admin.producers"))
    return _pickup_page(db.session.get(Producer, principal.producer_id), url_for("portal.pickup"))


@portal_admin.route("/producers/<int:producer_id>/pickup", methods=["GET", "POST"])
def producer_pickup(producer_id: int):
    """The office corrects any producer's pickup address."""
    producer = db.session.get(Producer, producer_id)
    if producer is None:
        abort(404)
    return _pickup_page(producer, url_for("portal_admin.producer_pickup", producer_id=producer_id))


@portal_admin.route("/shipping-rates", methods=["GET", "POST"])
def shipping_rates():
    """The zone table: the fee of each weight band per zone, and each further kilo above the heaviest."""
    rows = db.session.scalars(select(ShippingRate)).all()
    rows = sorted(rows, key=lambda row: (RATE_ZONES.index(row.zone), row.max_weight_g))
    form = ButtonForm()
    errors: dict[int, str] = {}
    if form.validate_on_submit():
        changes: dict[int, tuple[int, int]] = {}
        for row in rows:
            try:
                fee = int(request.form.get(f"fee-{row.id}", "").replace(".", "").strip())
                extra = int(request.form.get(f"extra-{row.id}", "0").replace(".", "").strip() or 0)
            except ValueError:
                errors[row.id] = gettext("Nhập số tiền bằng số, ví dụ 30000.")
                continue
            changes[row.id] = (fee, extra)
        if not errors:
            try:
                changed = update_rates(current_principal(), changes)
            except InvalidInput as error:
                for rate_id in error.errors.get("rates", {}):
                    errors[int(rate_id)] = gettext("Phí từ 0 đến 10.000.000 ₫.")
            else:
                flash(gettext("Đã lưu %(count)d thay đổi biểu phí.", count=changed), "success")
                return redirect(url_for("portal_admin.shipping_rates"), code=303)
    return render_template(
        "portal/admin/shipping_rates.html", rows=rows, form=form, errors=errors, zone_labels=ZONE_LABELS
    ), 422 if errors else 200
