"""Flask extensions, created unbound and attached in `create_app`."""

import threading

import flask_smorest
from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base shared by every domain's models."""


class Api(flask_smorest.Api):
    """flask-smorest's Api, whose OpenAPI document is written the first time something reads `spec` (the
    /api/v1/openapi.json route, `flask openapi print`), not while the app is built.

    Writing it resolves every route's marshmallow schemas (and an error response per HTTP status) through
    apispec: ~75 % of `create_app`, paid by every web and worker process at start, and by every test, which
    builds an app each, for a document few of them ever serve. Blueprints are still registered with Flask at
    once, so routing is unchanged; what flask-smorest would write into the document is queued, with the app it
    belongs to, and written in the same order on the first read.
    """

    def __init__(self, *args, **kwargs):
        self._spec = None
        self._unwritten: list = []  # what the document still lacks: callables, in flask-smorest's order
        self._writing = threading.RLock()  # two first requests for the document write it once
        super().__init__(*args, **kwargs)

    @property
    def spec(self):
        """The OpenAPI document (apispec.APISpec), with everything registered so far written in."""
        with self._writing:
            # Taken whole: what a queued step reads of `spec` (same thread) is the document as it stands.
            unwritten, self._unwritten = self._unwritten, []
            for write in unwritten:
                write()
        return self._spec

    @spec.setter
    def spec(self, value) -> None:
        self._spec = value

    def init_app(self, app, *, spec_kwargs=None) -> None:
        """Bind to `app` with a new document (what an earlier app had queued was for that app's)."""
        with self._writing:
            self._unwritten = []
            super().init_app(app, spec_kwargs=spec_kwargs)

    # What flask-smorest's _init_spec writes into a new document: an error response per HTTP status, the ETag
    # and pagination headers.
    def _register_responses(self) -> None:
        self._unwritten.append(super()._register_responses)

    def _register_etag_headers(self) -> None:
        self._unwritten.append(super()._register_etag_headers)

    def _register_pagination_header(self) -> None:
        self._unwritten.append(super()._register_pagination_header)

    def register_blueprint(self, blp, *, parameters=None, **options) -> None:
        """Register `blp` with the app now, as flask-smorest does, and queue its routes' documentation."""
        name = options.get("name", blp.name)
        app = self._app
        app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        app.register_blueprint(blp, **options)

        def document() -> None:
            blp.register_views_in_doc(self, app, self._spec, name=name, parameters=parameters)
            self._spec.tag({"name": name, "description": blp.description})

        with self._writing:
            self._unwritten.append(document)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
api = Api()
csrf = CSRFProtect()


class AppLimiters(Limiter):
    """The rate limits, declared once on this instance by Flask-Limiter's decorators at import (the portal's login,
    the storefront's order lookup), and counted by each app's own limiter (`of_app`).

    Flask-Limiter keeps what `init_app` reads on the instance (enabled, the storage, the key prefix): one
    instance for the process took the last app's storage and switch for every app, so a second app built in the
    process (a tool's, a test's with limits off) emptied or stopped the first one's counts. Each app's limiter
    shares these declarations and keeps its own settings in `app.extensions`. This instance counts nothing
    itself: read `enabled`, `storage` or `limiter` from `of_app()`.
    """

    def init_app(self, app) -> None:
        own = Limiter(key_func=self._key_func, auto_check=False)
        # One manager of the declared limits for all (the app-wide and default limits it also holds are never
        # checked: with auto_check off, check() applies a view's own limits only).
        own.limit_manager, own._marked_for_limiting = self.limit_manager, self._marked_for_limiting
        own.init_app(app)
        app.extensions[APP_LIMITER] = own

    @staticmethod
    def of_app() -> Limiter:
        """The current app's limiter: its storage, its settings."""
        return current_app.extensions[APP_LIMITER]

    def check(self) -> None:
        """Check the current request against its view's limits, on the current app's limiter."""
        self.of_app().check()


APP_LIMITER = "catalogue.limiter"
# auto_check=False: only the views above have limits, so no other request pays for a before_request check (it
# was ~30% of a cached catalogue answer); they call check() themselves.
limiter = AppLimiters(key_func=get_remote_address, auto_check=False)
