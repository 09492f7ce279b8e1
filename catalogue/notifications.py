"""Emails to buyers about their order: paid, shipped, cancelled (Vietnamese, text and HTML).

A service composes the email inside its use case, while the order is at hand, and
`announce` hands it to `after_commit`: it leaves only once the change is committed,
never when the use case is refused, and no transaction waits on the mail server.
Sending never fails the caller (the order has already changed); a failure is logged.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from urllib.parse import urlencode

from flask import current_app, has_request_context, render_template
from flask_babel import force_locale, gettext

from catalogue.order_links import link_grant
from catalogue.orders.models import Order
from catalogue.transactions import after_commit
from catalogue.urls import absolute_url

log = logging.getLogger(__name__)
SMTP_TIMEOUT_SECONDS = 10
DEFAULT_SHOP_EMAIL = "lienhe@ocop-quangninh.vn"
KINDS = ("paid", "shipped", "cancelled")


def announce(kind: str, order: Order, **details) -> None:
    """Compose the `kind` email about `order` now and send it after the current use case commits."""
    message = compose(kind, order, **details)
    if message is not None:
        after_commit(lambda: send(message))


def compose(kind: str, order: Order, **details) -> EmailMessage | None:
    """The email, or None when no mail server is configured (or it cannot be composed: logged)."""
    if kind not in KINDS:
        raise ValueError(f"No {kind!r} email.")
    if not current_app.config.get("MAIL_SERVER"):
        return None
    try:
        return _compose(kind, order, details)
    except Exception:  # a broken template must not refuse the order's change; the log says what broke
        log.exception("Could not compose the %s email for %s", kind, order.code)
        return None


def send(message: EmailMessage) -> bool:
    """Hand the message to MAIL_SERVER; False (and a log line) if it could not."""
    server = current_app.config.get("MAIL_SERVER")
    if not server:
        return False
    try:
        with smtplib.SMTP(server, current_app.config["MAIL_PORT"], timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException):
        log.exception("Could not send the email %r", message["Subject"])
        return False
    return True


def _compose(kind: str, order: Order, details: dict) -> EmailMessage:
    config = current_app.config
    with force_locale(config.get("BABEL_DEFAULT_LOCALE", "vi")):
        context = {
            "order": order,
            "lines": details.pop("lines", None) or list(order.lines),
            "order_url": _order_url(order.code),
            # The same seller facts as the storefront's footer (OPERATOR_*).
            "shop_hotline": config.get("OPERATOR_HOTLINE"),
            "shop_email": config.get("OPERATOR_EMAIL", DEFAULT_SHOP_EMAIL),
            **details,
        }
        subject = _subject(kind, order.code)
        text = render_template(f"email/order_{kind}.txt", subject=subject, **context)
        html = render_template(f"email/order_{kind}.html", subject=subject, **context)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = config["MAIL_FROM"]
    message["To"] = f"{order.customer_name} <{order.customer_email}>"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    message["Content-Language"] = "vi"  # after set_content, which drops Content-* headers
    return message


def _subject(kind: str, code: str) -> str:
    if kind == "paid":
        return gettext("Đơn hàng %(code)s đã được thanh toán", code=code)
    if kind == "shipped":
        return gettext("Đơn hàng %(code)s đã được gửi đi", code=code)
    return gettext("Đơn hàng %(code)s đã được huỷ", code=code)


def _order_url(code: str) -> str | None:
    """The order page on the public address with a read-only grant for it (exchanged for a cookie on
    opening, so it works on any device); None from a CLI command with no PUBLIC_BASE_URL."""
    if not (current_app.config.get("PUBLIC_BASE_URL") or has_request_context()):
        return None
    return absolute_url(f"/orders/{code}") + "?" + urlencode({"token": link_grant(code)})
