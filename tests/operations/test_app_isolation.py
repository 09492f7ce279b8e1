"""Every app of a process keeps its own settings: an extension object shared by two apps must not hold any.

Production runs one app a process, but tests, the CLI and the tools build several, and two extensions that
kept an app's settings on one process-wide object (Talisman: HTTPS forced for every app; Flask-Limiter: its
switch and storage) made one app's behaviour depend on which app was built last. Each shared object below
holds nothing an app sets: Flask-SQLAlchemy keeps each app's engines apart, CSRFProtect reads the current
app's config on each request. A new shared one fails here until it is shown to be the same.
"""

from __future__ import annotations

from catalogue import create_app
from tests.conftest import _config

SHARED_ON_PURPOSE = {"sqlalchemy", "csrf"}


def _objects(extension) -> list:
    """The extension objects an entry holds (Flask-Limiter registers a set of its instances)."""
    return list(extension) if isinstance(extension, set | frozenset | list | tuple) else [extension]


def test_two_apps_share_only_the_extensions_that_keep_no_app_settings(tmp_path):
    first = create_app(_config(f"sqlite:///{tmp_path / 'first.db'}", tmp_path / "first"))
    second = create_app({**_config(f"sqlite:///{tmp_path / 'second.db'}", tmp_path / "second"), "FORCE_HTTPS": True})

    shared = {
        name
        for name, extension in first.extensions.items()
        if name in second.extensions
        and any(mine is theirs for mine in _objects(extension) for theirs in _objects(second.extensions[name]))
    }

    assert shared == SHARED_ON_PURPOSE
    assert {"talisman", "catalogue.limiter"} <= first.extensions.keys()  # the two that were shared, now each app's
