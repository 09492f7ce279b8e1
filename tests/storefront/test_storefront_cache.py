"""Storefront pages are rendered once and shared, with each session's token and cart count filled in."""

import hashlib
import re

import pytest

from catalogue.caching import LruCache
from catalogue.extensions import db
from catalogue.products.stock import take_stock
from catalogue.storefront.caching import CART_COUNT_SLOT, CSRF_SLOT
from tests import factories

PAGE = "/products/mien-dong-binh-lieu"
_CART_COUNT = re.compile(r'data-testid="cart-count">(\d+)<')


@pytest.fixture
def page_cache(seeded_app, monkeypatch) -> LruCache:
    """An empty cache for this test (the shared app's may hold earlier tests' pages)."""
    cache = LruCache(64)
    monkeypatch.setitem(seeded_app.extensions, "response_cache", cache)
    return cache


class Shopper:
    """A browser of its own: each request in a fresh app context, as under a real server.

    (The fixtures keep an app context pushed, which requests would otherwise share,
    and with it `g`, where Flask-WTF keeps the request's CSRF token.)
    """

    def __init__(self, app):
        self.app, self.client = app, app.test_client()

    def get(self, path: str, **kwargs):
        with self.app.app_context():
            return self.client.get(path, **kwargs)

    def post(self, path: str, **kwargs):
        with self.app.app_context():
            return self.client.post(path, **kwargs)

    def html(self, path: str = PAGE) -> str:
        return self.get(path).get_data(as_text=True)

    def token(self) -> str:
        return _tokens(self.html()).pop()

    def add_to_cart(self, quantity: int) -> int:
        product_id = self.get("/api/v1/products?q=mien+dong+binh+lieu").get_json()["items"][0]["id"]
        return self.post(
            "/cart/add", data={"product_id": product_id, "quantity": quantity, "csrf_token": self.token()}
        ).status_code


def _tokens(html: str) -> set[str]:
    return set(re.findall(r'name="csrf_token"[^>]*value="([^"]+)"', html))


def test_two_sessions_share_a_render_but_not_a_token(seeded_app, page_cache):
    alice, bob = Shopper(seeded_app), Shopper(seeded_app)

    alice_html, bob_html = alice.html(), bob.html()

    assert len(page_cache) == 1
    assert len(_tokens(alice_html)) == len(_tokens(bob_html)) == 1
    assert _tokens(alice_html) != _tokens(bob_html)
    assert CSRF_SLOT not in bob_html and CART_COUNT_SLOT not in bob_html
    assert bob_html.replace(_tokens(bob_html).pop(), "T") == alice_html.replace(_tokens(alice_html).pop(), "T")


def test_a_token_from_a_cached_page_is_accepted(seeded_app, page_cache):
    Shopper(seeded_app).html()  # fills the cache

    assert Shopper(seeded_app).add_to_cart(2) == 303


def test_each_session_sees_its_own_cart_count(seeded_app, page_cache):
    shopper, other = Shopper(seeded_app), Shopper(seeded_app)
    shopper.add_to_cart(2)
    shopper.get("/cart")  # shows (and so clears) the "added" message

    assert _CART_COUNT.search(shopper.html()).group(1) == "2"
    assert _CART_COUNT.search(other.html()).group(1) == "0"


def test_flashed_messages_are_shown_and_never_shared(seeded_app, page_cache):
    shopper, other = Shopper(seeded_app), Shopper(seeded_app)
    other.html()
    shopper.add_to_cart(1)

    assert "Đã thêm vào giỏ hàng." in shopper.html()
    assert "Đã thêm vào giỏ hàng." not in other.html()
    assert "Đã thêm vào giỏ hàng." not in shopper.html()


def test_each_language_has_its_own_render(seeded_app, page_cache):
    shopper = Shopper(seeded_app)
    shopper.post("/language", data={"lang": "en", "next": PAGE, "csrf_token": shopper.token()})

    html = shopper.html()

    assert '<html lang="en">' in html and "Add to cart" in html
    assert '<html lang="vi">' in Shopper(seeded_app).html()


def test_the_etag_is_of_the_bytes_sent(seeded_app, page_cache):
    shopper = Shopper(seeded_app)
    shopper.html()

    response = shopper.get(PAGE)

    assert response.headers["ETag"] == f'"{hashlib.sha1(response.data).hexdigest()}"'


def test_a_returning_shopper_is_served_without_an_orm_session(seeded_app, page_cache):
    shopper = Shopper(seeded_app)
    first = shopper.get(PAGE)

    with seeded_app.app_context():
        again = shopper.client.get(PAGE)
        session_made = db.session.registry.has()

    assert not session_made
    assert "Set-Cookie" not in again.headers  # the session cookie from the first view is still good
    assert _tokens(again.get_data(as_text=True))  # the slot was filled with this session's token
    for header in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"):
        assert again.headers[header] == first.headers[header]


def test_a_stock_change_shows_on_the_next_page_view(app):
    ref = factories.reference_data()
    maker = factories.producer("HTX Miến dong Bình Liêu", ref["binh_lieu"])
    product = factories.product("Miến dong Bình Liêu", maker, ref["processed"], stock=5)
    db.session.commit()
    client = app.test_client()
    page = f"/products/{product.slug}"
    assert "Chỉ còn 5 sản phẩm" in client.get(page).get_data(as_text=True)

    assert take_stock(product.id, 2)
    db.session.commit()

    assert "Chỉ còn 3 sản phẩm" in client.get(page).get_data(as_text=True)


def test_a_sold_out_page_is_kept_and_sets_no_cookie(app, monkeypatch):
    """No add-to-cart form, so no token: two first visits share one render and neither starts a session."""
    cache = LruCache(64)
    monkeypatch.setitem(app.extensions, "response_cache", cache)
    ref = factories.reference_data()
    maker = factories.producer("HTX Miến dong Bình Liêu", ref["binh_lieu"])
    product = factories.product("Miến dong Bình Liêu", maker, ref["processed"], stock=0)
    db.session.commit()
    page = f"/products/{product.slug}"

    first, second = Shopper(app).get(page), Shopper(app).get(page)

    assert first.status_code == second.status_code == 200
    assert "Hết hàng" in second.get_data(as_text=True) and 'name="csrf_token"' not in second.get_data(as_text=True)
    assert "Set-Cookie" not in first.headers and "Set-Cookie" not in second.headers
    assert len(cache) == 1 and first.get_data() == second.get_data()


def test_a_page_with_its_form_still_gets_a_token_per_shopper_from_a_fresh_cache(app, monkeypatch):
    monkeypatch.setitem(app.extensions, "response_cache", LruCache(64))
    ref = factories.reference_data()
    maker = factories.producer("HTX Miến dong Bình Liêu", ref["binh_lieu"])
    product = factories.product("Miến dong Bình Liêu", maker, ref["processed"], stock=4)
    db.session.commit()
    page = f"/products/{product.slug}"

    first, second = Shopper(app).get(page), Shopper(app).get(page)  # a miss that fills the cache, then a hit

    tokens = [_tokens(answer.get_data(as_text=True)) for answer in (first, second)]
    assert all(len(found) == 1 for found in tokens) and tokens[0] != tokens[1]
    assert all(
        any(cookie.startswith("session=") for cookie in answer.headers.getlist("Set-Cookie"))
        for answer in (first, second)
    )
