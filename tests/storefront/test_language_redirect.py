"""`POST /language` sends the shopper back where they were, never to another site (issue 22).

Browsers drop tabs and newlines inside a URL and read `\\` as `/`, so `/\\t/evil.example`
passed a "starts with one slash" check and then opened evil.example. The target is now
normalised the way a browser reads it, then checked.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest

from tests.storefront_helpers import csrf_token

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])

TRICKS = [
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example/x",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https:evil.example",
    "https://evil.example/",
    " //evil.example",
    "\x00//evil.example",
    "javascript:alert(1)",
    "/\\\t\\evil.example",
    "%2F%2Fevil.example",
]


def _browser_target(location: str) -> str:
    """Where a browser goes: tabs and newlines removed, backslashes read as slashes (WHATWG URL)."""
    cleaned = location.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/").strip()
    return urlsplit(urljoin("https://shop.example/cart", cleaned)).netloc


@pytest.mark.parametrize("target", TRICKS)
def test_the_language_switch_never_redirects_off_site(app, target):
    client = app.test_client()
    answer = client.post("/language", data={"csrf_token": csrf_token(client), "lang": "en", "next": target})

    assert answer.status_code == 303
    assert _browser_target(answer.headers["Location"]) == "shop.example", answer.headers["Location"]


def test_a_local_path_keeps_its_query_and_is_followed(app):
    client = app.test_client()
    answer = client.post(
        "/language", data={"csrf_token": csrf_token(client), "lang": "en", "next": "/products?q=mi%E1%BA%BFn&page=2"}
    )

    assert answer.headers["Location"] == "/products?q=mi%E1%BA%BFn&page=2"


@pytest.mark.parametrize("target", TRICKS)
def test_the_shared_check_refuses_every_trick(app, target):
    from catalogue.redirects import local_path

    assert local_path(target) == "/"
