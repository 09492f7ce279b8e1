"""Every change shows in every cached answer that shows it: cached answers equal freshly computed ones.

Each case warms the caches with every public read, makes one change, then asks again with the
response and fragment caches on and with both off: the two must be the same bytes (bar the CSRF
token), the change must be there, and exactly the answers that show it must have changed.
A sale that keeps the stock above zero is the case the cache no longer flushes for
(catalogue.caching), so it is also checked to leave the cache's other entries reachable.
"""

import re
from datetime import date

import pytest

from catalogue.extensions import db
from catalogue.products.stock import take_stock
from tests import factories

_CSRF = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+"|(<meta name="csrf-token" content=")[^"]+"')
NEXT_DAY = date(2026, 11, 22)  # the day after the pinned "today": the short certificate has lapsed


def _catalogue():
    ref = factories.reference_data()
    maker = factories.producer("HTX Miến dong Bình Liêu", ref["binh_lieu"])
    # Issued 2023-11-21: valid through 2026-11-21 inclusive, the pinned "today".
    lapsing = factories.product("Bánh đa Bình Liêu", maker, ref["processed"], issued_on=date(2023, 11, 21), stock=5)
    lasting = factories.product("Miến dong Bình Liêu", maker, ref["processed"], issued_on=date(2025, 2, 1), stock=5)
    db.session.commit()
    return lapsing, lasting


def _reads(lapsing, lasting) -> dict[str, str]:
    return {
        "api list": "/api/v1/products",
        "api search": "/api/v1/products?q=binh+lieu",
        "api in stock": "/api/v1/products?in_stock=true&sort=price",
        "api detail": f"/api/v1/products/{lapsing.id}",
        "api other detail": f"/api/v1/products/{lasting.id}",
        "api categories": "/api/v1/categories",
        "api producers": "/api/v1/producers",
        "home": "/",
        "listing": "/products",  # with its facet counts
        "listing search": "/products?q=binh+lieu",
        "page": f"/products/{lapsing.slug}",
        "other page": f"/products/{lasting.slug}",  # the changed product is among its related ones
        "feed": "/feeds/google.xml",
    }


def _answers(client, paths: dict[str, str]) -> dict[str, tuple[int, str]]:
    answers = {}
    for label, path in paths.items():
        response = client.get(path)
        answers[label] = (response.status_code, _CSRF.sub(lambda m: (m.group(1) or m.group(2)) + '"', response.text))
    return answers


def _sell_one(app, lapsing, lasting):
    assert take_stock(lapsing.id, 1)
    db.session.commit()


def _sell_out(app, lapsing, lasting):
    assert take_stock(lapsing.id, 5)
    db.session.commit()


def _reprice(app, lapsing, lasting):
    lapsing.price_vnd = 123000
    db.session.commit()


def _midnight(app, lapsing, lasting):
    app.config["CATALOGUE_TODAY"] = NEXT_DAY  # no write at all


def _archive(app, lapsing, lasting):
    lapsing.status = "archived"
    db.session.commit()


def _rename_category(app, lapsing, lasting):
    lapsing.category.name = "Bánh và miến"
    db.session.commit()


def _shown(client, lapsing, lasting) -> dict:
    """What the API now says about the changed product: its list entry and its detail."""
    items = {item["id"]: item for item in client.get("/api/v1/products").get_json()["items"]}
    detail = client.get(f"/api/v1/products/{lapsing.id}")
    return {"listed": items.get(lapsing.id), "detail": detail.get_json() if detail.status_code == 200 else None}


API_LISTS = {"api list", "api search", "api in stock"}
PAGES = {"home", "listing", "listing search", "page", "other page"}
GONE = API_LISTS | PAGES | {"api detail", "api categories", "api producers", "feed"}  # counts drop too
# change → (make it, what the API shows after it, the answers that must differ from before it)
CHANGES = {
    "sale": (
        _sell_one,
        lambda shown: shown["listed"]["stock"] == 4 and shown["detail"]["stock"] == 4,
        API_LISTS | {"api detail", "page"},  # listings and cards show a stock level only as "sold out"
    ),
    "sold out": (
        _sell_out,
        lambda shown: shown["listed"]["stock"] == 0 and shown["detail"]["stock"] == 0,
        API_LISTS | PAGES | {"api detail", "feed"},
    ),
    "price": (
        _reprice,
        lambda shown: shown["listed"]["price_vnd"] == 123000 == shown["detail"]["price_vnd"],
        API_LISTS | PAGES | {"api detail", "feed"},
    ),
    "midnight": (_midnight, lambda shown: shown == {"listed": None, "detail": None}, GONE),
    "archive": (_archive, lambda shown: shown == {"listed": None, "detail": None}, GONE),
    "category rename": (
        _rename_category,
        lambda shown: shown["listed"]["category"]["name"] == "Bánh và miến" == shown["detail"]["category"]["name"],
        API_LISTS | {"api detail", "api other detail", "api categories", "page", "other page"},
    ),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_shows_in_every_cached_answer(app, empty_client, monkeypatch, change):
    lapsing, lasting = _catalogue()
    paths = _reads(lapsing, lasting)
    before = _answers(empty_client, paths)
    make, visible, differ = CHANGES[change]

    make(app, lapsing, lasting)
    cached = _answers(empty_client, paths)
    shown = _shown(empty_client, lapsing, lasting)
    monkeypatch.setitem(app.extensions, "response_cache", None)
    monkeypatch.setitem(app.extensions, "fragment_cache", None)
    computed = _answers(empty_client, paths)

    assert visible(shown)
    assert {label: answer for label, answer in cached.items() if answer != computed[label]} == {}
    assert {label for label in paths if cached[label] != before[label]} == differ


def test_a_sale_above_zero_keeps_the_other_answers_cached(app, empty_client):
    lapsing, lasting = _catalogue()
    paths = _reads(lapsing, lasting)
    _answers(empty_client, paths)
    cache = app.extensions["response_cache"]
    entries = {key: cache.get(key) for key in list(cache._entries)}

    _sell_one(app, lapsing, lasting)
    _answers(empty_client, paths)

    renewed = {key[1] for key, entry in entries.items() if cache.get(key) is not entry}
    # Only the answers that show the sold product's stock level were recomputed (or, lists, patched).
    assert renewed == {"/api/v1/products", f"/api/v1/products/{lapsing.id}", f"/products/{lapsing.slug}"}
    assert len(cache) == len(entries)


def test_a_miss_reuses_fragments_only_of_unchanged_products(app, empty_client, monkeypatch):
    """With the response cache off, lists come from stored per-product JSON: a sale or a rename is never missed."""
    monkeypatch.setitem(app.extensions, "response_cache", None)
    lapsing, lasting = _catalogue()
    empty_client.get("/api/v1/products")
    store = app.extensions["fragment_cache"]

    def stored() -> dict[str, int]:
        kinds = [key[1] if key[0] == "memo" else "product" for key in store._entries]
        return {kind: kinds.count(kind) for kind in kinds}

    assert stored() == {"product": 2, "ids": 1}

    _sell_one(app, lapsing, lasting)
    after_sale = empty_client.get("/api/v1/products").get_json()["items"]
    _rename_category(app, lapsing, lasting)
    after_rename = empty_client.get("/api/v1/products").data
    monkeypatch.setitem(app.extensions, "fragment_cache", None)

    assert {item["sku"]: item["stock"] for item in after_sale} == {lapsing.sku: 4, lasting.sku: 5}
    # The sold product once more (its page's ids stand: a sale above zero keeps the revision), then
    # both products and the ids under the new revision.
    assert stored() == {"product": 2 + 1 + 2, "ids": 2}
    assert after_rename == empty_client.get("/api/v1/products").data
