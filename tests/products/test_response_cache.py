"""Cached public answers are exact: any catalogue change or a new day is seen on the next request."""

import threading
import time
from datetime import date

import pytest
from sqlalchemy import event, text

from catalogue import create_app
from catalogue.caching import LruCache
from catalogue.extensions import db
from catalogue.products.freshness import hit_engine, run_raw
from catalogue.products.stock import return_stock, take_stock
from tests import factories
from tests.conftest import count_statements


def _catalogue():
    ref = factories.reference_data()
    maker = factories.producer("HTX Miến dong Bình Liêu", ref["binh_lieu"])
    # Issued 2023-11-21: valid through 2026-11-21 inclusive, the pinned "today".
    last_day = factories.product("Bánh đa Bình Liêu", maker, ref["processed"], issued_on=date(2023, 11, 21), stock=5)
    lasting = factories.product("Miến dong Bình Liêu", maker, ref["processed"], issued_on=date(2025, 2, 1))
    db.session.commit()
    return last_day, lasting


def _stocks(client) -> dict[str, int]:
    return {item["sku"]: item["stock"] for item in client.get("/api/v1/products").get_json()["items"]}


def test_the_cache_is_on_by_default_and_serves_the_same_bytes(empty_client, app):
    product, _ = _catalogue()
    first = empty_client.get(f"/api/v1/products/{product.id}")

    with count_statements(db.engine) as statements:
        again = empty_client.get(f"/api/v1/products/{product.id}")

    assert again.data == first.data
    assert again.headers["ETag"] == first.headers["ETag"]
    # The revision, nothing else (read through the session this app context already has in a transaction).
    assert len(statements) == 1
    assert len(app.extensions["response_cache"]) == 1


def test_a_hit_in_a_fresh_app_context_makes_no_orm_session(empty_client, app):
    """As under a server: each request has its own app context, and a hit never touches the ORM."""
    product, _ = _catalogue()
    first = empty_client.get(f"/api/v1/products/{product.id}")

    with app.app_context(), count_statements(db.engine) as statements:
        again = empty_client.get(f"/api/v1/products/{product.id}")
        session_made = db.session.registry.has()

    assert again.data == first.data
    assert not session_made
    assert statements == []  # the revision is read on a raw pooled cursor, below SQLAlchemy's events


def test_a_change_committed_elsewhere_shows_in_a_fresh_app_context(empty_client, app):
    product, _ = _catalogue()
    with app.app_context():
        assert empty_client.get(f"/api/v1/products/{product.id}").get_json()["stock"] == 5

    with app.app_context():  # another request, another session: commits a stock move
        assert take_stock(product.id, 2)
        db.session.commit()

    with app.app_context():
        assert empty_client.get(f"/api/v1/products/{product.id}").get_json()["stock"] == 3


def test_a_cached_detail_still_answers_304_to_its_etag(empty_client):
    product, _ = _catalogue()
    etag = empty_client.get(f"/api/v1/products/{product.id}").headers["ETag"]

    again = empty_client.get(f"/api/v1/products/{product.id}", headers={"If-None-Match": etag})

    assert again.status_code == 304
    assert again.data == b""


def test_stock_taken_or_returned_shows_on_the_very_next_request(empty_client):
    product, _ = _catalogue()
    assert _stocks(empty_client)[product.sku] == 5
    assert empty_client.get(f"/api/v1/products/{product.id}").get_json()["stock"] == 5

    assert take_stock(product.id, 2)
    db.session.commit()
    assert _stocks(empty_client)[product.sku] == 3
    assert empty_client.get(f"/api/v1/products/{product.id}").get_json()["stock"] == 3

    return_stock(product.id, 2)
    db.session.commit()
    assert _stocks(empty_client)[product.sku] == 5


def test_an_orm_price_edit_shows_on_the_very_next_request(empty_client):
    product, _ = _catalogue()
    before = empty_client.get(f"/api/v1/products/{product.id}")

    product.price_vnd = 123000
    db.session.commit()
    after = empty_client.get(f"/api/v1/products/{product.id}")

    assert after.get_json()["price_vnd"] == 123000
    assert after.headers["ETag"] != before.headers["ETag"]


def test_a_producer_rename_shows_in_the_cached_lists(empty_client):
    product, _ = _catalogue()
    empty_client.get("/api/v1/producers")

    product.producer.name = "HTX Miến dong Hoành Mô"
    db.session.commit()

    assert empty_client.get("/api/v1/producers").get_json()["items"][0]["name"] == "HTX Miến dong Hoành Mô"


def test_a_new_day_changes_the_answer(empty_client, app):
    last_day, lasting = _catalogue()
    assert {item["sku"] for item in empty_client.get("/api/v1/products").get_json()["items"]} == {
        last_day.sku,
        lasting.sku,
    }

    app.config["CATALOGUE_TODAY"] = date(2026, 11, 22)  # last_day's certificate has expired

    assert [item["sku"] for item in empty_client.get("/api/v1/products").get_json()["items"]] == [lasting.sku]
    assert empty_client.get(f"/api/v1/products/{last_day.id}").status_code == 404


def test_a_session_with_uncommitted_changes_neither_reads_nor_fills_the_cache(empty_client, app):
    product, _ = _catalogue()
    empty_client.get(f"/api/v1/products/{product.id}")
    cached = len(app.extensions["response_cache"])

    product.price_vnd = 1000  # not committed: this session's requests must not be served or stored
    assert empty_client.get(f"/api/v1/products/{product.id}").get_json()["price_vnd"] == 1000
    assert empty_client.get("/api/v1/products?sort=price").status_code == 200
    db.session.rollback()

    assert len(app.extensions["response_cache"]) == cached
    assert empty_client.get(f"/api/v1/products/{product.id}").get_json()["price_vnd"] == 85000


def test_query_strings_in_any_order_share_an_entry(empty_client, app):
    _catalogue()
    first = empty_client.get("/api/v1/products?sort=price&per_page=5")
    again = empty_client.get("/api/v1/products?per_page=5&sort=price")

    assert again.data == first.data
    assert len(app.extensions["response_cache"]) == 1


def test_errors_are_not_cached(empty_client, app):
    _catalogue()
    assert empty_client.get("/api/v1/products?category=nope").status_code == 422
    assert empty_client.get("/api/v1/products/999999").status_code == 404

    assert len(app.extensions["response_cache"]) == 0


def test_size_zero_turns_the_cache_off(tmp_path):
    application = create_app(
        {
            "CATALOGUE_ENV": "testing",
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "RESPONSE_CACHE_SIZE": 0,
        }
    )

    assert application.extensions["response_cache"] is None


def test_the_least_recently_used_entry_goes_first():
    cache = LruCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.get("a")
    cache.put("c", 3)

    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_read_survives_the_server_closing_every_pooled_connection(app, empty_client):
    """A PostgreSQL restart closes the hit engine's idle connections: the next read reconnects, no 500."""
    product, _ = _catalogue()
    first = empty_client.get(f"/api/v1/products/{product.id}")
    engine = hit_engine()
    held = [engine.raw_connection() for _ in range(2)]  # two pooled connections, as after concurrent requests
    pids = []
    for connection in held:
        cursor = connection.cursor()
        cursor.execute("SELECT pg_backend_pid()")
        pids.append(cursor.fetchone()[0])
        cursor.close()
        connection.close()  # back to the pool, idle
    db.session.execute(
        text("SELECT pg_terminate_backend(pid) FROM unnest(CAST(:pids AS int[])) AS pid"), {"pids": pids}
    )
    db.session.commit()
    for _ in range(100):  # the backends exit on the signal, asynchronously
        if not db.session.scalar(
            text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(CAST(:pids AS int[]))"), {"pids": pids}
        ):
            break
        time.sleep(0.02)
    db.session.commit()

    with app.app_context():  # a request of its own, as under a server: no session to read through
        again = empty_client.get(f"/api/v1/products/{product.id}")

    assert again.status_code == 200 and again.data == first.data


@pytest.mark.parametrize("backend", ["postgresql"])
def test_the_hit_engine_keeps_a_connection_for_each_thread_that_reads_at_once(app):
    """A gthread worker's threads read hits at once: the hit engine keeps a connection for each, as the app's
    engine does. Kept fewer, each return past the pool's size closed its connection and the next hit opened a new
    one (a PostgreSQL backend started per page): under 4 threads, the page's throughput halved."""
    engine = hit_engine()
    readers = db.engine.pool.size()  # as many as the app's own engine keeps
    opened = []
    event.listen(engine, "connect", lambda *_: opened.append(1))
    together = threading.Barrier(readers)

    def read() -> None:
        together.wait(timeout=10)
        run_raw(engine, "SELECT pg_sleep(0.05)", ())  # held while the others read theirs

    for _ in range(2):  # the first round opens the connections; the second must find them kept
        opened.clear()
        threads = [threading.Thread(target=read) for _ in range(readers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)

    assert opened == []
