"""What a buyer checks before trusting a shop: who runs it, its policies, and finding an order again.

The seller's facts and the policy pages follow Decree 52/2013/NĐ-CP on e-commerce
(amended by Decree 85/2021/NĐ-CP); the privacy page follows Decree 13/2023/NĐ-CP on
personal data. The figures they quote (shipping fees, reservation time, return
window) are read from the same settings the checkout uses, so they cannot drift.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

from flask import current_app, redirect, render_template, request, session, url_for
from flask_babel import format_datetime, get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from marshmallow import ValidationError as MarshmallowValidationError
from wtforms import StringField, SubmitField, TelField
from wtforms.validators import DataRequired, Length, ValidationError

from catalogue import clock
from catalogue.delivery import tracking
from catalogue.delivery.models import RATE_ZONES
from catalogue.delivery.zones import ZONE_LABELS, read_bands
from catalogue.errors import NotFound
from catalogue.extensions import limiter
from catalogue.models_base import as_utc
from catalogue.orders import lookup
from catalogue.orders.schemas import vietnamese_phone
from catalogue.payments import payment_rails as configured_rails
from catalogue.payments.registry import KNOWN
from catalogue.storefront.caching import cacheable
from catalogue.storefront.views import storefront

# Per client address, and per order code whatever the address (so a phone cannot be guessed from many hosts).
LOOKUP_LIMIT = "5 per minute"
LOOKUP_CODE_LIMIT = "10 per hour"
LOOKUP_SESSION_KEY = "order_lookups"
LOOKUP_VALID_SECONDS = 2 * 3600
REQUIRED = _l("Vui lòng nhập thông tin này.")
POLICY_ENDPOINTS = ("about", "returns_policy", "shipping_policy", "privacy_policy", "payment_policy")


@dataclass(frozen=True)
class PaymentRail:
    """A way to pay, as the payment page describes it to shoppers."""

    code: str
    title: str
    how: str
    refund: str


def payment_rails() -> dict[str, PaymentRail]:
    """What the payment page says of each rail the shop knows, by its code, in checkout order.

    Every word comes from the rail's own labels in the page's language (catalogue.payments), so
    a rail added to the registry is described here without touching this page (issue 20).
    """
    locale = str(get_locale() or "vi")
    texts = ((rail.name, rail.labels.in_locale(locale)) for rail in KNOWN)
    return {name: PaymentRail(name, text.name, text.how, text.refund) for name, text in texts}


def offered_rails() -> list[PaymentRail]:
    """The rails this shop's checkout offers, in its order (catalogue.payments: VietQR first)."""
    described = payment_rails()
    return [described[code] for code in configured_rails().methods if code in described]


def operator_facts() -> dict:
    """The seller's facts for every page (footer, about page), from the OPERATOR_* settings."""
    config = current_app.config
    return {
        "operator": {
            "name": config["OPERATOR_NAME"],
            "address": config["OPERATOR_ADDRESS"],
            "hotline": config["OPERATOR_HOTLINE"],
            "hotline_uri": "tel:" + "".join(ch for ch in config["OPERATOR_HOTLINE"] if ch.isdigit() or ch == "+"),
            "email": config["OPERATOR_EMAIL"],
            "registration_no": config["OPERATOR_REGISTRATION_NO"],
            "registration_issuer": config["OPERATOR_REGISTRATION_ISSUER"],
            "registration_date": date.fromisoformat(config["OPERATOR_REGISTRATION_DATE"]),
            "is_sample": config["OPERATOR_IS_SAMPLE"],
            "moit_notice_url": config.get("OPERATOR_MOIT_NOTICE_URL"),
        }
    }


@storefront.get("/gioi-thieu")
@cacheable
def about():
    """Who runs the shop: operator, address, hotline, email, business registration."""
    return render_template("storefront/pages/about.html")


@storefront.get("/chinh-sach/doi-tra")
@cacheable
def returns_policy():
    """Returns and refunds (đổi trả, hoàn tiền)."""
    return render_template("storefront/pages/returns.html", window_days=current_app.config["RETURN_WINDOW_DAYS"])


@storefront.get("/chinh-sach/van-chuyen")
def shipping_policy():
    """Shipping: the zone table as the office set it (not cached: the office's edits show at once)."""
    bands = read_bands()
    zones = [(zone, ZONE_LABELS[zone], [band for band in bands if band.zone == zone]) for zone in RATE_ZONES]
    return render_template("storefront/pages/shipping.html", zones=[zone for zone in zones if zone[2]],
                           kilograms=_kilograms)  # fmt: skip


@storefront.get("/chinh-sach/bao-mat")
@cacheable
def privacy_policy():
    """Personal data: what checkout collects, why, for how long, the buyer's rights (Decree 13/2023)."""
    return render_template("storefront/pages/privacy.html")


@storefront.get("/chinh-sach/thanh-toan")
@cacheable
def payment_policy():
    """How to pay: the rails the checkout offers today."""
    return render_template(
        "storefront/pages/payment.html",
        rails=offered_rails(),
        reservation_minutes=current_app.config["RESERVATION_MINUTES"],
    )


def _kilograms(grams: int) -> str:
    return f"{grams / 1000:g}".replace(".", ",")


def _phone(form, field) -> None:
    try:
        vietnamese_phone(field.data or "")
    except MarshmallowValidationError as error:
        raise ValidationError(gettext("Số điện thoại Việt Nam, ví dụ 0912345678.")) from error


class OrderLookupForm(FlaskForm):
    code = StringField(_l("Mã đơn hàng"), validators=[DataRequired(REQUIRED), Length(max=20)])
    phone = TelField(_l("Số điện thoại đã dùng khi đặt hàng"), validators=[DataRequired(REQUIRED), _phone])
    submit = SubmitField(_l("Tra cứu"))


def _submitted_code() -> str:
    return "order-lookup-code:" + lookup.normalised_code(request.form.get("code", ""))[:20]


@storefront.route("/orders/lookup", methods=["GET", "POST"])
@limiter.limit(LOOKUP_LIMIT, methods=["POST"])
@limiter.limit(LOOKUP_CODE_LIMIT, methods=["POST"], key_func=_submitted_code)
def order_lookup():
    """Find an order by its code and checkout phone; the same answer whichever of the two is wrong."""
    form = OrderLookupForm()
    if request.method == "POST":
        limiter.check()
    if form.validate_on_submit():
        try:
            found = lookup.order_by_code_and_phone(form.code.data, form.phone.data, clock.now())
        except NotFound:
            form.code.errors = [gettext("Không tìm thấy đơn hàng với mã và số điện thoại này.")]
        else:
            remember_lookup(found.code)
            return redirect(url_for("checkout.order", code=found.code), code=303)
    return render_template("storefront/pages/order_lookup.html", form=form), 422 if form.errors else 200


@storefront.errorhandler(429)
def too_many_lookups(error):
    """Too many look-ups: say so, and when to try again."""
    form = OrderLookupForm()
    form.code.errors = [gettext("Bạn đã tra cứu quá nhiều lần. Vui lòng thử lại sau ít phút.")]
    return render_template("storefront/pages/order_lookup.html", form=form), 429


def remember_lookup(code: str) -> None:
    """This browser proved the order's code and phone: it may read the order for a while."""
    now = int(time.time())
    kept = {known: until for known, until in session.get(LOOKUP_SESSION_KEY, {}).items() if until > now}
    kept[code] = now + LOOKUP_VALID_SECONDS
    session[LOOKUP_SESSION_KEY] = dict(list(kept.items())[-10:])


def looked_up(code: str) -> bool:
    """True while this browser's look-up of `code` is fresh (the session cookie is signed)."""
    return session.get(LOOKUP_SESSION_KEY, {}).get(code, 0) > time.time()


@dataclass(frozen=True)
class TimelineEntry:
    """One step of an order's history as the buyer reads it."""

    status: str
    placed: bool
    note: str
    at_iso: str
    at_text: str


def order_timeline(order) -> list[TimelineEntry]:
    """The order's status history, oldest first, with Vietnam's local times (`14:05 12/06/2026`)."""
    notes = {
        "reservation expired": gettext("Hết thời gian giữ hàng mà chưa thanh toán"),
        "cancelled by buyer": gettext("Người mua huỷ đơn"),
        "payment provider unavailable": gettext("Không kết nối được đơn vị thanh toán"),
        "every producer shipped": gettext("Tất cả sản phẩm đã được gửi đi"),
        tracking.EVERY_LEFT: gettext("Tất cả sản phẩm đã được gửi đi"),
        tracking.PARTLY_RETURNED: gettext("Có kiện hàng không giao được, đã hoàn về người bán"),
        tracking.EVERY_RETURNED: gettext("Hãng vận chuyển đã hoàn hàng về người bán"),
    }
    entries = []
    for event in order.events:
        moment = as_utc(event.created_at)
        entries.append(
            TimelineEntry(
                status=event.to_status,
                placed=event.from_status is None,
                note=notes.get(event.reason, ""),
                at_iso=moment.isoformat(),
                at_text=gettext("%(time)s (giờ Việt Nam)", time=format_datetime(moment, "HH:mm dd/MM/yyyy")),
            )
        )
    return entries
