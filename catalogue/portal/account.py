"""A signed-in user's own account: change the password, turn on two-factor sign-in, sign out everywhere."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_required, logout_user

from catalogue.accounts import passwords
from catalogue.accounts.services import change_password, end_sessions, recovery_codes_left
from catalogue.errors import InvalidInput
from catalogue.portal.auth import current_principal, stamp_session
from catalogue.portal.forms import ButtonForm, ChangePasswordForm

portal_account = Blueprint("portal_account", __name__, url_prefix="/portal/account")


@portal_account.before_request
@login_required
def _signed_in() -> None:
    """Only a signed-in user (a session; bearer tokens do not count)."""


@portal_account.after_request
def _private(response):
    response.headers["Cache-Control"] = "private, no-store"
    return response


@portal_account.get("/")
def account():
    """The account's security: password, two-factor sign-in and its recovery codes, sessions."""
    left = recovery_codes_left(current_user.id) if current_user.has_two_factor else 0
    return render_template("portal/account.html", recovery_left=left, form=ButtonForm())


@portal_account.route("/password", methods=["GET", "POST"])
def password():
    """A new password, given the current one; every other session of the user ends, this one stays."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            user = change_password(current_user.id, form.current_password.data, form.password.data)
        except passwords.WeakPassword as error:
            form.password.errors = [passwords.advice(error.reason)]
        except InvalidInput:
            form.current_password.errors = [gettext("Mật khẩu hiện tại không đúng.")]
        else:
            stamp_session(user)
            flash(gettext("Đã đổi mật khẩu. Các phiên đăng nhập khác của bạn đã kết thúc."), "success")
            return redirect(url_for("portal_account.account"), code=303)
    return render_template("portal/change_password.html", form=form), 422 if form.errors else 200


@portal_account.post("/sign-out-everywhere")
def sign_out_everywhere():
    """End every session of this user, on every device, this one too."""
    end_sessions(current_user.id, current_principal())  # CSRFProtect checked the form's token
    logout_user()
    session.clear()
    g.pop("csrf_token", None)
    flash(gettext("Đã đăng xuất khỏi mọi thiết bị. Vui lòng đăng nhập lại."), "success")
    return redirect(url_for("portal_auth.login"), code=303)
