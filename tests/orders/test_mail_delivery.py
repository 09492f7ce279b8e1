"""The buyer's emails reach the buyer and nobody else, carry Date and Message-ID, and a failed send
is kept, retried and shown to the office (issue 22). Against a real SMTP server (aiosmtpd) whose
envelope recipients are checked: a checkout name like `Evil <attacker@…>` used to become one.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from catalogue import clock
from catalogue.extensions import db
from tests.access_helpers import auth, cast, portal_client
from tests.order_helpers import body


@pytest.fixture
def mail_on(app, smtp_server):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, PUBLIC_BASE_URL="https://ocop.example.vn")
    yield smtp_server
    app.config.update(MAIL_SERVER=None)


def _place_and_cancel(client, world, name: str, email: str = "lan@example.com") -> dict:
    order = body((world["product"].id, 1))
    order["customer"].update(name=name, email=email)
    placed = client.post("/api/v1/orders", json=order)
    assert placed.status_code == 201, placed.get_json()
    placed = placed.get_json()
    cancelled = client.post(f"/api/v1/orders/{placed['code']}/cancel", headers=auth(placed["access_token"]))
    assert cancelled.status_code == 200, cancelled.get_json()
    return placed


@pytest.mark.parametrize(
    "name",
    [
        "Evil <attacker@evil.example>",
        "Lan, attacker@evil.example",
        'Lan" <attacker@evil.example>, "x',
        "Nguyễn, Thị Lan",
    ],
)
def test_a_checkout_name_never_adds_a_recipient_and_never_blocks_the_mail(app, empty_client, mail_on, name):
    world = cast()

    _place_and_cancel(empty_client, world, name)

    assert [recipients for _, recipients in mail_on.envelopes] == [["lan@example.com"]]
    message = mail_on.wait_for_message()
    assert message["To"].addresses[0].addr_spec == "lan@example.com"
    assert message["To"].addresses[0].display_name == name
    assert len(message["To"].addresses) == 1


def test_every_mail_has_a_date_and_a_message_id(app, empty_client, mail_on):
    _place_and_cancel(empty_client, cast(), "Nguyễn Thị Lan")

    message = mail_on.wait_for_message()
    assert message["Date"] and message["Message-ID"].startswith("<") and message["Message-ID"].endswith(">")


def test_a_vietnamese_domain_is_sent_in_its_ascii_form(app, empty_client, mail_on):
    _place_and_cancel(empty_client, cast(), "Nguyễn Thị Lan", "lan@việt.vn")

    assert [recipients for _, recipients in mail_on.envelopes] == [["lan@xn--vit-5kz.vn"]]


def test_a_vietnamese_local_part_is_refused_at_checkout_with_a_reason(app, empty_client):
    from tests.storefront_helpers import csrf_token

    world = cast()
    order = body((world["product"].id, 1))
    order["customer"]["email"] = "hà@việt.vn"

    answer = empty_client.post("/api/v1/orders", json=order)

    assert answer.status_code == 422 and "email" in str(answer.get_json()["errors"])
    client = app.test_client()
    client.post("/cart/add", data={"csrf_token": csrf_token(client, f"/products/{world['product'].slug}"),
                                   "product_id": world["product"].id, "quantity": 1})  # fmt: skip
    page = client.post("/checkout", data={"csrf_token": csrf_token(client, "/checkout"), "name": "Nguyễn Thị Lan",
                                          "email": "hà@việt.vn", "phone": "0912345678", "province": "Quảng Ninh",
                                          "ward": "Phường Bãi Cháy", "line1": "12 đường Hạ Long"})  # fmt: skip
    assert page.status_code == 422
    assert "không dấu" in page.get_data(as_text=True)


def test_a_failed_send_is_kept_retried_and_shown_to_the_office(app, empty_client, smtp_server):
    from catalogue.mail import OutgoingMail, retry_due

    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=1, PUBLIC_BASE_URL="https://ocop.example.vn")  # nobody there
    world = cast()
    placed = _place_and_cancel(empty_client, world, "Nguyễn Thị Lan")

    kept = db.session.scalar(select(OutgoingMail))
    assert (kept.status, kept.attempts, kept.recipient) == ("pending", 1, "lan@example.com")
    assert kept.last_error
    office = portal_client(app, world, "admin").get("/portal/admin/mails")
    assert office.status_code == 200 and placed["code"] in office.get_data(as_text=True)
    assert portal_client(app, world, "owner").get("/portal/admin/mails").status_code == 403

    app.config.update(MAIL_PORT=smtp_server.port)  # the mail server is back
    assert retry_due(clock.now(), force=True) == 1

    db.session.expire_all()
    assert db.session.scalar(select(OutgoingMail.status)) == "sent"
    assert [recipients for _, recipients in smtp_server.envelopes] == [["lan@example.com"]]
    app.config.update(MAIL_SERVER=None)
