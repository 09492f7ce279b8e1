"""Browser tests: the real app served on 127.0.0.1, driven by Playwright in Debian's Chromium.

Chromium (/usr/bin/chromium) and axe-core (`npm ci`) are services: missing, the tests
are skipped with how to get them, or fail under CATALOGUE_REQUIRE_SERVICES=1.
Screenshots land in test-artifacts/screenshots/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import require_service
from tests.live import serving

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def live_server(seeded_apps):
    """The seeded SQLite catalogue served by a real HTTP server on 127.0.0.1."""
    with serving(seeded_apps("sqlite")) as base:
        yield base


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium under Playwright (never a downloaded browser)."""
    require_service(CHROMIUM.exists(), "browser tests need Chromium at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, timeout=30_000)
        yield launched
        launched.close()


@pytest.fixture(params=list(VIEWPORTS))
def viewport_name(request) -> str:
    return request.param


@pytest.fixture
def page(browser, live_server, viewport_name):
    """A fresh browser context (own cookies) at a phone or desktop size."""
    context = browser.new_context(
        viewport=VIEWPORTS[viewport_name],
        base_url=live_server,
        locale="vi-VN",
        is_mobile=viewport_name == "phone",
        has_touch=viewport_name == "phone",
    )
    context.set_default_timeout(10_000)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


@pytest.fixture
def screenshot(request):
    """Save a full-page screenshot of `page`, named after the test (and its viewport) and `label`."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page, label: str) -> Path:
        name = request.node.name.replace("[", "-").replace("]", "").replace("/", "_")
        path = ARTIFACTS / f"{name}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 5_000, "the screenshot is blank"
        return path

    return take


@pytest.fixture(scope="session")
def axe_source() -> str:
    require_service(AXE.exists(), "accessibility tests need axe-core: run `npm ci` (make test does when npm exists)")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture
def axe_page(page, axe_source):
    """A page with axe-core injected into every document (init scripts are not subject to CSP)."""
    page.add_init_script(script=axe_source)
    return page


def axe_violations(page) -> list[dict]:
    """Serious and critical axe-core violations on the current page."""
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def sign_in_page(page, email: str, password: str) -> None:
    """Sign in through the login page, typing the office's second factor when asked (as its app shows it).

    An office account must have TOTP (tests.access_helpers.enrol_two_factor first); a producer is
    not asked for a code. Returns once the portal's navigation is shown.
    """
    from urllib.parse import urlsplit

    from tests.access_helpers import current_code

    page.goto("/portal/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()
    if urlsplit(page.url).path == "/portal/two-factor":
        page.get_by_label("Mã xác thực").fill(current_code(email))
        page.get_by_role("button", name="Xác nhận").click()
    page.get_by_role("navigation", name="Trang quản lý").wait_for()
