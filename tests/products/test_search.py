"""Vietnamese accent-insensitive search, ranked, identical on SQLite and PostgreSQL."""

import unicodedata

import pytest

from catalogue.extensions import db
from catalogue.text import fold

SHOPPER_QUERIES = [
    ("mien dong binh lieu", "Miến dong Bình Liêu"),
    ("tra hoa vang", "Trà hoa vàng Ba Chẽ"),
    ("nuoc mam van don", "Nước mắm Vân Đồn"),
    ("trung vit bien dong rui", "Trứng vịt biển Đồng Rui"),
]


def _names(client, query: str, **params) -> list[str]:
    response = client.get("/api/v1/products", query_string={"q": query, "per_page": 100, **params})
    assert response.status_code == 200
    return [item["name"] for item in response.get_json()["items"]]


@pytest.mark.parametrize(("query", "name"), SHOPPER_QUERIES)
def test_unaccented_query_finds_the_product(client, query, name):
    assert name in _names(client, query)


@pytest.mark.parametrize(("query", "name"), SHOPPER_QUERIES)
def test_names_starting_with_the_phrase_rank_first(client, query, name):
    starts = [fold(found).startswith(query) for found in _names(client, query)]

    assert starts[0]
    assert starts == sorted(starts, reverse=True)


def test_accented_nfd_upper_and_mixed_case_queries_match_alike(client):
    expected = _names(client, "mien dong binh lieu")
    assert expected
    for variant in (
        "Miến dong Bình Liêu",
        unicodedata.normalize("NFD", "Miến dong Bình Liêu"),
        "MIẾN DONG BÌNH LIÊU",
        "  mIen   Dong,  binh-lieu ",
    ):
        assert _names(client, variant) == expected


def test_d_with_stroke_folds_to_d(client):
    assert _names(client, "Đồng Rui") == _names(client, "dong rui")
    assert any("Đồng Rui" in name for name in _names(client, "dong rui"))


def test_last_word_matches_as_a_prefix_while_typing(client):
    assert "Miến dong Bình Liêu" in _names(client, "mien dong binh li")


def test_every_word_must_match(client):
    assert _names(client, "mien dong xyzzyq") == []


def test_name_matches_rank_before_description_matches(client):
    names = _names(client, "mien dong")
    in_name = [i for i, name in enumerate(names) if "miến dong" in name.lower()]
    elsewhere = [i for i, name in enumerate(names) if "miến dong" not in name.lower()]
    assert in_name, "some product has miến dong in its name"
    assert not elsewhere or max(in_name) < min(elsewhere)


def test_search_combines_with_filters(client):
    names = _names(client, "tra", stars=5)
    assert "Trà hoa vàng Ba Chẽ" in names
    assert all(item["ocop"]["stars"] == 5 for item in client.get("/api/v1/products?q=tra&stars=5").get_json()["items"])


@pytest.mark.parametrize("query", ["?!…", "🍜", "🍜 ✨"])
def test_a_query_with_nothing_searchable_matches_nothing(client, query):
    """Issue 23: `q=🍜` listed every product as if it matched."""
    assert client.get("/api/v1/products", query_string={"q": query}).get_json()["total"] == 0


def test_a_blank_query_does_not_filter(client):
    everything = client.get("/api/v1/products").get_json()["total"]
    assert client.get("/api/v1/products", query_string={"q": "   "}).get_json()["total"] == everything


@pytest.mark.parametrize(
    "query",
    ["mien dong binh lieu", "tra hoa vang", "nuoc mam van don", "ruou", "ha long", "mat ong", "500", "co to muc"],
)
def test_sqlite_and_postgresql_return_the_same_results(seeded_apps, query):
    results = {}
    for backend in ("sqlite", "postgresql"):
        application = seeded_apps(backend)
        with application.app_context():
            body = (
                application.test_client().get("/api/v1/products", query_string={"q": query, "per_page": 100}).get_json()
            )
            results[backend] = (body["total"], [item["sku"] for item in body["items"]])
            db.session.remove()
    assert results["sqlite"] == results["postgresql"]
    assert results["sqlite"][0] > 0
