"""Storefront pages: content, findability and caching (contract §6)."""

import json
import re
import time
from xml.etree import ElementTree

import pytest
from itsdangerous import TimestampSigner

PAGES = [
    "/",
    "/products",
    "/products?q=tra+hoa+vang",
    "/products/mien-dong-binh-lieu",
    "/producers/cong-ty-cp-ngoc-trai-ha-long",
    "/localities/ba-che",
    "/cart",
]


def _json_ld(html: str) -> dict:
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert found
    return json.loads(found.group(1))


@pytest.mark.parametrize("path", PAGES)
def test_pages_are_vietnamese_html(client, path):
    response = client.get(path)

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert '<html lang="vi">' in html
    assert 'name="viewport"' in html


def test_product_page_shows_rating_price_and_origin(client):
    html = client.get("/products/mien-dong-binh-lieu").get_data(as_text=True)

    assert "<h1>Miến dong Bình Liêu</h1>" in html
    assert "OCOP 4 sao" in html
    assert re.search(r"Giấy chứng nhận số [^,]+, hiệu lực từ \d{2}/\d{2}/\d{4} đến \d{2}/\d{2}/\d{4}<", html)
    assert re.search(r'data-testid="price">\d{2,3}\.000\xa0₫<', html)
    assert 'href="/localities/binh-lieu"' in html
    assert 'href="/producers/' in html
    assert 'loading="lazy"' in html and 'width="800" height="800"' in html


def test_product_json_ld_describes_the_offer_in_vnd(client):
    api = client.get("/api/v1/products?q=mien+dong+binh+lieu").get_json()["items"][0]

    data = _json_ld(client.get("/products/mien-dong-binh-lieu").get_data(as_text=True))

    assert data["@type"] == "Product"
    assert (data["name"], data["sku"]) == ("Miến dong Bình Liêu", api["sku"])
    assert data["brand"] == {"@type": "Brand", "name": api["producer"]["name"]}
    assert data["offers"]["price"] == api["price_vnd"]
    assert data["offers"]["priceCurrency"] == "VND"
    assert data["offers"]["availability"] == "https://schema.org/InStock"
    assert data["url"] == data["offers"]["url"] == "http://shop.test/products/mien-dong-binh-lieu"
    assert data["image"][0].startswith("http://shop.test/media/")


def test_product_page_has_opengraph_and_canonical(client):
    html = client.get("/products/mien-dong-binh-lieu?utm_source=zalo").get_data(as_text=True)

    assert '<link rel="canonical" href="http://shop.test/products/mien-dong-binh-lieu">' in html
    assert '<meta property="og:title" content="Miến dong Bình Liêu">' in html
    assert '<meta property="og:type" content="product">' in html
    assert 'property="og:image" content="http://shop.test/media/' in html


def test_description_is_sanitised(app):
    from catalogue.storefront.rendering import rich_text

    html = rich_text('<p onclick="x()">Ngon <strong>đặc biệt</strong></p><script>alert(1)</script><img src=x>')

    assert str(html) == "<p>Ngon <strong>đặc biệt</strong></p>"


def test_plain_description_becomes_escaped_paragraphs(app):
    from catalogue.storefront.rendering import rich_text

    assert str(rich_text("Miến & bún\n\nNấu canh")) == "<p>Miến &amp; bún</p><p>Nấu canh</p>"


def test_listing_facets_count_what_each_choice_gives(client):
    html = client.get("/products?stars=5").get_data(as_text=True)
    total_five = client.get("/api/v1/products?stars=5").get_json()["total"]

    assert re.search(rf'<h2 id="results-heading" class="results-count">{total_five} sản phẩm</h2>', html)
    food = client.get("/api/v1/products?stars=5&category=thuc-pham").get_json()["total"]
    assert re.search(rf"Thực phẩm <span class=\"count\">\({food}\)</span>", html)
    four = client.get("/api/v1/products?stars=4").get_json()["total"]
    assert f"({four})" in html


def test_listing_ignores_invalid_filters_and_says_so(client):
    response = client.get("/products?stars=9&min_price=abc&category=nope")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Một số bộ lọc không hợp lệ đã được bỏ qua" in html
    assert "stars" in html and "min_price" in html and "category" in html


def test_pagination_links_keep_filters(client):
    html = client.get("/products?stars=3").get_data(as_text=True)

    assert 'href="/products?stars=3&amp;page=2"' in html
    assert 'aria-current="page">1<' in html


def test_unknown_product_is_a_vietnamese_404_page(client):
    response = client.get("/products/khong-co-san-pham-nay", headers={"Accept": "text/html"})

    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.get_data(as_text=True)


def test_sitemap_lists_products_producers_and_localities(client):
    response = client.get("/sitemap.xml")

    assert response.status_code == 200
    urls = [
        loc.text
        for loc in ElementTree.fromstring(response.data).iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")
    ]
    total = client.get("/api/v1/products").get_json()["total"]
    assert len([url for url in urls if "/products/" in url]) == total
    assert "http://shop.test/products/mien-dong-binh-lieu" in urls
    assert "http://shop.test/localities/binh-lieu" in urls
    assert any("/producers/" in url for url in urls)


def test_sitemap_splits_into_an_index_when_large(client, monkeypatch):
    from catalogue.storefront import seo

    monkeypatch.setattr(seo, "URLS_PER_SITEMAP", 100)
    index = ElementTree.fromstring(client.get("/sitemap.xml").data)
    parts = [loc.text for loc in index.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]

    total = client.get("/api/v1/products").get_json()["total"]
    assert index.tag.endswith("sitemapindex")
    assert len(parts) == 1 + -(-total // 100)
    second = ElementTree.fromstring(client.get("/sitemap-2.xml").data)
    assert len(list(second)) == 100


def test_robots_txt_points_to_the_sitemap(client):
    body = client.get("/robots.txt").get_data(as_text=True)

    assert "Disallow: /cart" in body and "Disallow: /portal" in body
    assert "Sitemap: http://shop.test/sitemap.xml" in body


@pytest.mark.parametrize("path", ["/", "/products", "/products/mien-dong-binh-lieu"])
def test_pages_revalidate_with_etag(client, monkeypatch, path):
    # A page with a form carries its CSRF token, which itsdangerous signs with the second: the same second here
    # (the test ran flaky when its two requests straddled one). A page without a form has nothing per second.
    second = int(time.time())
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: second)
    first = client.get(path)
    etag = first.headers["ETag"]

    again = client.get(path, headers={"If-None-Match": etag})

    assert first.headers["Cache-Control"] == "private, no-cache"
    assert again.status_code == 304
    assert again.data == b""


def test_english_is_available_and_remembered(client):
    from tests.storefront_helpers import csrf_token

    token = csrf_token(client, "/products/mien-dong-binh-lieu")
    switched = client.post(
        "/language", data={"lang": "en", "next": "/products/mien-dong-binh-lieu", "csrf_token": token}
    )

    assert switched.status_code == 303
    assert switched.headers["Location"] == "/products/mien-dong-binh-lieu"
    html = client.get("/products/mien-dong-binh-lieu").get_data(as_text=True)
    assert '<html lang="en">' in html and "Add to cart" in html and "OCOP 4 stars" in html
    assert re.search(r"\d{2,3}\.000\xa0₫", html), "prices stay in Vietnamese format"


def test_language_switch_never_redirects_off_site(client):
    from tests.storefront_helpers import csrf_token

    token = csrf_token(client)
    response = client.post("/language", data={"lang": "en", "next": "//evil.example/", "csrf_token": token})

    assert response.headers["Location"] == "/"


def test_stylesheet_is_small_versioned_and_cached_for_a_year(client):
    html = client.get("/").get_data(as_text=True)
    href = re.search(r'<link rel="stylesheet" href="([^"]+)">', html).group(1)

    response = client.get(href)

    assert re.fullmatch(r"/static/site\.css\?v=[0-9a-f]{12}", href)
    assert response.headers["Cache-Control"] == "public, max-age=31536000"
    assert len(response.data) < 12_000


def test_a_query_with_nothing_searchable_says_so_instead_of_listing_everything(client):
    """Issue 23: `q=🍜` said "346 sản phẩm" and listed them all."""
    html = client.get("/products", query_string={"q": "🍜"}).get_data(as_text=True)

    assert "0 sản phẩm" in html
    assert 'data-testid="results"' not in html
    assert "không có chữ hay số nào để tìm" in html


def test_a_page_past_the_end_says_so_and_links_to_the_last_page(client):
    """Issue 23: `page=1000` said "346 sản phẩm" and "Không tìm thấy" together."""
    total = int(re.search(r"(\d+) sản phẩm", client.get("/products").get_data(as_text=True)).group(1))
    last = -(-total // 24)

    response = client.get("/products", query_string={"page": 1000})
    html = response.get_data(as_text=True)

    assert "Không tìm thấy sản phẩm phù hợp" not in html
    assert f"Trang 1000 nằm sau trang cuối ({last})" in html
    assert f'href="/products?page={last}"' in html


def test_favicon_is_served_small_and_cached(client):
    """Issue 23: /favicon.ico was a 404 on every page view."""
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon"
    assert response.data[:4] == b"\x00\x00\x01\x00" and len(response.data) < 5_000  # an ICO, small
    assert "max-age=604800" in response.headers["Cache-Control"]
    assert 'rel="icon" href="/favicon.ico"' in client.get("/").get_data(as_text=True)
