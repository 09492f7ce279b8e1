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
