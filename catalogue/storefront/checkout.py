"""Checkout pages: the buyer's details and how they pay, the order's page (VietQR, card by Stripe.js), its status."""

from __future__ import annotations

import logging
from urllib.parse import quote, urlencode

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError as MarshmallowValidationError
from wtforms import EmailField, HiddenField, RadioField, SelectField, StringField, SubmitField, TelField
from wtforms.validators import DataRequired, Email, Optional, ValidationError

from catalogue import clock, order_links, waiting_room
from catalogue.cart import services as cart_services
from catalogue.delivery.quotes import MissingWeight, ParcelTooHeavy
from catalogue.delivery.views import carrier_name, status_label, tracking_url
from catalogue.delivery.wiring import carriers
from catalogue.errors import Conflict, DomainError, InvalidInput, NotFound
from catalogue.forms import CHOOSE, REQUIRED, Form, length
from catalogue.geography.addresses import province_names, ward_names
from catalogue.invoices import access as invoice_access
from catalogue.invoices.settings import valid_tax_code
from catalogue.live.services import CapExceeded
from catalogue.mail import ascii_local_part
from catalogue.orders import lookup, placement_limits, wiring
from catalogue.orders.cancellation import buyer_may_cancel
from catalogue.orders.schemas import vietnamese_phone
from catalogue.orders.services import (
    Address,
    CompanyInvoice,
    Customer,
    LineRequest,
    PaymentDeclined,
    PaymentServiceUnavailable,
)
from catalogue.payments import payment_gateway, payment_rails
from catalogue.payments.registry import BANK_TRANSFER, KNOWN, STRIPE
from catalogue.refusals import refusal_words
from catalogue.storefront import live as live_checkout
from catalogue.storefront.messages import decline_text, order_refusal_text, sold_out_text
from catalogue.storefront.pages import looked_up, order_timeline
from catalogue.storefront.payment_view import payment_context, rail_name, rail_text, status_answer

log = logging.getLogger(__name__)
checkout = Blueprint("checkout", __name__)
DEFAULT_PROVINCE = "Quảng Ninh"


def _phone(form, field) -> None:
    try:
        field.data = vietnamese_phone(field.data or "")
    except MarshmallowValidationError as error:  # the API's wording; the form speaks Vietnamese
        raise ValidationError(gettext("Số điện thoại Việt Nam, ví dụ 0912345678.")) from error


def _ascii_local_part(form, field) -> None:
    """Refuse `hà@việt.vn`: letters with marks before the @ need SMTPUTF8, which mail servers on the way may lack
    (the domain may have them: it is sent in its IDNA form); see catalogue.mail."""
    if field.data and not ascii_local_part(field.data.strip()):
        raise ValidationError(
            gettext(
                "Phần trước @ của email cần viết không dấu (ví dụ lan@việt.vn, không phải làn@việt.vn): "
                "thư gửi tới địa chỉ có dấu thường bị máy chủ thư từ chối."
            )
        )


def _tax_code(form, field) -> None:
    if field.data and valid_tax_code(field.data) is None:
        raise ValidationError(gettext("Mã số thuế chưa đúng (10 chữ số, hoặc 10 chữ số - 3 chữ số)."))


class CheckoutForm(Form):
    name = StringField(_l("Họ và tên"), validators=[DataRequired(REQUIRED), length(min=2, max=120)])
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(REQUIRED), Email(_l("Email chưa đúng.")), _ascii_local_part, length(max=200)],
    )
    phone = TelField(_l("Số điện thoại"), validators=[DataRequired(REQUIRED), _phone])
    line1 = StringField(_l("Số nhà, đường, thôn/xóm"), validators=[DataRequired(REQUIRED), length(min=3, max=200)])
    province = SelectField(_l("Tỉnh/thành phố"), validators=[DataRequired(CHOOSE)])
    ward = StringField(_l("Phường/xã/đặc khu"), validators=[DataRequired(REQUIRED), length(min=2, max=120)])
    payment_method = RadioField(_l("Cách thanh toán"), validators=[DataRequired(CHOOSE)])
    # A company invoice ("xuất hóa đơn công ty"): all three filled in, or none.
    company_name = StringField(_l("Tên công ty"), validators=[Optional(), length(min=2, max=300)])
    company_tax_code = StringField(_l("Mã số thuế công ty"), validators=[Optional(), length(max=20), _tax_code])
    company_address = StringField(_l("Địa chỉ công ty"), validators=[Optional(), length(min=3, max=300)])
    company_email = EmailField(_l("Email nhận hóa đơn"), validators=[Optional(), Email(_l("Email chưa đúng.")),
                                                                     length(max=200)])  # fmt: skip
    submit = SubmitField(_l("Đặt hàng và thanh toán"))
    # Without JavaScript: price the parcels for the address typed, and show the page again.
    calculate = SubmitField(_l("Tính phí vận chuyển"))

    def validate(self, extra_validators=None) -> bool:
        """The company's name, tax code and address go together."""
        valid = super().validate(extra_validators)
        company = (self.company_name, self.company_tax_code, self.company_address)
        if any(item.data for item in company):
            for item in company:
                if not item.data and not item.errors:
                    item.errors = [gettext("Cần cho hóa đơn công ty.")]
                    valid = False
        return valid

    def company(self) -> CompanyInvoice | None:
        """The company to invoice, when the buyer asked for one."""
        if not self.company_name.data:
            return None
        return CompanyInvoice(self.company_name.data.strip(), self.company_tax_code.data.strip(),
                              self.company_address.data.strip(), (self.company_email.data or "").strip())  # fmt: skip


class CancelForm(Form):
    submit = SubmitField(_l("Huỷ đơn hàng"))


class SwitchRailForm(Form):
    """Pay the same order another way while it is still reserved (the rail is checked by the service)."""

    method = HiddenField(validators=[DataRequired(CHOOSE)])


def method_labels() -> dict[str, tuple[str, str]]:
    """How each rail the shop knows is named to the buyer, and the line that says what it is.

    Both come from the rail's own labels in the page's language (catalogue.payments), so a rail
    added to the registry is offered in its own words, never missing or failing (issue 20).
    """
    texts = {rail.name: rail_text(rail.name) for rail in KNOWN}
    return {name: (text.name, text.description) for name, text in texts.items() if text is not None}


def _unavailable_text(method: str | None) -> str:
    text = rail_text(method) if method != STRIPE else None
    if text is not None:  # a domestic rail whose provider did not answer
        name = text.short_name
        return gettext("%(method)s tạm thời gián đoạn, đơn chưa được tạo. Vui lòng thử lại sau ít phút hoặc chọn cách "
                       "thanh toán khác.", method=name)  # fmt: skip
    return gettext("Thanh toán thẻ tạm thời gián đoạn, đơn chưa được tạo. Vui lòng thử lại sau ít phút.")


def _cart() -> dict[int, int]:
    return {int(product_id): quantity for product_id, quantity in session.get("cart", {}).items()}


def _remember_order(code: str, token: str) -> None:
    orders = dict(session.get("orders", {}))
    orders[code] = token
    session["orders"] = dict(list(orders.items())[-10:])  # the last ten orders of this browser
    session.permanent = True


def _token_for(code: str) -> str | None:
    """The buyer's token: kept by the browser that ordered (session), or by a link's order cookie."""
    remembered = session.get("orders", {}).get(code)
    if remembered:
        return remembered
    access = _cookie_access(code)
    return access.token if access else None


def _cookie_access(code: str) -> order_links.OrderAccess | None:
    return order_links.read_cookie(request.cookies.get(order_links.COOKIE_NAME), code)


def _exchange_link(code: str):
    """`?token=` (an email's grant, or the buyer's token) → the order's cookie, and the same URL without it (303).

    A token that opens nothing sets nothing: the clean URL then answers as it would anyway.
    """
    value = request.args["token"]
    cookie = None
    if order_links.read_link_grant(value, code):
        cookie = order_links.cookie_value(code, None)
    else:
        try:
            wiring.order_for_buyer(code, value)
        except NotFound:
            pass
        else:
            cookie = order_links.cookie_value(code, value)
    rest = [(name, kept) for name, kept in request.args.items(multi=True) if name != "token"]
    clean = quote(request.script_root + request.path) + (f"?{urlencode(rest)}" if rest else "")
    response = redirect(clean, code=303)
    if cookie is not None:
        response.set_cookie(
            order_links.COOKIE_NAME,
            cookie,
            max_age=order_links.cookie_seconds(),
            path=f"/orders/{code}",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
    return response


@checkout.before_app_request
def _token_in_url():
    """Any order page or part opened with `?token=`: exchanged for the order's cookie (see _exchange_link)."""
    args = request.view_args or {}
    if request.method == "GET" and "token" in request.args and "code" in args and request.path.startswith("/orders/"):
        return _exchange_link(args["code"])
    return None


@checkout.after_app_request
def _never_stored(response):
    """Every page and part that shows an order (its page, poll, QR, invoices) is kept by no cache."""
    if request.path.startswith("/orders/"):
        response.headers["Cache-Control"] = "private, no-store"
    return response


def _units_text() -> str:
    config = current_app.config
    return gettext(
        "Mỗi đơn hàng đặt tối đa %(per_line)s sản phẩm mỗi loại và %(per_order)s sản phẩm tất cả. "
        "Cần mua nhiều hơn, vui lòng gọi cho cửa hàng.",
        per_line=placement_limits.setting(config, "ORDER_MAX_UNITS_PER_LINE"),
        per_order=placement_limits.setting(config, "ORDER_MAX_UNITS_PER_ORDER"),
    )


def _limit_text(limit) -> str:
    """'5 đơn mỗi giờ' for limits' 5 per 1 hour."""
    units = {"second": gettext("giây"), "minute": gettext("phút"), "hour": gettext("giờ"), "day": gettext("ngày"),
             "month": gettext("tháng"), "year": gettext("năm")}  # fmt: skip
    unit = units.get(limit.GRANULARITY.name, limit.GRANULARITY.name)
    every = f"{limit.multiples} {unit}" if limit.multiples > 1 else unit
    return gettext("%(amount)d đơn mỗi %(every)s", amount=limit.amount, every=every)


@checkout.get("/checkout/room")
@waiting_room.not_a_page
def checkout_room():
    """204 when this worker would take an order now, else 503 with Retry-After: the checkout page of a turned-away
    order asks this before sending the order again, so waiting buyers cost a question, not a page, per try."""
    config = current_app.config
    if placement_limits.has_room(config):
        return "", 204, {"Cache-Control": "no-store"}
    return (
        "",
        503,
        [("Cache-Control", "no-store"), *placement_limits.retry_headers(placement_limits.retry_after(config))],
    )


@checkout.route("/checkout", methods=["GET", "POST"])
@waiting_room.places_orders
def checkout_page():
    """The buyer's details and address; placing the order reserves the stock.

    Opened with ?live=<code> after "Mua ngay" on that live page: that product alone (the cart is
    left as it was), VietQR chosen, the order carrying the session (catalogue.storefront.live)."""
    live_code = request.args.get("live") or None
    marker = live_checkout.checkout_marker(live_code)
    terms = live_checkout.live_terms(marker) if marker else None
    if terms is None:
        marker = live_code = None
    cart = {marker["product"]: marker["quantity"]} if marker else _cart()
    priced, kept = cart_services.price_cart(cart, clock.today())
    if terms is not None and terms.open_at(clock.now()):
        priced = cart_services.at_prices(priced, terms.prices)
    if not priced.lines:
        flash(gettext("Giỏ hàng đang trống."), "warning")
        return redirect(url_for("storefront.cart"))
    rails = payment_rails()
    labels = method_labels()
    chosen = rails.methods[0] if rails.methods else None
    if marker and BANK_TRANSFER in rails.methods:
        chosen = BANK_TRANSFER  # shown on stream as a QR: the buyer pays by a bank app's QR too
    form = CheckoutForm(payment_method=chosen)
    form.payment_method.choices = [(method, labels[method][0]) for method in rails.methods]
    form.province.choices = province_names()
    if not form.province.data:
        form.province.data = DEFAULT_PROVINCE
    status, busy = 200, None
    quote, quote_error = None, None
    calculating = request.method == "POST" and bool(form.calculate.data)
    if not calculating and form.validate_on_submit():
        try:
            placed = wiring.place_order(
                [LineRequest(product_id, quantity) for product_id, quantity in kept.items()],
                Customer(form.name.data.strip(), form.email.data.strip(), form.phone.data, company=form.company()),
                Address(form.line1.data.strip(), form.ward.data.strip(), form.province.data),
                payment_method=form.payment_method.data,
                live=terms,
            )
        except (MissingWeight, ParcelTooHeavy) as error:
            quote_error = _delivery_refusal(error)
            status = 422
        except InvalidInput as error:
            address = error.errors.get("shipping_address") or {}
            words = refusal_words(error.code)  # a coded refusal is worded by its code (catalogue.refusals)
            if "ward" in address:
                form.ward.errors = [gettext("Không có phường/xã này ở %(province)s.", province=form.province.data)]
            elif "province" in address:
                form.province.errors = [CHOOSE]
            elif "payment_method" in error.errors:
                form.payment_method.errors = [words or CHOOSE]
            elif isinstance(error, CapExceeded):
                flash(live_checkout.cap_text(error), "warning")
                status = 422
            elif words:  # order.too_large
                flash(refusal_words(error.code), "warning")
                status = 422
            elif "lines" in error.errors:
                flash(_units_text(), "warning")
                status = 422
            else:
                flash(order_refusal_text(priced), "warning")
                status = 422
        except placement_limits.TooManyOrders as error:
            flash(
                gettext("Bạn đã đặt quá nhiều đơn trong thời gian ngắn (tối đa %(limit)s). Vui lòng thử lại sau "
                        "hoặc gọi cho cửa hàng.", limit=_limit_text(error.limit)),
                "warning",
            )  # fmt: skip
            status = 429
        except placement_limits.Busy as error:
            status, busy = 503, error
            flash(refusal_words(error.code), "warning")
        except PaymentServiceUnavailable:
            status = 503
            flash(_unavailable_text(form.payment_method.data), "warning")
        except Conflict as error:
            flash(sold_out_text(error, priced), "warning")
            return redirect(url_for("storefront.cart"), code=303)
        else:
            if marker:
                live_checkout.placed(marker, placed.order.code)
            else:
                session["cart"] = {}
            _remember_order(placed.order.code, placed.access_token)
            return _hand_off(placed.order.code, placed.payment.redirect_url if placed.payment else None)
    lines = [LineRequest(product_id, quantity) for product_id, quantity in kept.items()]
    if quote_error is None and (form.ward.data or "").strip():
        quote, quote_error = _quote_for_page(form, lines)
    cart_lines = [{"product_id": line.product_id, "quantity": line.quantity} for line in lines]
    return (
        render_template(
            "checkout/checkout.html",
            form=form,
            cart=priced,
            quote=quote,
            quote_error=quote_error,
            cart_lines=cart_lines,
            carrier_brands=_carrier_brands(),
            kg=_kg,
            shipping_fee=quote.shipping_fee_vnd if quote is not None else None,
            wards=ward_names(form.province.data or DEFAULT_PROVINCE),
            method_hints={method: hint for method, (_, hint) in labels.items()},
            demo_account=rails.is_demo,
            live_code=live_code,
            demo_method=rails.demo_method,
            retry_after=busy.retry_after if busy else None,
        ),
        422 if form.errors else status,
        busy.headers if busy else (),
    )


def _quote_for_page(form: CheckoutForm, lines: list[LineRequest]):
    """The parcels for the address typed, or why there are none (in Vietnamese, on the field to blame)."""
    try:
        return wiring.quote_delivery(lines, Address("", form.ward.data.strip(), form.province.data)), None
    except (MissingWeight, ParcelTooHeavy) as error:
        return None, _delivery_refusal(error)
    except InvalidInput as error:
        address = error.errors.get("shipping_address") or {}
        if "ward" in address:
            form.ward.errors = [gettext("Không có phường/xã này ở %(province)s.", province=form.province.data)]
        elif "province" in address:
            form.province.errors = [CHOOSE]
        return None, None


def _delivery_refusal(error: InvalidInput) -> str:
    """Why the parcels cannot be priced, for the shopper."""
    if isinstance(error, MissingWeight):
        return gettext("«%(product)s» chưa có khối lượng nên chưa tính được phí vận chuyển. Cửa hàng sẽ bổ sung; "
                       "vui lòng bỏ sản phẩm này khỏi giỏ hoặc quay lại sau.", product=error.product_name)  # fmt: skip
    return gettext("Kiện hàng nặng %(weight)s kg, vượt giới hạn %(limit)s kg của đơn vị vận chuyển: hãy giảm số lượng "
                   "«%(product)s» hoặc chia thành nhiều đơn.", weight=_kg(error.weight_g),
                   limit=_kg(error.max_weight_g), product=error.product_name)  # fmt: skip


def _kg(grams: int) -> str:
    return f"{grams / 1000:g}".replace(".", ",")


def _carrier_brands() -> dict[str, str]:
    return {carrier.name: carrier.labels.brand for carrier in carriers().on}


def _hand_off(code: str, redirect_url: str | None):
    """VNPay, MoMo: on to the gateway's page (303); VietQR, cards: the order page.

    Only to an origin the page's form-action allows (Rails.handoff_origins): a browser refuses
    any other after a form post and stays put. A gateway answering a pay URL elsewhere gets the
    order page, whose link to that URL (a link, not a form) still takes the buyer there.
    """
    if redirect_url and payment_rails().hands_off_to(redirect_url):
        return redirect(redirect_url, code=303)
    if redirect_url:
        log.warning("Order %s: the pay URL is not on a configured gateway origin; the order page links to it", code)
    return redirect(url_for("checkout.order", code=code), code=303)


def _readable_order(code: str):
    """The order and whether it is read-only: with its token (the buyer), or found by code and phone."""
    token = _token_for(code)
    try:
        return wiring.order_for_buyer(code, token), False
    except NotFound:
        if not (looked_up(code) or _cookie_access(code) is not None):
            abort(404)
        # Found by its code and phone (/orders/lookup) or opened from an email's link: the status
        # and history, but paying and cancelling still need the order's own token.
        return lookup.order_for_lookup(code, clock.now()), True


@checkout.get("/checkout/wards.json")
def ward_list():
    """The wards of the province chosen at checkout, for the ward field's suggestions (checkout.js)."""
    province = (request.args.get("province") or "").strip()
    wards = ward_names(province) if province else []
    if not wards:
        response = jsonify({"message": gettext("Không có tỉnh/thành phố “%(name)s”.", name=province[:80])})
        response.status_code = 404
        return response
    response = jsonify({"province": province, "wards": wards})
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@checkout.get("/orders/<code>")
def order(code: str):
    """The order's status and its money; while it waits for payment, how to pay (VietQR, card, VNPay, MoMo)."""
    found, read_only = _readable_order(code)
    link_token = None  # the order's parts are opened by the session or the order's cookie, never a token in a URL
    return render_template(
        "checkout/order.html",
        order=found,
        read_only=read_only,
        timeline=order_timeline(found),
        token=_token_for(code),
        link_token=link_token,
        cancel_form=CancelForm(),
        switch_form=SwitchRailForm(),
        may_cancel=buyer_may_cancel(found),
        stripe_js_url=current_app.config["STRIPE_JS_URL"],
        publishable_key=payment_gateway().publishable_key,
        processing=request.args.get("processing") == "1",
        labels=method_labels(),
        rail_name=rail_name,
        invoices=invoice_access.for_order(found),
        parcel_status=status_label,
        parcel_carrier=carrier_name,
        tracking_url=tracking_url,
        **payment_context(found, read_only),
    )


@checkout.get("/orders/<code>/status.json")
def order_status(code: str):
    """The order page's poll: status, paid, still due (the same access as the page)."""
    found, _ = _readable_order(code)
    response = jsonify(status_answer(found))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@checkout.post("/orders/<code>/pay-by")
def switch_rail(code: str):
    """Start another attempt by another rail while the order is reserved; VNPay and MoMo send the buyer on."""
    form = SwitchRailForm()
    if not form.validate():
        abort(400)
    try:
        started = wiring.start_payment(code, _token_for(code), form.method.data)
    except NotFound:
        abort(404)
    except InvalidInput as error:
        flash(refusal_words(error.code) or gettext("Cách thanh toán này không dùng được cho đơn hàng."), "warning")
    except PaymentServiceUnavailable:  # the rail's own name says more than the code's words
        name = rail_name(form.method.data)
        flash(gettext("%(method)s tạm thời gián đoạn. Vui lòng thử lại sau ít phút hoặc chọn cách thanh toán khác.",
                      method=name), "warning")  # fmt: skip
    except Conflict as error:
        flash(refusal_words(error.code) or gettext("Đơn hàng này không còn chờ thanh toán."), "warning")
    else:
        return _hand_off(code, started.redirect_url)
    return redirect(url_for("checkout.order", code=code), code=303)


@checkout.get("/orders/<code>/vietqr.svg")
def vietqr_image(code: str):
    """The QR of the order's open VietQR attempt (what is still due), for whoever may pay the order."""
    try:
        found = wiring.order_for_buyer(code, _token_for(code))
    except NotFound:
        abort(404)
    started = wiring.current_payment(found)
    if started is None or started.transfer is None:
        abort(404)
    response = current_app.response_class(started.transfer.svg, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, no-store"  # the amount due changes as transfers arrive
    return response


@checkout.post("/orders/<code>/pay")
def pay(code: str):
    """Confirm the PaymentIntent with the card Stripe.js tokenised (JSON; CSRF header)."""
    payload = request.get_json(silent=True) or {}
    payment_method = payload.get("payment_method")
    if not isinstance(payment_method, str) or not payment_method.startswith(("card_", "pm_")):
        return jsonify({"error": gettext("Thiếu thông tin thẻ.")}), 400
    try:
        status = wiring.attempt_card_payment(code, _token_for(code), payment_method)
    except NotFound:
        abort(404)
    except PaymentDeclined as error:
        return jsonify({"error": decline_text(error.decline_code)}), int(error.http_status)
    except PaymentServiceUnavailable as error:
        message = gettext("Thanh toán thẻ tạm thời gián đoạn; đơn hàng vẫn được giữ. Vui lòng thử lại sau ít phút.")
        return jsonify({"error": message}), int(error.http_status)
    except DomainError as error:  # the order no longer waits for a payment
        message = refusal_words(error.code) or gettext("Đơn hàng này không còn chờ thanh toán. Vui lòng tải lại trang.")
        return jsonify({"error": message}), int(error.http_status)
    return jsonify({"status": status})


@checkout.post("/orders/<code>/cancel")
def cancel(code: str):
    """The buyer cancels before paying."""
    form = CancelForm()
    if not form.validate():
        abort(400)
    try:
        wiring.cancel_by_buyer(code, _token_for(code))
    except NotFound:
        abort(404)
    except DomainError as error:  # paid already (order.not_cancellable): only the shop cancels and refunds now
        flash(
            refusal_words(error.code)
            or gettext("Đơn hàng đã thanh toán, bạn không tự huỷ được. Vui lòng liên hệ cửa hàng để huỷ và hoàn tiền."),
            "warning",
        )
    else:
        flash(gettext("Đơn hàng đã được huỷ."), "success")
    return redirect(url_for("checkout.order", code=code), code=303)
