"""Domains and the core never read the HTTP request: import-linter sees modules, not `flask.request`, so this does.

`from flask import request` is an import of the module `flask` to import-linter (the request is an
attribute), so the layers contract in pyproject.toml cannot forbid it; this test reads the imports.
"""

from __future__ import annotations

import ast
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parents[2] / "catalogue"
DOMAINS = [
    "orders",
    "payments",
    "products",
    "producers",
    "invoices",
    "reports",
    "sync",
    "traceability",
    "accounts",
    "cart",
    "geography",
    "feeds",
]
CORE = ["extensions", "transactions", "events", "clock", "money", "text", "fields", "tax_codes", "errors", "ids"]
CORE += ["models_base", "config"]
REQUEST_STATE = {"request", "session", "g"}
# The one exception: the HTTP layers' glue for the order services (it reads the buyer's IP and language).
# It belongs with the web layer; it stays until the payments work that edits its importers has landed.
ALLOWED = {"orders/wiring.py"}


def _request_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module in ("flask", "flask.globals"):
            found += [
                f"{node.lineno}: from {node.module} import {a.name}" for a in node.names if a.name in REQUEST_STATE
            ]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "flask":
            found += [f"{node.lineno}: flask.{node.attr}"] if node.attr in REQUEST_STATE else []
    return found


def _layered_files() -> list[Path]:
    files = [path for domain in DOMAINS for path in sorted((CATALOGUE / domain).rglob("*.py"))]
    return files + [CATALOGUE / f"{module}.py" for module in CORE]


def test_no_domain_or_core_module_reads_the_request_session_or_g():
    found = {
        str(path.relative_to(CATALOGUE)): imports
        for path in _layered_files()
        if (imports := _request_imports(path)) and str(path.relative_to(CATALOGUE)) not in ALLOWED
    }

    assert found == {}


def test_the_check_sees_each_way_of_reaching_the_request(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import flask\nfrom flask import g, current_app\nfrom flask.globals import session\nflask.request\n"
    )

    assert _request_imports(sample) == [
        "2: from flask import g",
        "3: from flask.globals import session",
        "4: flask.request",
    ]


def test_every_layered_module_exists_and_the_allowed_exception_still_needs_allowing():
    assert all(path.exists() for path in _layered_files())
    assert all(_request_imports(CATALOGUE / allowed) for allowed in ALLOWED)  # else drop it from ALLOWED
