"""A product list costs the same number of SQL statements whatever the page size."""

import pytest

from catalogue.caching import LruCache
from catalogue.extensions import db
from tests.conftest import count_statements


@pytest.fixture(autouse=True)
def empty_response_cache(seeded_app, monkeypatch):
    """Count what a cache miss costs: the shared app's caches may hold earlier tests' answers."""
    monkeypatch.setitem(seeded_app.extensions, "response_cache", LruCache(64))
    monkeypatch.setitem(seeded_app.extensions, "fragment_cache", LruCache(1024))


@pytest.mark.parametrize("query", ["", "q=mien+dong", "stars=4&category=thuc-pham&sort=-price"])
def test_statements_per_list_request_do_not_grow_with_page_size(seeded_app, client, query, monkeypatch):
    counts = {}
    for per_page in (1, 10, 100):
        # A cold miss each time: no product's fragment is left from the previous page size.
        monkeypatch.setitem(seeded_app.extensions, "fragment_cache", LruCache(1024))
        # Each request in an app context of its own, as under a server: the fixture's context would carry
        # the first request's session (and its open transaction) into the next ones.
        with seeded_app.app_context(), count_statements(db.engine, raw=True) as statements:
            response = client.get(f"/api/v1/products?per_page={per_page}&{query}")
        assert response.status_code == 200
        assert len(response.get_json()["items"]) == min(per_page, response.get_json()["total"])
        counts[per_page] = len(statements)

    assert counts[1] == counts[10] == counts[100]
    # revision, count, ids, versions, then the rows of the products not yet dumped (certificates, images).
    assert counts[100] <= 6


def test_a_repeated_request_costs_only_the_revision_lookup(client):
    first = client.get("/api/v1/products?per_page=7")
    with count_statements(db.engine, raw=True) as statements:
        again = client.get("/api/v1/products?per_page=7")

    assert again.data == first.data
    assert len(statements) == 1


def test_product_detail_is_a_constant_handful_of_statements(client):
    product_id = client.get("/api/v1/products?per_page=1").get_json()["items"][0]["id"]
    with count_statements(db.engine, raw=True) as statements:
        assert client.get(f"/api/v1/products/{product_id}").status_code == 200
    assert len(statements) <= 2


def test_a_miss_whose_pieces_are_kept_costs_two_reads_and_no_orm_session(seeded_app, client, monkeypatch):
    """The response cache off, the products' JSON and the page's ids kept: the revision, then the versions."""
    monkeypatch.setitem(seeded_app.extensions, "response_cache", None)
    with seeded_app.app_context():
        first = client.get("/api/v1/products?per_page=20&sort=name")
    with seeded_app.app_context(), count_statements(db.engine, raw=True) as statements:
        again = client.get("/api/v1/products?per_page=20&sort=name")
        session_made = db.session.registry.has()

    assert again.data == first.data
    assert not session_made
    assert len(statements) == 2
    assert "change_counters" in statements[0] and "UNION ALL" not in statements[0]
    assert "UNION ALL" in statements[1] and "id IN (" in statements[1]


def test_a_detail_miss_is_the_json_its_list_dumped_in_one_read(seeded_app, client, monkeypatch):
    """The response cache off: a product's detail after a list that showed it loads nothing but its state."""
    monkeypatch.setitem(seeded_app.extensions, "response_cache", None)
    with seeded_app.app_context():
        item = client.get("/api/v1/products?per_page=5&sort=name").get_json()["items"][2]
    with seeded_app.app_context(), count_statements(db.engine, raw=True) as statements:
        kept = client.get(f"/api/v1/products/{item['id']}")
        session_made = db.session.registry.has()
    with seeded_app.app_context(), count_statements(db.engine) as loaded:  # the kept JSON answers the 304 too
        not_modified = client.get(f"/api/v1/products/{item['id']}", headers={"If-None-Match": kept.headers["ETag"]})
    monkeypatch.setitem(seeded_app.extensions, "fragment_cache", None)
    with seeded_app.app_context():
        computed = client.get(f"/api/v1/products/{item['id']}")

    assert not session_made
    assert len(statements) == 1 and f"id IN ({item['id']})" in statements[0]
    assert kept.status_code == 200 and kept.get_json() == item
    assert kept.data == computed.data and kept.headers["ETag"] == computed.headers["ETag"]
    assert kept.headers["Content-Type"] == computed.headers["Content-Type"] == "application/json"
    assert not_modified.status_code == 304 and loaded == []
