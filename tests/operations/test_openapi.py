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
    assert 'data-spec-url="/api/v1/openapi.json"' in response.get_data(as_text=True)


def test_docs_page_loads_only_our_own_files_and_each_answers(client):
    import re

    page = client.get("/api/docs")
    html = page.get_data(as_text=True)

    references = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert references == [
        "/api/docs/assets/favicon-32x32.png",
        "/api/docs/assets/swagger-ui.css",
        "/api/docs/assets/swagger-ui-bundle.js",
        "/api/docs/static/docs.js",
    ]
    assert "<script>" not in html  # no inline script: the strict CSP stays on
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    answers = {reference: client.get(reference) for reference in references}
    assert {reference: answer.status_code for reference, answer in answers.items()} == dict.fromkeys(references, 200)
    assert answers["/api/docs/assets/swagger-ui-bundle.js"].mimetype == "text/javascript"


def test_docs_assets_are_only_swagger_uis_own_files(client):
    assert client.get("/api/docs/assets/index.j2").status_code == 404
    assert client.get("/api/docs/assets/..%2F..%2F__init__.py").status_code == 404


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
        ("/api/v1/orders/{code}/payments", "post"),
        ("/api/v1/sync/changes", "get"),
        ("/api/v1/products/{product_id}/listings/{marketplace}", "put"),
        ("/api/v1/products/{product_id}/listings", "get"),
        ("/api/v1/marketplaces/{marketplace}/orders", "post"),
        ("/api/v1/products/{product_id}/lots", "get"),
        ("/api/v1/products/{product_id}/lots", "post"),
        ("/api/v1/products/{product_id}/lots/{lot_id}", "patch"),
    }
    assert {(path, method) for path, methods in paths.items() for method in methods} >= expected


PROTECTED = {
    ("/api/v1/reports/sales", "get"),
    ("/api/v1/products", "post"),
    ("/api/v1/products/{product_id}", "patch"),
    ("/api/v1/products/{product_id}", "delete"),
    ("/api/v1/orders/{code}", "get"),
    ("/api/v1/orders/{code}/cancel", "post"),
    ("/api/v1/orders/{code}/payments", "post"),
    ("/api/v1/orders/{code}/parcels/{parcel_id}/ship", "post"),
    ("/api/v1/sync/changes", "get"),
    ("/api/v1/sync/cursors/{marketplace}", "get"),
    ("/api/v1/sync/cursors/{marketplace}", "put"),
    ("/api/v1/products/{product_id}/listings/{marketplace}", "put"),
    ("/api/v1/products/{product_id}/listings", "get"),
    ("/api/v1/marketplaces/{marketplace}/orders", "post"),
    ("/api/v1/sync/cursors/{marketplace}/orders", "get"),
    ("/api/v1/sync/cursors/{marketplace}/orders", "put"),
    ("/api/v1/marketplaces/{marketplace}/orders/{external_order_id}/cancel", "post"),
    ("/api/v1/orders/{code}/invoices", "get"),
    ("/api/v1/invoices/{invoice_id}.xml", "get"),
    ("/api/v1/products/{product_id}/lots", "post"),
    ("/api/v1/products/{product_id}/lots/{lot_id}", "patch"),
}
OPTIONAL_TOKEN = {
    ("/api/v1/products", "get"),
    ("/api/v1/products/{product_id}", "get"),
    ("/api/v1/products/{product_id}/lots", "get"),
}

ANSWERS = {
    ("/api/v1/orders/{code}/parcels/{parcel_id}/ship", "post"): {401, 403, 404, 409, 422},
    ("/api/v1/reports/sales", "get"): {401, 403, 404, 422},
    ("/api/v1/products/{product_id}/lots", "get"): {404, 422},
    ("/api/v1/products/{product_id}/lots", "post"): {401, 403, 404, 415, 422},
    ("/api/v1/products/{product_id}/lots/{lot_id}", "patch"): {401, 403, 404, 415, 422},
    ("/api/v1/products", "get"): {401, 403, 422},
    ("/api/v1/products", "post"): {401, 403, 415, 422},
    ("/api/v1/products/{product_id}", "get"): {304, 404, 422},
    ("/api/v1/products/{product_id}", "patch"): {401, 403, 404, 412, 415, 422, 428},
    ("/api/v1/products/{product_id}", "delete"): {401, 403, 404, 412},
    ("/api/v1/producers", "get"): {422},
    ("/api/v1/producers/{producer_id}", "get"): {404, 422},
    ("/api/v1/categories", "get"): {422},
    ("/api/v1/localities", "get"): {422},
    ("/api/v1/orders", "post"): {409, 415, 422},
    ("/api/v1/orders/{code}", "get"): {404, 422},
    ("/api/v1/orders/{code}/cancel", "post"): {401, 403, 404, 422},
    ("/api/v1/orders/{code}/payments", "post"): {401, 404, 409, 415, 422},
    ("/api/v1/sync/changes", "get"): {401, 403, 422},
    ("/api/v1/sync/cursors/{marketplace}", "put"): {401, 403, 404, 409, 415, 422},
    ("/api/v1/products/{product_id}/listings/{marketplace}", "put"): {401, 403, 404, 415, 422},
    ("/api/v1/products/{product_id}/listings", "get"): {401, 403, 404, 422},
    ("/api/v1/marketplaces/{marketplace}/orders", "post"): {401, 403, 404, 409, 415, 422},
    ("/api/v1/sync/cursors/{marketplace}/orders", "put"): {401, 403, 404, 409, 415, 422},
    ("/api/v1/marketplaces/{marketplace}/orders/{external_order_id}/cancel", "post"): {401, 403, 404, 415, 422},
    ("/api/v1/orders/{code}/invoices", "get"): {401, 403, 404, 422},
    ("/api/v1/invoices/{invoice_id}.xml", "get"): {401, 403, 404, 422},
}


def test_the_document_describes_bearer_tokens(client):
    spec = client.get("/api/v1/openapi.json").get_json()

    assert spec["components"]["securitySchemes"]["bearerAuth"]["type"] == "http"
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    operations = {(path, method): op for path, methods in spec["paths"].items() for method, op in methods.items()}
    for key in PROTECTED:
        assert operations[key]["security"] == [{"bearerAuth": []}], key
    for key in OPTIONAL_TOKEN:
        assert operations[key]["security"] == [{}, {"bearerAuth": []}], key
    public = {key for key in operations if key[1] != "parameters"} - PROTECTED - OPTIONAL_TOKEN
    assert {key for key in public if "security" in operations[key]} == set()


def test_each_route_documents_the_errors_it_can_answer(client):
    spec = client.get("/api/v1/openapi.json").get_json()

    for (path, method), statuses in ANSWERS.items():
        documented = {int(code) for code in spec["paths"][path][method]["responses"] if code != "default"}
        assert statuses <= documented, (path, method, sorted(statuses - documented))


def test_if_match_and_etag_are_documented(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    product = spec["paths"]["/api/v1/products/{product_id}"]

    [if_match] = [p for p in product["patch"]["parameters"] if p.get("name") == "If-Match"]
    assert if_match["in"] == "header" and if_match["required"] is True
    [optional] = [p for p in product["delete"]["parameters"] if p.get("name") == "If-Match"]
    assert optional["required"] is False
    for method, status in (("get", "200"), ("patch", "200"), ("delete", "200")):
        assert "ETag" in product[method]["responses"][status]["headers"], method
    assert "ETag" in spec["paths"]["/api/v1/products"]["post"]["responses"]["201"]["headers"]


def test_the_error_body_is_documented_with_errors_as_an_object(client):
    spec = client.get("/api/v1/openapi.json").get_json()

    error = spec["components"]["schemas"]["Error"]["properties"]
    assert set(error) == {"code", "status", "message", "errors"}
    assert error["errors"]["type"] == "object"


def test_two_first_readers_and_the_command_line_get_the_whole_document(app):
    """The document is written when first read (catalogue.extensions.Api), not when the app is built: two
    requests at once both get it whole, and `flask openapi print` prints what the route serves."""
    import json
    from concurrent.futures import ThreadPoolExecutor

    def read(_):
        return app.test_client().get("/api/v1/openapi.json").get_data(as_text=True)

    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(read, range(2))
    printed = app.test_cli_runner().invoke(args=["openapi", "print"])

    assert first == second
    document = json.loads(first)
    assert json.loads(printed.output) == document
    # the first blueprint registered and the last, each with its tag
    assert {"/api/v1/products", "/api/v1/products/{product_id}/lots/{lot_id}"} <= set(document["paths"])
    assert [tag["name"] for tag in document["tags"]][-1] == "lots"
    assert {"DEFAULT_ERROR", "UNPROCESSABLE_ENTITY"} <= set(document["components"]["responses"])
    assert document["paths"]["/api/v1/products"]["get"]["tags"] == ["products"]
