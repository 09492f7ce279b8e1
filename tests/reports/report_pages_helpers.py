"""Signing in to the portal for the report pages' tests."""

from __future__ import annotations

PASSWORD = "mật khẩu đủ dài 123"


def signed_in(app, email: str):
    """A client signed in as `email`, the second factor included (an office account enrols first)."""
    from sqlalchemy import select

    from catalogue.accounts.models import User
    from catalogue.extensions import db
    from tests.access_helpers import enrol_two_factor, sign_in

    user = db.session.scalar(select(User).where(User.email == email))
    if user is not None and user.role == "admin" and not user.totp_secret:
        enrol_two_factor(email)
    client = app.test_client()
    response = sign_in(client, email, PASSWORD)
    assert response.status_code == 303
    return client
