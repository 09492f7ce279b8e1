"""The paid email's "Xem đơn hàng" link, opened on another phone (a fresh browser), shows the order
on a clean URL (issue 22): the link's grant is exchanged for the order's HttpOnly cookie."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from catalogue import mail, notifications
from tests.access_helpers import cast, paid_order
from tests.browser.conftest import VIEWPORTS
from tests.live import serving


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_emails_link_opens_the_order_on_another_phone(app, browser, smtp_server, screenshot, backend):
    world = cast()
    order = paid_order([(world["product"], 2)], code="QN-MAIL-LINK")
    with serving(app) as base:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, PUBLIC_BASE_URL=base)
        with app.test_request_context("/"):
            mail.send(notifications.compose("paid", order), [order.customer_email])
        app.config.update(MAIL_SERVER=None)
        received = smtp_server.wait_for_message()
        link = re.search(r'href="([^"]+)">Xem đơn hàng', received.get_body(("html",)).get_content()).group(1)
        assert link.startswith(f"{base}/orders/QN-MAIL-LINK?token=")

        context = browser.new_context(viewport=VIEWPORTS["phone"], locale="vi-VN", is_mobile=True, has_touch=True)
        try:
            page = context.new_page()
            page.goto(link.replace("&amp;", "&"))

            expect(page).to_have_url(f"{base}/orders/QN-MAIL-LINK")  # the token is gone from the address bar
            expect(page.get_by_test_id("order-status")).to_be_visible()
            assert "QN-MAIL-LINK" in page.content()
            assert "ngừng bán" not in page.content()
            (cookie,) = [c for c in context.cookies() if c["name"] == "order_access"]
            assert cookie["httpOnly"] and cookie["path"] == "/orders/QN-MAIL-LINK"
            screenshot(page, "order-from-email")
        finally:
            context.close()
