"""The OpenAPI document describes every route; the docs page and health check answer."""


def test_openapi_document_lists_the_read_routes(client):
    spec = client.get("/api/v1/openapi.json").get_json()

    assert spec["openapi"].startswith("3.")
    assert {
        "/api/v1/products",
        "/api/v1/products/{product_id}",
        "/api/v1/producers",
        "/api/v1/producers/{producer_id}",
        "/api/v1/categories",
        "/api/v1/localities",
    } <= set(spec["paths"])
    parameters = {p["name"] for p in spec["paths"]["/api/v1/products"]["get"]["parameters"]}
    assert {
        "q",
        "stars",
        "category",
        "locality",
        "producer",
        "min_price",
        "max_price",
        "in_stock",
        "sort",
        "page",
        "per_page",
    } <= parameters


def test_docs_page_renders_the_document(client):
    response = client.get("/api/docs")

    assert response.status_code == 200
    assert "openapi.json" in response.get_data(as_text=True)


def test_healthz_says_ok_when_the_database_answers(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_says_unavailable_when_the_database_does_not_answer(tmp_path):
    from catalogue import create_app

    broken = create_app(
        {
            "CATALOGUE_ENV": "testing",
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/db.sqlite",
        }
    )

    response = broken.test_client().get("/healthz")

    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable"}


def test_openapi_document_covers_every_contract_route(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]

    expected = {
        ("/api/v1/products", "get"),
        ("/api/v1/products", "post"),
        ("/api/v1/products/{product_id}", "get"),
        ("/api/v1/products/{product_id}", "patch"),
        ("/api/v1/products/{product_id}", "delete"),
        ("/api/v1/producers", "get"),
        ("/api/v1/producers/{producer_id}", "get"),
        ("/api/v1/categories", "get"),
        ("/api/v1/localities", "get"),
        ("/api/v1/orders", "post"),
        ("/api/v1/orders/{code}", "get"),
        ("/api/v1/orders/{code}/cancel", "post"),
        ("/api/v1/sync/changes", "get"),
        ("/api/v1/products/{product_id}/listings/{marketplace}", "put"),
        ("/api/v1/products/{product_id}/listings", "get"),
        ("/api/v1/marketplaces/{marketplace}/orders", "post"),
    }
    assert {(path, method) for path, methods in paths.items() for method in methods} >= expected
