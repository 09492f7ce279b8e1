"""A shopper on a phone or a desktop finds a product by typing without accents,
reads its rating and price, and puts it in the cart."""

import re

from playwright.sync_api import expect


def test_search_without_accents_to_product_to_cart(page, screenshot):
    page.goto("/")
    screenshot(page, "home")

    page.get_by_label("Tìm sản phẩm").fill("mien dong binh lieu")
    page.get_by_label("Tìm sản phẩm").press("Enter")

    expect(page).to_have_url(re.compile(r"/products\?q=mien\+dong\+binh\+lieu"))
    results = page.get_by_test_id("results")
    first = results.get_by_role("link").first
    expect(first).to_contain_text("Miến dong Bình Liêu")
    screenshot(page, "results")

    first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Miến dong Bình Liêu")
    expect(page.get_by_text("OCOP 4 sao", exact=True)).to_be_visible()
    expect(page.get_by_text(re.compile(r"Giấy chứng nhận số .+, hiệu lực từ"))).to_be_visible()
    price = page.get_by_test_id("price").inner_text().replace("\xa0", " ")
    assert re.fullmatch(r"\d{1,3}(\.\d{3})+ ₫", price), price
    screenshot(page, "product")

    page.get_by_label("Số lượng").fill("2")
    page.get_by_role("button", name="Thêm vào giỏ").click()

    expect(page).to_have_url(re.compile(r"/cart$"))
    expect(page.get_by_text("Đã thêm vào giỏ hàng.")).to_be_visible()
    expect(page.get_by_test_id("cart")).to_contain_text("Miến dong Bình Liêu")
    expect(page.get_by_test_id("cart-count")).to_have_text("2")
    unit = int(price.replace(".", "").replace(" ₫", ""))
    total = page.get_by_test_id("cart-total").inner_text().replace("\xa0", " ")
    assert total == f"{unit * 2:,}".replace(",", ".") + " ₫"
    screenshot(page, "cart")


def test_cart_quantity_change_and_removal(page):
    page.goto("/products/mien-dong-binh-lieu")
    page.get_by_role("button", name="Thêm vào giỏ").click()

    page.get_by_label("Số lượng của Miến dong Bình Liêu").fill("3")
    page.get_by_role("button", name="Cập nhật").click()
    expect(page.get_by_test_id("cart-count")).to_have_text("3")

    page.get_by_role("button", name="Xoá Miến dong Bình Liêu khỏi giỏ").click()
    expect(page.get_by_test_id("empty-cart")).to_be_visible()
    expect(page.get_by_test_id("cart-count")).to_have_text("0")


def test_cart_is_kept_across_visits(browser, live_server):
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    page.goto("/products/mien-dong-binh-lieu")
    page.get_by_role("button", name="Thêm vào giỏ").click()
    cookies = context.cookies()
    context.close()

    later = browser.new_context(base_url=live_server)
    later.add_cookies(cookies)
    again = later.new_page()
    again.goto("/cart")
    expect(again.get_by_test_id("cart")).to_contain_text("Miến dong Bình Liêu")
    session = next(cookie for cookie in cookies if cookie["name"] == "session")
    assert session["httpOnly"] and session["sameSite"] == "Lax" and session["expires"] > 0
    later.close()


def test_filters_narrow_the_listing(page, screenshot):
    page.goto("/products")
    total = int(page.get_by_role("heading", name=re.compile(r"\d+ sản phẩm")).inner_text().split()[0])

    page.get_by_role("link", name=re.compile(r"^5 sao OCOP")).first.click()
    expect(page).to_have_url(re.compile(r"stars=5"))  # the filtered list, not the one the click left
    five = int(page.get_by_role("heading", name=re.compile(r"\d+ sản phẩm")).inner_text().split()[0])
    assert 0 < five < total

    page.get_by_role("link", name=re.compile(r"^Thực phẩm \(")).click()
    expect(page).to_have_url(re.compile(r"category=thuc-pham"))
    expect(page).to_have_url(re.compile(r"stars=5"))
    page.get_by_label("Sắp xếp").select_option("-price")
    page.get_by_role("button", name="Áp dụng").click()
    expect(page).to_have_url(re.compile(r"sort=-price"))  # all_inner_texts does not wait for the sorted list
    prices = [
        int(text.replace(".", "").replace("\xa0₫", ""))
        for text in page.get_by_test_id("results").locator(".price").all_inner_texts()
    ]
    assert prices == sorted(prices, reverse=True) and prices
    screenshot(page, "filtered")


def test_empty_search_is_helpful(page):
    page.goto("/products?q=khong+co+san+pham+nay")
    expect(page.get_by_test_id("empty")).to_contain_text("Không tìm thấy sản phẩm phù hợp")
    expect(page.get_by_role("link", name="Tất cả sản phẩm")).to_be_visible()


def test_language_switch_is_remembered(page, screenshot):
    page.goto("/products/mien-dong-binh-lieu")
    page.get_by_role("button", name="English").click()

    expect(page.get_by_role("button", name="Add to cart")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto("/")
    expect(page.get_by_role("link", name="Cart")).to_be_visible()
    screenshot(page, "english-home")

    page.get_by_role("button", name="Tiếng Việt").click()
    expect(page.get_by_role("link", name=re.compile("Giỏ hàng"))).to_be_visible()
