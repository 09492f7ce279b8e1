"""Emails to buyers, through SMTP when MAIL_SERVER is set (sent after the change is committed)."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app, render_template

from catalogue.orders.models import Order
from catalogue.urls import absolute_url

log = logging.getLogger(__name__)
SMTP_TIMEOUT_SECONDS = 10


def send_order_paid(order: Order | None) -> bool:
    """Tell the buyer their payment arrived; never fails the caller (the order is already paid)."""
    server = current_app.config.get("MAIL_SERVER")
    if not server or order is None:
        return False
    message = EmailMessage()
    message["Subject"] = f"Đơn hàng {order.code} đã được thanh toán"
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = f"{order.customer_name} <{order.customer_email}>"
    message.set_content(
        render_template("email/order_paid.txt", order=order, order_url=absolute_url(f"/orders/{order.code}"))
    )
    try:
        with smtplib.SMTP(server, current_app.config["MAIL_PORT"], timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException):
        log.exception("Could not send the paid email for %s", order.code)
        return False
    return True
