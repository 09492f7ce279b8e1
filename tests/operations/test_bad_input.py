"""Bad input gets a 4xx JSON error naming the field — never a 500."""

import pytest

# One past q's 200 characters: a URL past MAX_URL_LENGTH (4096) is refused before any field is read, a 414
# (tests/operations/test_long_urls.py), so a long-q case must stay short enough to reach the field's bound.
LONG = "a" * 201


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("per_page=1000", "per_page"),
        ("per_page=0", "per_page"),
        ("per_page=abc", "per_page"),
        ("page=0", "page"),
        ("page=-3", "page"),
        ("page=1.5", "page"),
        ("page=99999999999999999999999", "page"),
        ("stars=2", "stars"),
        ("stars=five", "stars"),
        ("min_price=-1", "min_price"),
        ("max_price=1e9", "max_price"),
        ("in_stock=perhaps", "in_stock"),
        ("sort=cheapest", "sort"),
        (f"q={LONG}", "q"),
        ("q=%00%01mien", "q"),
        ("q=mien%1b[31m", "q"),
        ("category=", "category"),
        ("colour=red", "colour"),
    ],
)
def test_invalid_product_query_is_422_naming_the_field(client, query, field):
    response = client.get(f"/api/v1/products?{query}")

    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == 422
    assert body["status"] == "Unprocessable Entity"
    assert field in body["errors"]
    assert field in body["message"]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("category=no-such-set", "category", "There is no category 'no-such-set'."),
        ("locality=ha-noi", "locality", "There is no locality 'ha-noi'."),
        ("producer=nobody", "producer", "There is no producer 'nobody'."),
        ("min_price=90000&max_price=10000", "min_price", "min_price is greater than max_price."),
    ],
)
def test_unknown_references_are_422_with_a_message(client, query, field, message):
    response = client.get(f"/api/v1/products?{query}")

    assert response.status_code == 422
    assert response.get_json()["message"] == message
    assert field in response.get_json()["errors"]


def test_invalid_utf8_query_is_answered_not_crashed(client):
    response = client.get("/api/v1/products?q=%FF%FE%C3")

    # Werkzeug keeps undecodable escapes as the literal text "%FF%FE%C3": searched as ff fe c3, nothing matches.
    assert response.status_code == 200
    assert response.get_json() == {"items": [], "total": 0, "page": 1, "per_page": 20}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v1/nothing-here", 404),
        ("GET", "/api/v1/products/999999", 404),
        ("GET", "/api/v1/products/abc", 404),
        ("GET", "/api/v1/producers/no-such-producer", 404),
        ("DELETE", "/api/v1/categories", 405),
        ("PUT", "/api/v1/localities", 405),
    ],
)
def test_routing_errors_under_api_are_contract_json(client, method, path, status):
    response = client.open(path, method=method)

    assert response.status_code == status
    assert response.is_json
    body = response.get_json()
    assert body["code"] == status
    assert body["message"]


def test_html_clients_get_an_html_error_outside_the_api(client):
    response = client.get("/no-such-page", headers={"Accept": "text/html"})

    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Về trang chủ" in response.get_data(as_text=True)


def test_oversized_bodies_are_413_not_read_whole(client):
    response = client.post("/api/v1/orders", data=b"x" * (11 * 1024 * 1024), content_type="application/json")

    assert response.status_code == 413
    assert response.get_json()["code"] == 413
