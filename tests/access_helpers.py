"""The cast of an access test: owner, other producer, sync token, anonymous, admin."""

from __future__ import annotations

from catalogue.accounts import services as accounts
from catalogue.extensions import db
from tests import factories

PASSWORD = "mật khẩu đủ dài 123"
ROLES = ("owner", "other_producer", "sync_token", "anonymous", "admin")


def cast() -> dict:
    """Two producers with a product each, their users and tokens, an admin and a sync-only token."""
    ref = factories.reference_data()
    owner_producer = factories.producer("HTX Miến dong Bình Liêu", ref["binh_lieu"])
    other_producer = factories.producer("Công ty Nước mắm Vân Đồn", ref["van_don"], "company")
    product = factories.product("Miến dong Bình Liêu", owner_producer, ref["processed"], price_vnd=85000, stock=10)
    other_product = factories.product("Nước mắm Vân Đồn", other_producer, ref["processed"], price_vnd=120000)
    db.session.commit()
    accounts.create_user("owner@example.com", PASSWORD, "producer", owner_producer.slug)
    accounts.create_user("other@example.com", PASSWORD, "producer", other_producer.slug)
    accounts.create_user("admin@example.com", PASSWORD, "admin")
    tokens = {
        "owner": accounts.create_token("owner@example.com", ["catalogue:write", "orders:read"])[0],
        "other_producer": accounts.create_token("other@example.com", ["catalogue:write", "orders:read"])[0],
        "sync_token": accounts.create_token("admin@example.com", ["sync"])[0],
        "admin": accounts.create_token("admin@example.com", ["admin"])[0],
        "anonymous": None,
    }
    return {
        "product": product,
        "other_product": other_product,
        "owner_producer": owner_producer,
        "other_producer": other_producer,
        "tokens": tokens,
        "ref": ref,
    }


def auth(token: str | None) -> dict:
    return {"Authorization": f"Bearer {token}"} if token else {}


# --- The portal (session sign-in) -------------------------------------------------

EMAILS = {"owner": "owner@example.com", "other_producer": "other@example.com", "admin": "admin@example.com"}
# Each signed-in client comes from its own address, so sign-ins never share a rate-limit bucket.
ADDRESSES = {"owner": "10.0.0.1", "other_producer": "10.0.0.2", "sync_token": "10.0.0.3", "anonymous": "10.0.0.4"}
ADDRESSES["admin"] = "10.0.0.5"


def portal_client(app, world: dict, role: str):
    """A test client acting as `role`: signed in (session), bearer token only, or nobody."""
    from tests.storefront_helpers import csrf_token

    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ADDRESSES[role]
    if role == "sync_token":
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {world['tokens']['sync_token']}"
    if role in EMAILS:
        response = client.post(
            "/portal/login",
            data={"csrf_token": csrf_token(client, "/portal/login"), "email": EMAILS[role], "password": PASSWORD},
        )
        assert response.status_code == 303, response.get_data(as_text=True)
    return client


def paid_order(lines: list[tuple], code: str = "PAID2345"):
    """A paid order of (product, quantity) lines, as the webhook would have left it."""
    order = factories.order(lines, code, "paid", stock_held=True)
    db.session.commit()
    return order


def png_bytes(size: tuple[int, int] = (64, 48), color=(200, 30, 30)) -> bytes:
    """A small PNG made with Pillow."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()
