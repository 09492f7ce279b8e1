"""Every storefront form needs its CSRF token; headers and cookies are hardened."""

import pytest

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
