"""Secrets at rest: what must never be readable from the store alone (the producers' PKCS#12) is sealed.

Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) with STORAGE_ENCRYPTION_KEY; several
comma-separated keys rotate it: the first seals, any of them opens. Outside production the key
is derived from SECRET_KEY, as INVOICE_CERT_PASSWORD is (production requires its own key:
catalogue.config), so a copy of the bucket without the environment is useless.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

from catalogue.storage import StorageError


class Unsealable(StorageError):
    """A sealed file that none of the keys opens (the key changed, or the file is not ours)."""


def derived_key(secret_key: str) -> str:
    """A Fernet key derived from SECRET_KEY (development and tests)."""
    digest = hmac.new(secret_key.encode(), b"storage-encryption", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()


def _fernet(config) -> MultiFernet:
    given = [key.strip() for key in (config.get("STORAGE_ENCRYPTION_KEY") or "").split(",") if key.strip()]
    keys = given or [derived_key(config["SECRET_KEY"])]
    return MultiFernet([Fernet(key) for key in keys])


def seal(data: bytes, config=None) -> bytes:
    """`data` encrypted and authenticated with the first storage key."""
    return _fernet(config if config is not None else current_app.config).encrypt(data)


def unseal(token: bytes, config=None) -> bytes:
    """The plaintext of a sealed file, or Unsealable."""
    try:
        return _fernet(config if config is not None else current_app.config).decrypt(token)
    except InvalidToken as error:
        raise Unsealable("A sealed file does not open with STORAGE_ENCRYPTION_KEY.") from error
