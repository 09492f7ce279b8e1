"""Signing in to the portal: a session cookie (Flask-Login), never a bearer token.

Login attempts are rate-limited (Flask-Limiter) per client address and per
submitted email, counted in RATELIMIT_STORAGE_URI (Redis in production, so every
worker counts together). Signing in starts a fresh session, so nothing a visitor
had before (such as a planted session) survives into the signed-in one.
"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_user, logout_user

from catalogue import clock
from catalogue.accounts.models import User
from catalogue.accounts.principal import Principal
from catalogue.accounts.services import authenticate, principal_for_user
from catalogue.extensions import db, limiter
from catalogue.portal.forms import LoginForm
from catalogue.redirects import local_path

LOGIN_LIMIT = "5 per minute"

login_manager = LoginManager()
login_manager.login_view = "portal_auth.login"
login_manager.login_message = _l("Vui lòng đăng nhập để vào trang quản lý.")
login_manager.login_message_category = "warning"
login_manager.session_protection = "strong"


portal_auth = Blueprint("portal_auth", __name__, url_prefix="/portal")


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The signed-in user, unless the account has been disabled since."""
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.is_active else None


def current_principal() -> Principal:
    """The signed-in user as services see them (every scope of their role)."""
    return principal_for_user(current_user)


def _submitted_email() -> str:
    return "login-email:" + request.form.get("email", "").strip().lower()[:200]


def _safe_next(target: str | None) -> str | None:
    """Only a path inside the portal: never another site (open redirect)."""
    return local_path(target, default=None, prefix="/portal")


@portal_auth.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"], key_func=_submitted_email)
def login():
    """Email and password; a wrong password and an unknown email get the same answer."""
    if request.method == "POST":
        limiter.check()  # the two limits above: per address and per submitted email
    if current_user.is_authenticated:
        return redirect(url_for("portal.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data, clock.now())
        if user is not None:
            language = session.get("lang")
            session.clear()  # a new session: nothing from before signing in carries over
            g.pop("csrf_token", None)  # its token belonged to the old session
            if language:
                session["lang"] = language
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("portal.dashboard"), code=303)
        form.password.errors = [gettext("Email hoặc mật khẩu không đúng.")]
    return render_template("portal/login.html", form=form), 422 if form.errors else 200


@portal_auth.post("/logout")
def logout():
    """Sign out (a POST with its CSRF token, so no other site can sign anyone out)."""
    logout_user()
    session.clear()
    g.pop("csrf_token", None)
    flash(gettext("Bạn đã đăng xuất."), "success")
    return redirect(url_for("portal_auth.login"), code=303)


@portal_auth.errorhandler(429)
def too_many_attempts(error):
    """Too many login attempts: say so in Vietnamese, and when to try again."""
    form = LoginForm()
    form.password.errors = [gettext("Quá nhiều lần đăng nhập. Vui lòng thử lại sau một phút.")]
    return render_template("portal/login.html", form=form), 429
