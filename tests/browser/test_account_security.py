"""Signing in safely, in Chromium at phone size (390×844): an office account enrols TOTP and signs in with
it, and a producer resets a forgotten password through the link in the mail."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pyotp
import pytest
from playwright.sync_api import expect

from catalogue import clock
from catalogue.accounts import services as accounts
from tests.access_helpers import PASSWORD, cast, current_code
from tests.browser.conftest import VIEWPORTS
from tests.live import serving

NEW_PASSWORD = "chè Đường Hoa ngon nhất vùng"


@pytest.fixture
def served(app, smtp_server):
    """The access cast, a new office account without two-factor, and mail going to a local SMTP server."""
    world = cast()
    accounts.create_user("office@example.com", PASSWORD, "admin")
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    with serving(app) as base:
        app.config["PUBLIC_BASE_URL"] = base
        yield base, world, smtp_server
    app.config.update(MAIL_SERVER=None)


def _phone(browser, base):
    context = browser.new_context(base_url=base, locale="vi-VN", viewport=VIEWPORTS["phone"])
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page, errors


def _password(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/portal/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_office_account_enrols_totp_then_signs_in_with_it(browser, served, screenshot):
    base, _, _ = served
    context, page, errors = _phone(browser, base)

    _password(page, "office@example.com")
    page.get_by_role("heading", name="Bật xác thực hai lớp").wait_for()
    assert urlsplit(page.url).path == "/portal/two-factor/setup"
    assert page.locator(".totp-qr svg").is_visible()
    screenshot(page, "enrol")
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.get_by_label("Mã xác thực").fill(pyotp.TOTP(secret).at(clock.now()))
    page.get_by_role("button", name="Xác nhận").click()
    # all_inner_texts does not wait: read the codes once the page showing them has come (CI read none, 2026-12-07)
    expect(page.get_by_test_id("recovery-codes")).to_be_visible()
    codes = page.get_by_test_id("recovery-codes").locator("code").all_inner_texts()
    assert len(set(codes)) == 10 and all(re.fullmatch(r"[0-9a-f]{6}-[0-9a-f]{6}", code) for code in codes)
    screenshot(page, "recovery-codes")
    page.get_by_role("link", name="Tôi đã lưu các mã, tiếp tục").click()
    page.get_by_role("navigation", name="Trang quản lý").wait_for()
    assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 0

    page.get_by_role("button", name="Đăng xuất").click()
    page.get_by_text("Bạn đã đăng xuất.").wait_for()
    _password(page, "office@example.com")
    assert urlsplit(page.url).path == "/portal/two-factor"
    page.get_by_label("Mã xác thực").fill("000000")
    page.get_by_role("button", name="Xác nhận").click()
    page.get_by_text("Mã không đúng hoặc đã được dùng.").wait_for()
    page.get_by_label("Mã xác thực").fill(current_code("office@example.com"))
    page.get_by_role("button", name="Xác nhận").click()
    page.get_by_role("navigation", name="Trang quản lý").wait_for()
    screenshot(page, "signed-in")
    context.close()
    assert errors == []


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_producer_resets_a_forgotten_password_from_the_mailed_link(browser, served, screenshot):
    base, _, inbox = served
    context, page, errors = _phone(browser, base)

    page.goto("/portal/login")
    page.get_by_role("link", name="Quên mật khẩu?").click()
    page.get_by_label("Email").fill("owner@example.com")
    page.get_by_role("button", name="Gửi liên kết đặt lại mật khẩu").click()
    page.get_by_text("Nếu email này có tài khoản, chúng tôi vừa gửi liên kết").wait_for()
    mail = inbox.wait_for_message()
    assert mail["To"] == "owner@example.com"
    link = re.search(r"http://127\.0\.0\.1:\d+/portal/password/reset/\S+", mail.get_body(("plain",)).get_content())

    page.goto(link.group(0))
    page.get_by_role("heading", name="Đặt mật khẩu mới").wait_for()
    page.get_by_label("Mật khẩu mới", exact=True).fill("1234567890")
    page.get_by_label("Nhập lại mật khẩu mới").fill("1234567890")
    page.get_by_role("button", name="Đặt mật khẩu mới").click()
    page.get_by_text("nằm trong danh sách mật khẩu phổ biến").wait_for()
    screenshot(page, "refused")
    page.get_by_label("Mật khẩu mới", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Nhập lại mật khẩu mới").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Đặt mật khẩu mới").click()
    page.get_by_text("Đã đặt mật khẩu mới. Vui lòng đăng nhập.").wait_for()

    _password(page, "owner@example.com", NEW_PASSWORD)
    page.get_by_role("navigation", name="Trang quản lý").wait_for()
    page.goto(link.group(0))
    page.get_by_role("heading", name="Liên kết không còn dùng được").wait_for()
    screenshot(page, "used-link")
    context.close()
    assert errors == []
