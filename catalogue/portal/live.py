"""Portal pages for live sessions: a producer's own (the office's any), their short link and QR, their figures.

Who may manage which session and pin which product is decided by catalogue.live.services; these views
parse the form (one row per product that may be pinned: pinned?, live price, cap) and show the answers.
"""

from __future__ import annotations

from datetime import datetime

import segno
from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import DateTimeLocalField, StringField, SubmitField
from wtforms.validators import DataRequired

from catalogue import clock
from catalogue.errors import InvalidInput
from catalogue.forms import REQUIRED, Form, length
from catalogue.live import services as live
from catalogue.models_base import as_utc
from catalogue.portal.auth import current_principal
from catalogue.portal.views import portal
from catalogue.urls import public_base

TIME_FORMAT = "%Y-%m-%dT%H:%M"


class LiveSessionForm(Form):
    title = StringField(_l("Tên phiên live"), validators=[DataRequired(REQUIRED), length(min=2, max=200)])
    starts_at = DateTimeLocalField(_l("Bắt đầu"), format=TIME_FORMAT, validators=[DataRequired(REQUIRED)])
    ends_at = DateTimeLocalField(_l("Kết thúc"), format=TIME_FORMAT, validators=[DataRequired(REQUIRED)])
    submit = SubmitField(_l("Lưu phiên live"))


def _local(moment: datetime) -> datetime:
    """A time typed in the form (Vietnam's clock) as an aware moment."""
    return moment.replace(tzinfo=clock.VIETNAM)


def _pins_from_form() -> tuple[list[live.PinInput], dict[int, str]]:
    """The rows ticked: (pins, {product_id: what is wrong with its numbers})."""
    pins, problems = [], {}
    for raw in request.form.getlist("pin"):
        try:
            product_id = int(raw)
        except ValueError:
            continue
        values = {}
        for name in ("price", "cap"):
            text = (request.form.get(f"{name}_{product_id}") or "").replace(".", "").replace(" ", "").strip()
            try:
                values[name] = int(text) if text else None
            except ValueError:
                problems[product_id] = gettext("Giá live và giới hạn mỗi người là số nguyên.")
                values[name] = None
        pins.append(live.PinInput(product_id, values["price"], values["cap"]))
    return pins, problems


def _pin_problems(error: InvalidInput, pins: list[live.PinInput]) -> dict[int, str]:
    found = {}
    rows = error.errors.get("pins")
    for index in rows if isinstance(rows, dict) else {}:
        product_id = pins[int(index)].product_id
        found[product_id] = gettext(
            "Chỉ ghim sản phẩm của mình; giá live lớn hơn 0 và không cao hơn giá bán; giới hạn từ 1 đến 99."
        )
    return found


@portal.get("/live")
def live_sessions():
    principal = current_principal()
    return render_template("portal/live_sessions.html", sessions=live.sessions_for(principal), now=clock.now(),
                           is_open=live.is_open)  # fmt: skip


@portal.route("/live/new", methods=["GET", "POST"])
def new_live_session():
    return _edit(None)


@portal.route("/live/<int:session_id>", methods=["GET", "POST"])
def live_session(session_id: int):
    return _edit(session_id)


def _edit(session_id: int | None):
    principal = current_principal()
    found = live.managed_session(principal, session_id) if session_id is not None else None
    if request.method == "POST" or found is None:
        form = LiveSessionForm()
    else:
        data = {"title": found.title, "starts_at": _vn(found.starts_at), "ends_at": _vn(found.ends_at)}
        form = LiveSessionForm(formdata=None, data=data)
    products = live.pinnable_products(principal)
    pinned = {pin.product_id: pin for pin in found.pins} if found else {}
    problems: dict[int, str] = {}
    status = 200
    if request.method == "POST":
        pins, problems = _pins_from_form()
        pinned = {pin.product_id: pin for pin in pins}
        if form.validate_on_submit() and not problems:
            if form.ends_at.data <= form.starts_at.data:
                form.ends_at.errors = [gettext("Giờ kết thúc phải sau giờ bắt đầu.")]
            else:
                try:
                    saved = live.save_session(principal, session_id, form.title.data,
                                              _local(form.starts_at.data), _local(form.ends_at.data), pins)  # fmt: skip
                except InvalidInput as error:
                    problems = _pin_problems(error, pins)
                else:
                    flash(gettext("Đã lưu phiên live."), "success")
                    return redirect(url_for("portal.live_session", session_id=saved.id), code=303)
        status = 422
    link = public_base() + url_for("live.page", code=found.code) if found else None
    return render_template(
        "portal/live_session.html",
        form=form,
        session=found,
        products=products,
        pinned=pinned,
        problems=problems,
        link=link,
        qr=Markup(segno.make_qr(link, error="m").svg_inline(scale=6, title=gettext("Mã QR của phiên live")))
        if link
        else None,
        figures=live.figures(found, None if principal.is_admin else principal.producer_id) if found else None,
    ), status


def _vn(moment: datetime) -> datetime:
    return as_utc(moment).astimezone(clock.VIETNAM).replace(tzinfo=None)


@portal.get("/live/<int:session_id>/qr.svg")
def live_qr(session_id: int):
    """The session's QR as a file, to put on the stream's overlay."""
    found = live.managed_session(current_principal(), session_id)
    link = public_base() + url_for("live.page", code=found.code)
    return Response(segno.make_qr(link, error="m").svg_inline(scale=10), mimetype="image/svg+xml")
