"""A production environment that passes every start-up check (contract §8), for tests of one check at a time.

Each branch that adds a production rule adds its setting here, so a test of another rule still reaches its own
check instead of tripping on the newest one. A test removes or spoils the one setting it is about.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from tests.payments.rail_helpers import OPERATOR, VIETQR

ROOT = Path(__file__).resolve().parents[1]

PUBLIC_BASE_URL = "https://ocop.example.vn"
STORAGE_ENCRYPTION_KEY = "A" * 43 + "="  # a well-formed Fernet key, only ever used by tests
# Everything production needs except a payment rail (tests/payments/test_stripe_off.py chooses the rails).
PRODUCTION = {
    "CATALOGUE_ENV": "production", "SECRET_KEY": "x" * 32, "DATABASE_URL": "postgresql://db/catalogue",
    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0", "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
    "STORAGE_URL": "s3://shop-media", "STORAGE_ENCRYPTION_KEY": STORAGE_ENCRYPTION_KEY, **OPERATOR,
}  # fmt: skip


def production_env(monkeypatch, *, rails: dict[str, str] | None = None, **settings: str | None) -> None:
    """Set a valid production environment (VietQR as its rail unless `rails` is given); `settings` override it,
    and a setting given as None is removed."""
    for name, value in {**PRODUCTION, **(VIETQR if rails is None else rails), **settings}.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)


def gunicorn_settings() -> ModuleType:
    """gunicorn.conf.py, loaded afresh as gunicorn loads it (a module of its own, each call a new one)."""
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
