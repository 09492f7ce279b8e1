"""The OCOP office's payments pages: the day's money by rail, unmatched transfers, refunds to make by hand.

The money desk (`/desk`) sets each unmatched transfer beside the waiting orders it may pay
(catalogue.orders.money_desk) and matches one by hand, audited.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired

from catalogue import clock
from catalogue.delivery import returns, tracking
from catalogue.errors import Conflict, NotFound
from catalogue.forms import REQUIRED, Form, length
from catalogue.orders import money_desk, wiring
from catalogue.payments import daybook, ledger
from catalogue.payments.registry import NAMES
from catalogue.portal.auth import current_principal
from catalogue.storefront.payment_view import rail_name

portal_payments = Blueprint("portal_payments", __name__, url_prefix="/portal/admin/payments")


class AssignTransferForm(Form):
    order_code = StringField(_l("Mã đơn hàng"), validators=[DataRequired(REQUIRED), length(min=4, max=20)])
    submit = SubmitField(_l("Gán vào đơn"))


class RefundReturnedForm(Form):
    reference = StringField(_l("Mã giao dịch ngân hàng"), validators=[DataRequired(REQUIRED), length(min=3, max=100)])
    submit = SubmitField(_l("Đã hoàn tiền"))


@portal_payments.before_request
@login_required
def _office_only() -> None:
    """Signed in (else to the login page) and an admin (else 403)."""
    if current_user.role != "admin":
        abort(403)


@portal_payments.after_request
def _private(response):
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _day() -> date:
    try:
        return date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        return clock.today()


@portal_payments.get("/")
def payments():
    """The day's money by rail, the transfers no order claimed, the refunds the office owes."""
    return _page(_day())


@portal_payments.post("/transfers/<int:transfer_id>/assign")
def assign(transfer_id: int):
    """Put an unmatched bank transfer on the order it pays; the order settles as if the content had named it."""
    form = AssignTransferForm()
    if form.validate():
        code = form.order_code.data.strip().upper()
        try:
            outcome = wiring.assign_transfer(current_principal(), transfer_id, code)
        except NotFound as error:
            if "order_code" not in error.errors:
                raise
            form.order_code.errors = [gettext("Không có đơn hàng %(code)s.", code=code)]
        except Conflict:
            flash(gettext("Khoản chuyển này đã được gán vào một đơn hàng."), "warning")
            return redirect(url_for("portal_payments.payments"), code=303)
        else:
            flash(gettext("Đã gán khoản chuyển vào đơn %(code)s (%(outcome)s).", code=code,
                          outcome=_outcome_text(outcome)), "success")  # fmt: skip
            return redirect(url_for("portal_payments.payments"), code=303)
    return _page(clock.today(), assign_forms={transfer_id: form})


@portal_payments.get("/desk")
def desk():
    """Each unmatched transfer beside the waiting orders it may pay; a search per transfer; the matches made."""
    return _desk_page()


@portal_payments.post("/desk/transfers/<int:transfer_id>/match")
def match(transfer_id: int):
    """Match a transfer to the order the office chose on the desk (the same rules as assigning it by code)."""
    form = AssignTransferForm()
    if not form.validate():
        return _desk_page(gettext("Chọn một đơn hàng để khớp."), 422)
    code = money_desk.order_code(form.order_code.data)
    try:
        outcome = wiring.assign_transfer(current_principal(), transfer_id, code)
    except NotFound as error:
        if "order_code" not in error.errors:
            raise
        return _desk_page(gettext("Không có đơn hàng %(code)s.", code=code), 422)
    except Conflict:
        flash(gettext("Khoản chuyển này đã được gán vào một đơn hàng."), "warning")
    else:
        flash(gettext("Đã khớp khoản chuyển vào đơn %(code)s (%(outcome)s).", code=code,
                      outcome=_outcome_text(outcome)), "success")  # fmt: skip
    return redirect(url_for("portal_payments.desk"), code=303)


DESK_TRANSFERS = 30  # the oldest first; the rest wait for these to be matched
DESK_SUGGESTIONS = 8


def _desk_page(error: str | None = None, status: int = 200):
    now = clock.now()
    searched = request.args.get("transfer", type=int)
    query = request.args.get("q", "").strip()[: money_desk.MAX_QUERY]
    unmatched = ledger.unmatched_transfers()
    cards = []
    for row in unmatched[:DESK_TRANSFERS]:
        if row.id == searched and query:
            clues = money_desk.with_amount(money_desk.clues_from_query(query), row.amount_vnd)
        else:
            clues = money_desk.clues_from_transfer(row)
        cards.append((row, ledger.details_of(row), money_desk.find_candidates(clues, now, DESK_SUGGESTIONS)))
    return render_template(
        "portal/admin/money_desk.html",
        cards=cards,
        more=max(len(unmatched) - DESK_TRANSFERS, 0),
        searched=searched,
        query=query,
        error=error,
        matches=money_desk.recent_matches(),
        outcome_text=_outcome_text,
    ), status


@portal_payments.post("/refunds/<int:refund_id>/returned")
def returned(refund_id: int):
    """The office returned a due refund by hand, with the bank's reference."""
    form = RefundReturnedForm()
    if form.validate():
        try:
            wiring.mark_refund_returned(current_principal(), refund_id, form.reference.data.strip())
        except Conflict:
            flash(gettext("Khoản hoàn tiền này đã được ghi trước đó."), "warning")
        else:
            flash(gettext("Đã ghi hoàn tiền, mã giao dịch %(reference)s.", reference=form.reference.data.strip()),
                  "success")  # fmt: skip
        return redirect(url_for("portal_payments.payments"), code=303)
    return _page(clock.today(), refund_forms={refund_id: form})


def _outcome_text(outcome: str) -> str:
    return {
        "paid": gettext("đơn đã thanh toán"),
        "partly_paid": gettext("đơn còn thiếu tiền"),
        "surplus": gettext("tiền dư, cần hoàn lại"),
        "refund_pending": gettext("đơn hết hàng, cần hoàn lại"),
    }.get(outcome, outcome)


def _refund_reason(reason: str) -> str:
    """Why money goes back, in the office's words (the ledger keeps the service's English word)."""
    parcel = returns.returned_reference(reason)
    if parcel is not None:
        return gettext("kiện %(reference)s bị hoàn về người bán", reference=parcel)
    return {
        "surplus": gettext("chuyển dư"),
        "paid after expiry, sold out": gettext("chuyển sau khi đơn hết hạn, hàng đã hết"),
        "paid twice (card after another rail)": gettext("thanh toán hai lần (thẻ sau một cách khác)"),
        tracking.EVERY_RETURNED: gettext("mọi kiện của đơn bị hoàn về người bán"),
    }.get(reason) or _api_refund_reason(reason)


def _api_refund_reason(reason: str) -> str:
    """`<brand> refund failed / to check` (catalogue.orders.refunds) for each rail refunding by API, in office words."""
    brand, _, what = reason.partition(" refund ")
    if what == "failed":
        return gettext("%(brand)s không hoàn được, cần hoàn tay", brand=brand)
    if what == "to check":
        return gettext(
            "%(brand)s đã nhận yêu cầu hoàn trước đó: kiểm tra trên trang quản lý của %(brand)s", brand=brand
        )
    return reason


def _page(day: date, assign_forms: dict | None = None, refund_forms: dict | None = None):
    assign_forms, refund_forms = assign_forms or {}, refund_forms or {}
    totals = ledger.day_totals(day)
    refunded = daybook.refunded_by_method(day)
    transfers, refunds = ledger.unmatched_transfers(), ledger.refunds_due()
    rails = [name for name in NAMES if name in totals.received_by_method or name in refunded]
    return render_template(
        "portal/admin/payments.html",
        day=day,
        previous_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1) if day < clock.today() else None,
        totals=totals,
        refunded=refunded,
        rails=rails,
        transfers=[
            (row, ledger.details_of(row), assign_forms.get(row.id) or AssignTransferForm(formdata=None))
            for row in transfers
        ],  # fmt: skip
        refunds=[(row, refund_forms.get(row.id) or RefundReturnedForm(formdata=None)) for row in refunds],
        elsewhere=[(row, ledger.details_of(row)) for row in ledger.other_account_transfers(day)],
        codes=daybook.order_codes(refunds),
        rail_name=rail_name,
        refund_reason=_refund_reason,
    ), 422 if assign_forms or refund_forms else 200
