"""Signing in to the portal for the report pages' tests."""

from __future__ import annotations

from tests.storefront_helpers import csrf_token

PASSWORD = "mật khẩu đủ dài 123"


def signed_in(app, email: str):
    client = app.test_client()
    response = client.post(
        "/portal/login",
        data={"csrf_token": csrf_token(client, "/portal/login"), "email": email, "password": PASSWORD},
    )
    assert response.status_code == 303
    return client
