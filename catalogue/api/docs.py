"""`/api/docs`: Swagger UI over our OpenAPI document, every asset served from this app (no CDN, no inline script).

The Swagger UI files come from the `swagger-ui-bundle` package (installed by pip with the
rest of requirements.txt), so the page renders offline and under the site's strict
Content-Security-Policy (`script-src 'self'`).
"""

from __future__ import annotations

import swagger_ui_bundle
from flask import Blueprint, abort, render_template, send_from_directory, url_for

api_docs = Blueprint(
    "api_docs",
    __name__,
    url_prefix="/api/docs",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

SWAGGER_UI_FILES = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png", "favicon-16x16.png"})


@api_docs.get("")
def page():
    """The Swagger UI page for /api/v1/openapi.json."""
    return render_template("api/docs.html", spec_url=url_for("api-docs.openapi_json"))


@api_docs.get("/assets/<name>")
def asset(name: str):
    """One of Swagger UI's own files, from the installed package (cached for a day)."""
    if name not in SWAGGER_UI_FILES:
        abort(404, description=f"No docs asset '{name}'.")
    return send_from_directory(swagger_ui_bundle.swagger_ui_path, name, max_age=86400)
