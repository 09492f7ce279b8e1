"""The password-reset mail: a link to /portal/password/reset/<token>, valid once for 30 minutes."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app, render_template, url_for
from flask_babel import force_locale, gettext

from catalogue import mail
from catalogue.accounts.models import User
from catalogue.accounts.services import RESET_LIFETIME
from catalogue.urls import absolute_url

log = logging.getLogger(__name__)


def send_reset_link(user: User, token: str) -> bool:
    """Mail `user` their reset link through the shop's mail server (False, and a log line, if it failed)."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        return False
    with force_locale(config.get("BABEL_DEFAULT_LOCALE", "vi")):
        subject = gettext("Đặt lại mật khẩu trang quản lý OCOP Quảng Ninh")
        body = render_template(
            "email/password_reset.txt",
            link=absolute_url(url_for("portal_auth.reset", token=token)),
            minutes=int(RESET_LIFETIME.total_seconds() // 60),
            email=user.email,
        )
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = config["MAIL_FROM"]
    try:
        recipient = mail.envelope_address(user.email)
    except mail.BadAddress:
        log.warning("User %s has an address mail cannot be sent to", user.id)
        return False
    message["To"] = recipient
    mail.stamp(message, str(message["From"]))
    message.set_content(body)
    try:
        mail.send(message, [recipient])  # the recipient named explicitly, never read from a header
    except (OSError, smtplib.SMTPException):
        log.exception("Could not send the password-reset mail")
        return False
    return True
