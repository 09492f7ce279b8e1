"""/api/docs renders the route list with no internet: every asset comes from the app, under its strict CSP."""

from __future__ import annotations

from urllib.parse import urlsplit


def test_api_docs_render_the_routes_with_other_hosts_blocked(browser, live_server):
    # Given a browser that may reach nothing but the shop itself
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    own_host = urlsplit(live_server).netloc
    elsewhere: list[str] = []

    def only_our_host(route):
        if urlsplit(route.request.url).netloc == own_host:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_our_host)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))

    # When it opens the API docs
    response = page.goto("/api/docs")
    page.locator(".opblock-summary-path").first.wait_for()

    # Then Swagger UI lists the contract's routes, asked nothing of another host and broke no CSP rule
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert response.status == 200
    assert {"/api/v1/products", "/api/v1/products/{product_id}", "/api/v1/orders"} <= {p.strip() for p in paths}
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert elsewhere == []
    assert problems == []
    context.close()
