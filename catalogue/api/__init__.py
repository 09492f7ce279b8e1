"""The JSON API (`/api/v1`): thin flask-smorest blueprints over the domain services."""

from __future__ import annotations

from flask import Flask

from catalogue.extensions import api, csrf

API_PREFIX = "/api/v1"


def register_api(app: Flask) -> None:
    """Attach flask-smorest and every resource blueprint under /api/v1."""
    from catalogue.api import catalogue as catalogue_routes
    from catalogue.api import invoices as invoice_routes
    from catalogue.api import lots as lot_routes
    from catalogue.api import orders as order_routes
    from catalogue.api import product_writes
    from catalogue.api import reports as report_routes
    from catalogue.api import sync as sync_routes
    from catalogue.api.docs import api_docs

    api.init_app(app)
    app.register_blueprint(api_docs)
    for blueprint in (
        *catalogue_routes.blueprints,
        *product_writes.blueprints,
        *order_routes.blueprints,
        *invoice_routes.blueprints,
        *sync_routes.blueprints,
        *report_routes.blueprints,
        *lot_routes.blueprints,
    ):
        api.register_blueprint(blueprint, url_prefix=API_PREFIX + blueprint.url_prefix)
        # The API authenticates with bearer tokens, never cookies: CSRF does not apply.
        csrf.exempt(blueprint)
