"""The origin page a shopper reaches by scanning a stamp, in Chromium on a phone: one load, every check."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from catalogue.extensions import db
from catalogue.products.models import Product
from catalogue.traceability.models import Lot
from tests.browser.conftest import axe_violations


@pytest.fixture
def seeded_stamp(seeded_apps) -> str:
    """The path of the seeded lot's stamp of Bình Liêu dong vermicelli."""
    with seeded_apps("sqlite").app_context():
        code = db.session.scalar(
            select(Lot.code).join(Product, Lot.product_id == Product.id).where(Product.slug == "mien-dong-binh-lieu")
        )
        db.session.remove()
    return f"/t/{code}"


@pytest.mark.parametrize("viewport_name", ["phone"])
def test_the_origin_page_on_a_phone(axe_page, seeded_stamp, screenshot):
    axe_page.goto(seeded_stamp)

    assert axe_page.get_by_role("heading", level=1).inner_text() == "Miến dong Bình Liêu"
    facts = axe_page.get_by_test_id("lot-facts").inner_text()
    assert "Xã Bình Liêu, Quảng Ninh" in facts and "Số lô" in facts
    # Headless Chromium says so in its User-Agent: a bot's view is shown the count but adds none.
    assert axe_page.get_by_test_id("scan-count").inner_text().isdigit()
    assert axe_page.get_by_role("link", name="Mua tại cửa hàng OCOP Quảng Ninh").is_visible()
    assert "OCOP 4 sao" in axe_page.locator(".rating").inner_text()
    # Phone-first: nothing wider than the screen, the photo within it.
    assert axe_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert axe_page.evaluate("document.querySelector('.origin-photo img').getBoundingClientRect().width <= 390")
    assert axe_violations(axe_page) == []
    screenshot(axe_page, "origin")


def test_a_first_scan_sets_no_cookie_and_the_page_still_switches_to_english(page, seeded_stamp, live_server):
    """The origin page's only form is the language switch, which carries no CSRF token: Chromium's own
    Sec-Fetch-Site says the post came from the shop, so a stamp opened once starts no session."""
    opened = page.goto(seeded_stamp)
    assert opened.ok and "set-cookie" not in opened.all_headers()
    assert page.context.cookies() == []

    page.get_by_role("button", name="English").click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Tiếng Việt")).to_be_visible()
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "en")


@pytest.mark.parametrize("attacker", ["http://evil.example/", None])  # another site's page; a page with no origin
def test_another_site_cannot_switch_a_shoppers_language(page, seeded_stamp, live_server, attacker):
    """The same post from another site's page is refused, and changes nothing."""
    form = (
        f'<form method="post" action="{live_server}/language">'
        '<input name="lang" value="en"><input name="next" value="/"></form>'
    )
    if attacker:  # served by Playwright in place of the network: Chromium takes it for that site's own page
        page.route(attacker + "**", lambda route: route.fulfill(body=form, content_type="text/html"))
        page.goto(attacker)
    else:
        page.set_content(form)
    with page.expect_navigation() as sent:
        page.evaluate("document.forms[0].submit()")

    assert sent.value.status == 400
    expect(page.locator("main")).to_contain_text("Phiên làm việc đã hết hạn")
    page.goto(seeded_stamp)
    expect(page.locator("html")).to_have_attribute("lang", "vi")
