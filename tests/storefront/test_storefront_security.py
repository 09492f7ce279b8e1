"""Every storefront form needs its CSRF token; headers and cookies are hardened."""

import pytest

from catalogue import create_app
from tests.storefront_helpers import cart_of, csrf_token


def _product_id(client) -> int:
    return client.get("/api/v1/products?q=mien+dong+binh+lieu").get_json()["items"][0]["id"]


@pytest.mark.parametrize(
    ("path", "form"),
    [("/cart/add", {"quantity": 1}), ("/cart/update", {"quantity": 2}), ("/language", {"lang": "en"})],
)
def test_posts_without_a_csrf_token_are_refused_and_change_nothing(client, path, form):
    product_id = _product_id(client)
    token = csrf_token(client, "/products/mien-dong-binh-lieu")
    client.post("/cart/add", data={"product_id": product_id, "quantity": 1, "csrf_token": token})
    before = cart_of(client)

    response = client.post(path, data={"product_id": product_id, **form})

    assert response.status_code == 400
    assert "Phiên làm việc đã hết hạn" in response.get_data(as_text=True)
    assert cart_of(client) == before == {str(product_id): 1}
    with client.session_transaction() as session:
        assert "lang" not in session


def test_a_forged_token_is_refused(client):
    response = client.post("/cart/add", data={"product_id": _product_id(client), "quantity": 1, "csrf_token": "forged"})
    assert response.status_code == 400
    assert cart_of(client) == {}


def test_security_headers_on_pages(client):
    headers = client.get("/").headers

    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in headers  # only behind HTTPS


def test_hsts_is_sent_over_https(client):
    headers = client.get("/", base_url="https://shop.test").headers
    assert "max-age=" in headers["Strict-Transport-Security"]


def test_session_cookie_is_httponly_and_samesite(client):
    token = csrf_token(client, "/products/mien-dong-binh-lieu")
    response = client.post("/cart/add", data={"product_id": _product_id(client), "quantity": 1, "csrf_token": token})

    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie


def test_production_cookies_are_secure(monkeypatch, tmp_path):
    from catalogue.config import OPERATOR_SAMPLE, load_config

    monkeypatch.setenv("CATALOGUE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 32)
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/x")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://ocop.example.vn")
    monkeypatch.setenv("STORAGE_URL", "s3://shop-media")
    monkeypatch.setenv("STORAGE_ENCRYPTION_KEY", "A" * 43 + "=")
    for name in ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET"):
        monkeypatch.setenv(name, "set-in-production")
    for name, value in OPERATOR_SAMPLE.items():  # production needs the seller's facts (Decree 52/2013)
        monkeypatch.setenv(name, value)
    config = load_config(str(tmp_path))
    assert config["SESSION_COOKIE_SECURE"] is True and config["FORCE_HTTPS"] is True


def test_api_and_webhooks_are_not_subject_to_csrf(client):
    assert client.post("/api/v1/orders", json={}).status_code == 422  # validated, not refused for CSRF
    assert client.post("/webhooks/stripe", data=b"{}").status_code == 400  # refused for its signature


def _language_of(client) -> str | None:
    with client.session_transaction() as session:
        return session.get("lang")


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},  # a sibling subdomain is another site's page too
        {"Sec-Fetch-Site": "none"},
        {"Sec-Fetch-Site": "cross-site", "Origin": "http://shop.test"},  # Fetch Metadata wins over Origin
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://shop.test:8080"},
        {"Origin": "https://shop.test"},
        {"Referer": "http://shop.test/"},  # a Referer alone is not trusted
    ],
)
def test_the_language_switch_without_a_token_needs_the_browser_to_say_it_came_from_this_shop(client, headers):
    response = client.post("/language", data={"lang": "en", "next": "/"}, headers=headers)

    assert response.status_code == 400
    assert "Phiên làm việc đã hết hạn" in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers and _language_of(client) is None


@pytest.mark.parametrize(
    "headers", [{"Sec-Fetch-Site": "same-origin"}, {"Origin": "http://shop.test"}, {"Origin": "HTTP://SHOP.TEST"}]
)
def test_the_language_switch_from_a_shop_page_needs_no_token(client, headers):
    response = client.post("/language", data={"lang": "en", "next": "/products"}, headers=headers)

    assert response.status_code == 303 and response.headers["Location"] == "/products"
    assert _language_of(client) == "en"


def test_the_language_switch_from_a_shop_page_still_refuses_an_unknown_language(client):
    client.post("/language", data={"lang": "fr"}, headers={"Sec-Fetch-Site": "same-origin"})
    assert _language_of(client) is None


@pytest.mark.parametrize("written", ["https://ocop.quangninh.example:443", "https://OCOP.quangninh.example/"])
def test_the_public_address_may_be_written_with_its_default_port_or_a_slash(seeded_app, client, monkeypatch, written):
    monkeypatch.setitem(seeded_app.config, "PUBLIC_BASE_URL", written)
    taken = client.post("/language", data={"lang": "en"}, headers={"Origin": "https://ocop.quangninh.example"})
    refused = client.post("/language", data={"lang": "en"}, headers={"Origin": "http://ocop.quangninh.example"})

    assert (taken.status_code, refused.status_code) == (303, 400)


def test_the_language_switch_checks_the_origin_against_the_public_address(seeded_app, client, monkeypatch):
    monkeypatch.setitem(seeded_app.config, "PUBLIC_BASE_URL", "https://ocop.quangninh.example")
    refused = client.post("/language", data={"lang": "en"}, headers={"Origin": "http://shop.test"})
    taken = client.post("/language", data={"lang": "en"}, headers={"Origin": "https://ocop.quangninh.example"})

    assert (refused.status_code, taken.status_code) == (400, 303)


@pytest.mark.parametrize("path", ["/", "/products", "/gioi-thieu"])
def test_a_first_visit_to_a_page_without_a_form_starts_no_session(client, path):
    response = client.get(path)

    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert 'name="csrf_token"' not in response.get_data(as_text=True)


def test_a_first_visit_to_a_page_with_a_form_gets_its_token_and_session(client):
    response = client.get("/orders/lookup")

    assert 'name="csrf_token"' in response.get_data(as_text=True)
    assert any(cookie.startswith("session=") for cookie in response.headers.getlist("Set-Cookie"))


@pytest.mark.parametrize("path", ["/favicon.ico", "/", "/cart", "/products/mien-dong-binh-lieu", "/orders/lookup"])
def test_a_request_that_changes_nothing_sends_no_cookie(client, path):
    """The cart lives in the signed session cookie. A response that re-sent it unchanged (Flask refreshes a
    permanent session on every request by default) would put back the cookie its request carried, so a
    favicon or a page fetched while the shopper removed an item brought the item back (CI, 2026-12-07)."""
    token = csrf_token(client, "/products/mien-dong-binh-lieu")
    client.post("/cart/add", data={"product_id": _product_id(client), "quantity": 1, "csrf_token": token})
    client.get("/cart")  # where the add leads: it shows (and so clears) the "added" notice

    response = client.get(path)

    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_a_slow_request_does_not_undo_a_cart_change(client):
    """The browser's order of events: a request leaves with the cookie of a cart of three, the shopper
    empties the cart meanwhile, and the slow answer lands last. The cart must stay empty."""
    product_id = _product_id(client)
    token = csrf_token(client, "/products/mien-dong-binh-lieu")
    client.post("/cart/add", data={"product_id": product_id, "quantity": 3, "csrf_token": token})
    stale = client.get_cookie("session").value

    client.post("/cart/update", data={"product_id": product_id, "quantity": 0, "csrf_token": token})
    assert cart_of(client) == {}
    emptied = client.get_cookie("session").value
    client.set_cookie("session", stale)
    slow = client.get("/favicon.ico")
    client.set_cookie("session", emptied)
    for header in slow.headers.getlist("Set-Cookie"):  # what the browser applies when the slow answer lands
        name, _, rest = header.partition("=")
        client.set_cookie(name, rest.split(";", 1)[0])

    assert cart_of(client) == {}


def test_an_app_that_forces_https_leaves_the_other_apps_of_the_process_alone(client):
    """Talisman keeps its options on itself: one shared by every app of the process took the last app's, so an app
    made with HTTPS forced (a production check, a CLI) turned every other app's answers into redirects (CI's
    `GET /api/v1/products` 302s, 2026-12-07)."""
    forcing = create_app({"CATALOGUE_ENV": "testing", "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                          "FORCE_HTTPS": True})  # fmt: skip

    assert forcing.test_client().get("/api/v1/categories").status_code in (301, 302)
    assert client.get("/api/v1/categories").status_code == 200
    assert client.get("/").status_code == 200
