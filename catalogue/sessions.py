"""Flask's signed-cookie sessions, with the signing serializer built once per set of keys.

Flask's SecureCookieSessionInterface builds a new itsdangerous serializer in `open_session`
and again in `save_session`, on every request, a cookie or not: about a tenth of what a
cached public answer costs in-process. The serializer holds only the keys and options and
makes a new signer per call, so one per (SECRET_KEY, SECRET_KEY_FALLBACKS) serves every
request of the app; a changed key gets its own.
"""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class SessionInterface(SecureCookieSessionInterface):
    """The same cookies, signatures and checks as Flask's own; the serializer is kept per key set."""

    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        try:
            return self._serializers[keys]
        except KeyError:
            serializer = self._serializers[keys] = super().get_signing_serializer(app)
            return serializer
