"""The worker is only a client of our API: the import contract holds, and breaks when the worker imports the app."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(cwd: Path, python_path: list[Path]) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, python_path))}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(REPO / "pyproject.toml"), "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_import_contract_holds_for_the_tree():
    result = _lint_imports(REPO, [REPO])

    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"Contracts: (\d+) kept, 0 broken", result.stdout)
    assert "The marketplace worker never imports the catalogue app, Flask or its database layer KEPT" in result.stdout


def test_the_contract_breaks_when_the_worker_imports_the_app(tmp_path):
    shutil.copytree(REPO / "marketplace_sync", tmp_path / "marketplace_sync")
    (tmp_path / "marketplace_sync" / "shortcut.py").write_text(
        "from catalogue.sync.services import changes_since  # reading the database instead of the API\n"
    )

    result = _lint_imports(tmp_path, [tmp_path, REPO])

    assert result.returncode == 1, result.stdout + result.stderr
    assert "BROKEN" in result.stdout and "marketplace_sync.shortcut -> catalogue.sync.services" in result.stdout


def test_the_worker_runs_without_flask_or_the_app():
    code = (
        "import sys, marketplace_sync.cli, marketplace_sync.tasks, marketplace_sync.worker;"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in {'catalogue', 'flask', 'sqlalchemy'});"
        "print(loaded); sys.exit(1 if loaded else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stdout + result.stderr

    help_text = subprocess.run(
        [sys.executable, "-m", "marketplace_sync", "run", "--help"], cwd=REPO, capture_output=True, text=True
    )
    assert help_text.returncode == 0 and "--marketplace [shopee|lazada|tiktok]" in help_text.stdout


def test_the_workers_own_requirements_cover_what_it_imports():
    import ast

    listed = {
        line.split("[")[0].split(">")[0].split("=")[0].split("<")[0].strip().lower()
        for line in (REPO / "marketplace_sync" / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    imported = set()
    for source in (REPO / "marketplace_sync").glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"marketplace_sync", "__future__"}

    assert third_party - {"redis"} == {"requests", "tenacity", "nh3", "click", "celery"}
    assert third_party - {"redis"} <= listed  # redis comes with celery[redis]
