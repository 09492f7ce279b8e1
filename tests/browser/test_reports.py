"""The office's dashboard in Chromium at phone and desktop sizes: axe-clean, charts drawn, nothing wider than the
screen, and printing leaves the navigation and the filters out."""

from __future__ import annotations

import re

import pytest

from catalogue.accounts import services as accounts
from tests.access_helpers import current_code, enrol_two_factor
from tests.browser.conftest import VIEWPORTS, axe_violations
from tests.live import serving
from tests.reports.report_fixtures import province

PASSWORD = "mật khẩu đủ dài 123"
DRAWN = "() => [...document.querySelectorAll('img[data-chart]')].every(img => img.complete && img.naturalWidth > 0)"


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_dashboard_reads_well_on_a_phone_and_a_desktop(browser, app, axe_source, screenshot):
    province()
    accounts.create_user("office@example.com", PASSWORD, "admin")
    enrol_two_factor("office@example.com")
    with serving(app) as base:
        context = browser.new_context(base_url=base, locale="vi-VN", viewport=VIEWPORTS["desktop"])
        context.set_default_timeout(10_000)
        context.add_init_script(script=axe_source)
        login = context.request.get("/portal/login").text()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', login)
        signed = context.request.post(
            "/portal/login",
            form={"csrf_token": token.group(1) or token.group(2), "email": "office@example.com", "password": PASSWORD},
            max_redirects=0,
        )
        assert signed.status == 303 and signed.headers["location"] == "/portal/two-factor"
        page_text = context.request.get("/portal/two-factor").text()
        token = re.search(
            r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', page_text
        )
        second = context.request.post(
            "/portal/two-factor",
            form={"csrf_token": token.group(1) or token.group(2), "code": current_code("office@example.com")},
            max_redirects=0,
        )
        assert second.status == 303
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        found = {}
        for name in ("desktop", "phone"):
            page.set_viewport_size(VIEWPORTS[name])
            page.goto("/portal/admin/?period=month&month=2026-11")
            charts = page.locator("img[data-chart]")
            found[name] = {
                "violations": axe_violations(page),
                "charts": charts.count(),
                "drawn": page.evaluate(DRAWN),
                "overflow": page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth"),
                "revenue": page.locator('[data-figure="revenue"]').inner_text(),
            }
            screenshot(page, name)
        page.emulate_media(media="print")
        printed = {
            "nav": page.locator(".portal-nav").is_visible(),
            "filter": page.locator(".report-filter").is_visible(),
            "table": page.locator('[data-table="sales_by_channel"] table').is_visible(),
        }
        context.close()

    for name in ("desktop", "phone"):
        assert found[name] == {
            "violations": [],
            "charts": 12,
            "drawn": True,
            "overflow": 0,
            "revenue": "1.105.000\xa0₫",
        }
    assert printed == {"nav": False, "filter": False, "table": True}
    assert errors == []
