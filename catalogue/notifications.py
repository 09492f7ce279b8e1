"""Emails to buyers about their order: paid, shipped, cancelled and refunded, returned whole or a parcel of it
(Vietnamese, text and HTML).

The order's lifecycle never sends mail, nor imports this module (an import-linter contract says
so): it publishes its events (catalogue.events) and `subscribe_mail`, wired by `create_app`,
reacts inside the publishing use case: the email is composed from the order at hand and stored in
the outbox (catalogue.mail) in the same transaction, so a change rolled back leaves no mail and a
committed one cannot lose it; it leaves once the change is committed, no transaction waits on the
mail server, a failed send is retried, and the office sees what could not be sent.
"""

from __future__ import annotations

import logging
from email.headerregistry import Address
from email.message import EmailMessage
from urllib.parse import urlencode

from flask import Flask, current_app, has_request_context, render_template
from flask_babel import force_locale, gettext

from catalogue import events
from catalogue.delivery.models import Parcel
from catalogue.delivery.returns import part_of, returned_amount
from catalogue.extensions import db
from catalogue.mail import BadAddress, address, deliver, enqueue, envelope_address, stamp
from catalogue.order_links import link_grant
from catalogue.orders.models import Order
from catalogue.orders.refunds import part_refund_rows
from catalogue.payments import ledger
from catalogue.payments.registry import labels_of
from catalogue.transactions import after_commit, in_use_case
from catalogue.urls import absolute_url

log = logging.getLogger(__name__)
DEFAULT_SHOP_EMAIL = "lienhe@ocop-quangninh.vn"
KINDS = ("paid", "shipped", "cancelled", "returned", "part_returned")
MAILED_CANCELLATIONS = ("buyer", "office")  # an expired reservation mails nothing: the buyer never paid


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
    if in_use_case():
        after_commit(lambda: deliver(mail_id))
    # else (a script's direct call): the outbox's retry job sends it


def subscribe_mail(app: Flask) -> None:
    """The buyer is mailed after the order's events commit: paid, cancelled, refund started, each parcel shipped,
    a parcel came back while the rest was delivered or still goes, every parcel came back."""
    # In the publishing transaction: the message joins the outbox with the change (catalogue.mail).
    events.subscribe(app, events.OrderPaid, mail_paid, events.IN_TRANSACTION)
    events.subscribe(app, events.OrderCancelled, mail_cancelled, events.IN_TRANSACTION)
    events.subscribe(app, events.RefundStarted, mail_refund, events.IN_TRANSACTION)
    events.subscribe(app, events.OrderReturned, mail_returned, events.IN_TRANSACTION)
    events.subscribe(app, events.PartReturned, mail_part_returned, events.IN_TRANSACTION)
    events.subscribe(app, events.OrderShipped, mail_shipped, events.IN_TRANSACTION)


def mail_paid(event: events.OrderPaid) -> None:
    _mail("paid", event.order_id)


def mail_cancelled(event: events.OrderCancelled) -> None:
    """A cancellation before payment, by the buyer or the office (a paid order's says so by RefundStarted)."""
    if event.by in MAILED_CANCELLATIONS:
        _mail("cancelled", event.order_id, cancelled_by=event.by, refund=False)


def mail_refund(event: events.RefundStarted) -> None:
    labels = labels_of(event.by_api_method) if event.by_api_method else None
    _mail(
        "cancelled",
        event.order_id,
        cancelled_by=event.cancelled_by,
        refund=True,
        refund_by_api=event.by_api_vnd,
        refund_to=labels.vi.refunded_to if labels else "",
        refund_by_hand=event.by_hand_vnd,
    )


def mail_returned(event: events.OrderReturned) -> None:
    """Every parcel came back: once, what goes back (each refund by API, made or on its way; what the shop
    returns by hand)."""
    order = db.session.get(Order, event.order_id)
    if order is None:
        log.warning("No order %s to mail the returned email about", event.order_id)
        return
    announce("returned", order, **_refund_story([row for row in ledger.rows_of(order.id) if row.kind == "refund"]))


def _refund_story(rows) -> dict:
    """What the refund `rows` tell the buyer (email/_refunds.*): each refund by API, made or on its way, with its
    rail; and what the shop returns by hand."""
    return {
        "refunds": [(row.amount_vnd, _rail(row.method), row.state == "done") for row in rows if row.state != "due"],
        "refund_by_hand": sum(row.amount_vnd for row in rows if row.state == "due"),
    }


def mail_part_returned(event: events.PartReturned) -> None:
    """A parcel came back, the rest of the order delivered or still on its way: once, that parcel's lines and what
    of it goes back (its lines and its fee, by its refunds: by API, or by the shop's hand)."""
    order = db.session.get(Order, event.order_id)
    parcel = db.session.get(Parcel, event.parcel_id)
    if order is None or parcel is None:
        log.warning("No order %s or parcel %s to mail the part_returned email about", event.order_id, event.parcel_id)
        return
    announce(
        "part_returned",
        order,
        parcel_of=(parcel.producer_id,),
        producer_name=parcel.producer.name,
        parcel_fee=parcel.fee_vnd,
        parcel_total=returned_amount(order, parcel),
        rest_delivered=order.status == "delivered",
        **_refund_story(part_refund_rows(order, part_of(parcel))),
    )


def _rail(method: str) -> str:
    labels = labels_of(method)
    return labels.vi.short_name if labels else method


def mail_shipped(event: events.OrderShipped) -> None:
    """One email per parcel: producers ship on different days, and each parcel has its own tracking number."""
    _mail(
        "shipped",
        event.order_id,
        parcel_of=event.producer_ids,
        tracking_number=event.tracking_number,
        more_to_come=not event.whole_order,
    )


def _mail(kind: str, order_id: int, **details) -> None:
    order = db.session.get(Order, order_id)
    if order is None:
        log.warning("No order %s to mail the %s email about", order_id, kind)
        return
    announce(kind, order, **details)


def compose(kind: str, order: Order, **details) -> EmailMessage | None:
    """The email, or None when no mail server is configured (or it cannot be composed: logged).

    `parcel_of`: the producers whose lines the email lists (a parcel's); all the order's by default.
    """
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
            "lines": _lines(order, details.pop("parcel_of", None)),
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


def _lines(order: Order, producer_ids) -> list:
    if producer_ids is None:
        return list(order.lines)
    return [line for line in order.lines if line.producer_id in producer_ids]


def _subject(kind: str, code: str) -> str:
    if kind == "paid":
        return gettext("Đơn hàng %(code)s đã được thanh toán", code=code)
    if kind == "shipped":
        return gettext("Đơn hàng %(code)s đã được gửi đi", code=code)
    if kind == "returned":
        return gettext("Đơn hàng %(code)s không giao được và được hoàn tiền", code=code)
    if kind == "part_returned":
        return gettext("Một kiện của đơn hàng %(code)s không giao được và được hoàn tiền", code=code)
    return gettext("Đơn hàng %(code)s đã được huỷ", code=code)


def _order_url(code: str) -> str | None:
    """The order page on the public address with a read-only grant for it (exchanged for a cookie on
    opening, so it works on any device); None from a CLI command with no PUBLIC_BASE_URL."""
    if not (current_app.config.get("PUBLIC_BASE_URL") or has_request_context()):
        return None
    return absolute_url(f"/orders/{code}") + "?" + urlencode({"token": link_grant(code)})
