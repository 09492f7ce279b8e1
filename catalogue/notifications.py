"""Emails to buyers about their order: paid, shipped, cancelled (Vietnamese, text and HTML).

A service composes the email inside its use case, while the order is at hand, and
`announce` hands it to `after_commit`: it leaves only once the change is committed,
never when the use case is refused, and no transaction waits on the mail server.
Sending never fails the caller (the order has already changed): the message waits in the outbox
(catalogue.mail), is retried, and the office sees what could not be sent.
"""

from __future__ import annotations

import logging
from email.headerregistry import Address
from email.message import EmailMessage
from urllib.parse import urlencode

from flask import current_app, has_request_context, render_template
from flask_babel import force_locale, gettext

from catalogue.mail import BadAddress, address, deliver, enqueue, envelope_address, stamp
from catalogue.order_links import link_grant
from catalogue.orders.models import Order
from catalogue.transactions import after_commit
from catalogue.urls import absolute_url

log = logging.getLogger(__name__)
DEFAULT_SHOP_EMAIL = "lienhe@ocop-quangninh.vn"
KINDS = ("paid", "shipped", "cancelled")


def announce(kind: str, order: Order, **details) -> None:
    """Compose the `kind` email about `order` now, keep it with the use case, send it once that commits.

    The message is stored in the outbox in the use case's own transaction (catalogue.mail), so a
    refused use case leaves none and a committed one cannot lose it; it is sent after the commit,
    and retried later if the mail server is down.
    """
    message = compose(kind, order, **details)
    if message is None:
        return
    try:
        recipient = envelope_address(order.customer_email)
    except BadAddress as error:  # accepted before checkout refused such addresses: the office sees it
        kept = enqueue(message, order.customer_email[:320], kind, order.code)
        kept.status, kept.attempts, kept.last_error = "failed", 1, str(error)
        log.warning("Order %s: %s", order.code, error)
        return
    mail_id = enqueue(message, recipient, kind, order.code).id
    after_commit(lambda: deliver(mail_id))


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
    try:
        # The buyer's name as a quoted display name (never an address), the address as the standard library builds it.
        message["To"] = address(order.customer_name, order.customer_email)
    except BadAddress:
        message["To"] = Address(display_name=" ".join(order.customer_name.split()), username="undisclosed-recipients")
    stamp(message, str(message["From"]))
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
