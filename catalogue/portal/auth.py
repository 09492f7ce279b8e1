"""Signing in to the portal: a session cookie (Flask-Login), never a bearer token.

Login attempts are rate-limited (Flask-Limiter) per client address and per
submitted email, counted in RATELIMIT_STORAGE_URI (Redis in production, so every
worker counts together). Signing in starts a fresh session, so nothing a visitor
had before (such as a planted session) survives into the signed-in one.

A session is more than its signature: every request checks, against the user row it
loads anyway, that the cookie's session version is the user's current one (logout, a
new password, "sign out everywhere" bump it: every copy of the cookie dies, on every
node), and that the session is neither idle too long nor too old (SESSION_IDLE_MINUTES,
SESSION_ABSOLUTE_HOURS, by role), judged by the app's clock.

Two-factor sign-in (TOTP): after the password, a user who has enrolled gives a code
from their app (or a recovery code); an office (admin) account that has not is sent to
enrol before it is signed in. Until then the session holds only a short-lived pending
sign-in, which opens no portal page.
"""

from __future__ import annotations

import segno
from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_user, logout_user
from markupsafe import Markup

from catalogue import clock
from catalogue.accounts import passwords
from catalogue.accounts.models import User
from catalogue.accounts.principal import Principal
from catalogue.accounts.services import (
    authenticate,
    check_second_factor,
    enable_two_factor,
    end_sessions,
    new_totp_secret,
    pending_reset,
    principal_for_user,
    request_password_reset,
    reset_password,
    totp_uri,
)
from catalogue.errors import InvalidInput, NotFound
from catalogue.extensions import db, limiter
from catalogue.portal.forms import ForgotPasswordForm, LoginForm, NewPasswordForm, TwoFactorForm
from catalogue.redirects import local_path

LOGIN_LIMIT = "5 per minute"
# A reset link is mailed at most this often per address and per email: enough for a typo, not for a flood.
RESET_LIMIT = "5 per hour"
# How long the step between the password and the second factor may take.
PENDING_SECONDS = 5 * 60
# `_seen` is rewritten (a new cookie) at most this often: the idle timeout is this precise.
SEEN_PRECISION_SECONDS = 60
SESSION_KEYS = ("_sv", "_auth_at", "_seen")

login_manager = LoginManager()
login_manager.login_view = "portal_auth.login"
login_manager.login_message = _l("Vui lòng đăng nhập để vào trang quản lý.")
login_manager.login_message_category = "warning"
login_manager.session_protection = "strong"


portal_auth = Blueprint("portal_auth", __name__, url_prefix="/portal")


def _now() -> int:
    return int(clock.now().timestamp())


def _session_holds(user: User) -> bool:
    """The cookie's session is the user's current one, not idle too long and not too old."""
    config = current_app.config
    now = _now()
    signed_in_at, seen = session.get("_auth_at"), session.get("_seen")
    if session.get("_sv") != user.session_version or not isinstance(signed_in_at, int) or not isinstance(seen, int):
        return False
    if now - seen >= config["SESSION_IDLE_MINUTES"][user.role] * 60:
        return False
    if now - signed_in_at >= config["SESSION_ABSOLUTE_HOURS"][user.role] * 3600:
        return False
    if user.role == "admin" and not user.has_two_factor:  # the office signs in with two factors, always
        return False
    if now - seen >= SEEN_PRECISION_SECONDS:
        session["_seen"] = now
    return True


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The signed-in user, unless the account is disabled or this session has ended since."""
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active:
        return None
    if not _session_holds(user):
        for key in ("_user_id", "_fresh", "_id", *SESSION_KEYS):
            session.pop(key, None)
        return None
    return user


def current_principal() -> Principal:
    """The signed-in user as services see them (every scope of their role)."""
    return principal_for_user(current_user)


def _submitted_email() -> str:
    return "login-email:" + request.form.get("email", "").strip().lower()[:200]


def _pending_user() -> str:
    pending = session.get("_2fa") or {}
    return f"two-factor:{pending.get('user', request.remote_addr)}"


def _safe_next(target: str | None) -> str | None:
    """Only a path inside the portal: never another site (open redirect)."""
    return local_path(target, default=None, prefix="/portal")


def _fresh_session() -> None:
    """Drop everything the session held (keeping only the chosen language) and its CSRF token."""
    language = session.get("lang")
    session.clear()
    g.pop("csrf_token", None)  # its token belonged to the old session
    if language:
        session["lang"] = language


def start_session(user: User) -> None:
    """Sign `user` in on this browser: a new session stamped with the user's session version."""
    _fresh_session()
    login_user(user)
    stamp_session(user)


def stamp_session(user: User) -> None:
    """Carry the user's current session version (after this user bumped it themselves, e.g. a new password)."""
    db.session.refresh(user)
    now = _now()
    session["_sv"] = user.session_version
    session.setdefault("_auth_at", now)
    session["_seen"] = now


def _after_sign_in() -> str:
    return _safe_next(request.args.get("next")) or url_for("portal.dashboard")


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
            if not user.has_two_factor and user.role != "admin":
                start_session(user)
                return redirect(_after_sign_in(), code=303)
            _fresh_session()
            session["_2fa"] = {
                "user": user.id,
                "sv": user.session_version,
                "at": _now(),
                "next": _safe_next(request.args.get("next")),
            }
            if user.has_two_factor:
                return redirect(url_for("portal_auth.two_factor"), code=303)
            return redirect(url_for("portal_auth.two_factor_setup"), code=303)
        form.password.errors = [gettext("Email hoặc mật khẩu không đúng.")]
    return render_template("portal/login.html", form=form), 422 if form.errors else 200


def _pending() -> User | None:
    """The user who gave their password a moment ago on this browser and owes a second factor."""
    pending = session.get("_2fa")
    if not isinstance(pending, dict) or not isinstance(pending.get("at"), int):
        return None
    if _now() - pending["at"] >= PENDING_SECONDS:
        session.pop("_2fa", None)
        return None
    user = db.session.get(User, pending.get("user") or 0)
    if user is None or not user.is_active or user.session_version != pending.get("sv"):
        return None
    return user


def _complete_pending(user: User):
    target = session.get("_2fa", {}).get("next") or url_for("portal.dashboard")
    start_session(user)
    return redirect(target, code=303)


@portal_auth.route("/two-factor", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"], key_func=_pending_user)
def two_factor():
    """The second step of signing in: a code from the authenticator app, or a recovery code."""
    if request.method == "POST":
        limiter.check()
    user = _pending()
    if user is None or not user.has_two_factor:
        flash(gettext("Vui lòng đăng nhập lại."), "warning")
        return redirect(url_for("portal_auth.login"))
    form = TwoFactorForm()
    if form.validate_on_submit():
        if check_second_factor(user.id, form.code.data, clock.now()):
            return _complete_pending(user)
        form.code.errors = [
            gettext("Mã không đúng hoặc đã được dùng. Hãy nhập mã mới đang hiện trong ứng dụng xác thực.")
        ]
    return render_template("portal/two_factor.html", form=form), 422 if form.errors else 200


def _qr_svg(uri: str) -> Markup:
    return Markup(segno.make_qr(uri, error="m").svg_inline(scale=5, title=gettext("Mã QR để thêm vào ứng dụng")))


@portal_auth.route("/two-factor/setup", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
def two_factor_setup():
    """Turn on two-factor sign-in: scan the QR code, type the code the app shows, keep the recovery codes.

    Reached by an office account right after its password (it may not sign in without), or by a
    signed-in producer who chooses to.
    """
    if request.method == "POST":
        limiter.check()
    signed_in = current_user.is_authenticated
    user = current_user if signed_in else _pending()
    if user is None:
        return redirect(url_for("portal_auth.login"))
    if user.has_two_factor:
        return redirect(url_for("portal_account.account"))
    secret = session.get("_totp_setup")
    if not isinstance(secret, str) or len(secret) != 32:
        secret = session["_totp_setup"] = new_totp_secret()
    form = TwoFactorForm()
    if form.validate_on_submit():
        codes = enable_two_factor(user.id, secret, form.code.data, clock.now())
        if codes is not None:
            session.pop("_totp_setup", None)
            if signed_in:
                stamp_session(user)  # enabling ends the user's other sessions, not this one
                target = url_for("portal_account.account")
            else:
                target = session.get("_2fa", {}).get("next") or url_for("portal.dashboard")
                start_session(user)
            return render_template("portal/recovery_codes.html", codes=codes, target=target)
        form.code.errors = [gettext("Mã không khớp. Hãy quét lại mã QR rồi nhập mã 6 chữ số đang hiện trong ứng dụng.")]
    uri = totp_uri(secret, user.email)
    return (
        render_template(
            "portal/two_factor_setup.html", form=form, qr=_qr_svg(uri), secret=secret, required=not signed_in
        ),
        422 if form.errors else 200,
    )


@portal_auth.post("/logout")
def logout():
    """Sign out (a POST with its CSRF token, so no other site can sign anyone out).

    The user's session version moves on, so a copy of this cookie (or any other of the user's
    sessions) no longer signs anyone in.
    """
    if current_user.is_authenticated:
        end_sessions(current_user.id, current_principal())
    logout_user()
    session.clear()
    g.pop("csrf_token", None)
    flash(gettext("Bạn đã đăng xuất."), "success")
    return redirect(url_for("portal_auth.login"), code=303)


def _reset_email_key() -> str:
    return "reset-email:" + request.form.get("email", "").strip().lower()[:200]


@portal_auth.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(RESET_LIMIT, methods=["POST"])
@limiter.limit(RESET_LIMIT, methods=["POST"], key_func=_reset_email_key)
def forgot_password():
    """Ask for a reset link by email: the same answer whether or not the email has an account."""
    if request.method == "POST":
        limiter.check()
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        found = request_password_reset(form.email.data, clock.now())
        if found is not None:
            from catalogue.portal.account_mail import send_reset_link  # noqa: PLC0415 - mail only when needed

            send_reset_link(*found)
        flash(
            gettext(
                "Nếu email này có tài khoản, chúng tôi vừa gửi liên kết đặt lại mật khẩu. "
                "Liên kết dùng được một lần trong 30 phút; hãy xem cả thư mục thư rác."
            ),
            "success",
        )
        return redirect(url_for("portal_auth.login"), code=303)
    return render_template("portal/forgot_password.html", form=form), 422 if form.errors else 200


@portal_auth.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
def reset(token: str):
    """Choose a new password through the mailed link (single-use, 30 minutes)."""
    if request.method == "POST":
        limiter.check()
    reset_link = pending_reset(token, clock.now())
    if reset_link is None:
        return render_template("portal/reset_invalid.html"), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            reset_password(token, form.password.data, clock.now())
        except passwords.WeakPassword as error:
            form.password.errors = [passwords.advice(error.reason)]
        except (NotFound, InvalidInput):
            return render_template("portal/reset_invalid.html"), 404
        else:
            _fresh_session()
            flash(gettext("Đã đặt mật khẩu mới. Vui lòng đăng nhập."), "success")
            return redirect(url_for("portal_auth.login"), code=303)
    return render_template("portal/reset_password.html", form=form, email=reset_link.user.email), (
        422 if form.errors else 200
    )


@portal_auth.after_request
def _private(response):
    response.headers["Cache-Control"] = "private, no-store"
    return response


@portal_auth.errorhandler(429)
def too_many_attempts(error):
    """Too many attempts: say so in Vietnamese, and when to try again."""
    if request.endpoint == "portal_auth.forgot_password":
        form = ForgotPasswordForm()
        form.email.errors = [gettext("Đã gửi quá nhiều yêu cầu. Vui lòng thử lại sau một giờ.")]
        return render_template("portal/forgot_password.html", form=form), 429
    if request.endpoint in ("portal_auth.two_factor", "portal_auth.two_factor_setup"):
        abort_message = gettext("Quá nhiều lần nhập mã. Vui lòng thử lại sau một phút.")
        form = TwoFactorForm()
        form.code.errors = [abort_message]
        return render_template("portal/two_factor.html", form=form), 429
    form = LoginForm()
    form.password.errors = [gettext("Quá nhiều lần đăng nhập. Vui lòng thử lại sau một phút.")]
    return render_template("portal/login.html", form=form), 429
