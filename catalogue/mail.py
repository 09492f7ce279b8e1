"""Mail that leaves the shop: addresses built by the standard library, an outbox, retries.

- Addresses: `email.headerregistry.Address` quotes whatever a buyer typed as their name, so
  `Evil <attacker@…>` or a comma stays a display name; the envelope recipient is passed to
  `send_message` explicitly, never read back from the headers.
- Vietnamese letters: a domain (`lan@việt.vn`) is sent in its IDNA form (`xn--…`), which every
  mail server accepts. A local part with letters outside ASCII (`hà@…`) is refused at checkout
  (`ascii_local_part`): it needs SMTPUTF8 from our relay and from every server on the way, and a
  buyer who never gets the paid and shipped mails is worse off than one asked to retype.
- Every message carries `Date` and `Message-ID`.
- The outbox: a message is stored (`outgoing_mails`) in the same transaction as the change it
  announces, sent right after the commit, and if the server refuses or cannot be reached it
  stays `pending` with its error and is retried with a growing delay (`retry_due`: Celery beat
  or `flask mail retry`) until MAX_ATTEMPTS, then `failed`. The office sees both at
  /portal/admin/mails: never only a traceback in the log.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import click
import idna
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import DateTime, Integer, LargeBinary, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from catalogue.extensions import db
from catalogue.models_base import as_utc, utcnow

log = logging.getLogger(__name__)
SMTP_TIMEOUT_SECONDS = 10
MAX_ATTEMPTS = 6
FIRST_RETRY = timedelta(minutes=5)  # then 10, 20, 40, 80 minutes
MAIL_STATUSES = ("pending", "sent", "failed")


class BadAddress(ValueError):
    """An address we cannot send to."""


class OutgoingMail(db.Model):
    """One message to one recipient, kept until it is sent (or has failed for good)."""

    __tablename__ = "outgoing_mails"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    order_code: Mapped[str | None] = mapped_column(String(20), index=True)
    recipient: Mapped[str] = mapped_column(String(320))  # the envelope's RCPT TO, ASCII
    subject: Mapped[str] = mapped_column(String(200))
    message: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def ascii_local_part(email: str) -> bool:
    """True if the part before @ is ASCII (what we can send without SMTPUTF8)."""
    return email.rpartition("@")[0].isascii()


def envelope_address(email: str) -> str:
    """`email` as an envelope address: ASCII local part, IDNA domain (`lan@việt.vn` → `lan@xn--vit-5kz.vn`)."""
    local, at, domain = email.strip().rpartition("@")
    if not at or not local or not domain:
        raise BadAddress(f"Not an email address: {email!r}.")
    if not local.isascii():
        raise BadAddress(f"The local part of {email!r} needs SMTPUTF8, which we do not send.")
    try:
        ascii_domain = domain if domain.isascii() else idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError as error:
        raise BadAddress(f"The domain of {email!r} is not a valid internationalised domain.") from error
    return f"{local}@{ascii_domain.lower()}"


def address(display_name: str, email: str) -> Address:
    """A header address: the name quoted by the standard library, whatever it holds."""
    local, _, domain = envelope_address(email).rpartition("@")
    return Address(display_name=" ".join(display_name.split()), username=local, domain=domain)


def stamp(message: EmailMessage, sender: str) -> None:
    """Add Date and Message-ID (on the sender's domain)."""
    domain = sender.rpartition("@")[2].strip(" >") or "localhost"
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=domain)


def enqueue(message: EmailMessage, recipient: str, kind: str, order_code: str | None) -> OutgoingMail:
    """Keep `message` for `recipient` in the current transaction (sent after it commits: `deliver`)."""
    mail = OutgoingMail(
        kind=kind,
        order_code=order_code,
        recipient=recipient,
        subject=str(message["Subject"])[:200],
        message=message.as_bytes(policy=policy.SMTP),
    )
    db.session.add(mail)
    db.session.flush()
    return mail


def send(message: EmailMessage, recipients: list[str]) -> None:
    """Hand `message` to MAIL_SERVER for exactly `recipients` (raises what smtplib raises)."""
    config = current_app.config
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=SMTP_TIMEOUT_SECONDS) as smtp:
        smtp.send_message(message, to_addrs=recipients)


def deliver(mail_id: int, now: datetime | None = None) -> bool:
    """Try to send one kept mail now; its row records the outcome. True if it was sent."""
    now = now or utcnow()
    mail = db.session.get(OutgoingMail, mail_id)
    if mail is None or mail.status != "pending":
        return False
    if not current_app.config.get("MAIL_SERVER"):
        return False
    message = message_from_bytes(mail.message, policy=policy.default)
    mail.attempts += 1
    try:
        send(message, [mail.recipient])
    except (OSError, smtplib.SMTPException) as error:
        mail.last_error = f"{type(error).__name__}: {error}"[:1000]
        if mail.attempts >= MAX_ATTEMPTS or isinstance(error, smtplib.SMTPRecipientsRefused):
            mail.status = "failed"
        else:
            mail.next_attempt_at = now + FIRST_RETRY * 2 ** (mail.attempts - 1)
        log.warning("Mail %s (%s) to %s not sent: %s", mail.id, mail.subject, mail.recipient, mail.last_error)
        db.session.commit()
        return False
    mail.status, mail.sent_at, mail.last_error = "sent", now, None
    db.session.commit()
    return True


def retry_due(now: datetime, force: bool = False) -> int:
    """Send the kept mails whose next attempt is due (`force`: every pending one); how many left."""
    due = select(OutgoingMail.id).where(OutgoingMail.status == "pending").order_by(OutgoingMail.id)
    ids = [
        mail_id
        for mail_id, next_at in db.session.execute(due.add_columns(OutgoingMail.next_attempt_at)).all()
        if force or as_utc(next_at) <= now
    ]
    return sum(1 for mail_id in ids if deliver(mail_id, now))


def undelivered(limit: int = 200) -> list[OutgoingMail]:
    """Mails not sent yet after at least one try, and those that failed for good: what the office watches."""
    return list(
        db.session.scalars(
            select(OutgoingMail)
            .where(OutgoingMail.status != "sent", OutgoingMail.attempts > 0)
            .order_by(OutgoingMail.id.desc())
            .limit(limit)
        )
    )


mail_cli = AppGroup("mail", help="The buyers' emails kept in the outbox.")


@mail_cli.command("retry")
def retry_command() -> None:
    """Send the kept emails whose retry is due (Celery beat runs this every 5 minutes)."""
    from catalogue import clock

    click.echo(f"{retry_due(clock.now())} sent")
