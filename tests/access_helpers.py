"""The cast of an access test: owner, other producer, sync token, anonymous, admin."""

from __future__ import annotations

import re

import pyotp
from sqlalchemy import select

from catalogue import clock
from catalogue.accounts import services as accounts
from catalogue.accounts.models import User
from catalogue.extensions import db
from tests import factories

PASSWORD = "mật khẩu đủ dài 123"
# The cast's office account has enrolled this TOTP secret (an office account cannot sign in without).
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
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
    enrol_two_factor("admin@example.com")
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


def enrol_two_factor(email: str, secret: str = TOTP_SECRET) -> None:
    """Give the user a TOTP secret, as enrolment would (the enrolment pages have their own tests)."""
    user = db.session.scalar(select(User).where(User.email == email))
    user.totp_secret = secret
    db.session.commit()


def current_code(email: str) -> str:
    """The user's TOTP code now, as their app shows it.

    The app refuses a code whose time step was already used (replay); a test signing the same
    user in twice within 30 seconds plays a user who waits for the next code, so the step last
    used is forgotten first. Only this helper does so: the app never does.
    """
    user = db.session.scalar(select(User).where(User.email == email))
    user.totp_last_step = None
    db.session.commit()
    return pyotp.TOTP(user.totp_secret).at(clock.now())


def sign_in(client, email: str, password: str = PASSWORD, path: str = "/portal/login"):
    """Sign in through the pages, the second factor included (enrolling first when the account must).

    Returns the last answer: the 303 into the portal on success.
    """
    from tests.storefront_helpers import _TOKEN, csrf_token

    response = client.post(
        path, data={"csrf_token": csrf_token(client, "/portal/login"), "email": email, "password": password}
    )
    location = response.headers.get("Location", "")
    if response.status_code == 303 and location.startswith("/portal/two-factor/setup"):
        page = client.get("/portal/two-factor/setup").get_data(as_text=True)
        secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page).group(1)
        token = _TOKEN.search(page).group(1)
        code = pyotp.TOTP(secret).at(clock.now())
        return client.post("/portal/two-factor/setup", data={"csrf_token": token, "code": code})  # 200: the codes
    if response.status_code == 303 and location.startswith("/portal/two-factor"):
        token = csrf_token(client, "/portal/two-factor")
        response = client.post("/portal/two-factor", data={"csrf_token": token, "code": current_code(email)})
    return response


def portal_client(app, world: dict, role: str):
    """A test client acting as `role`: signed in (session), bearer token only, or nobody."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ADDRESSES[role]
    if role == "sync_token":
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {world['tokens']['sync_token']}"
    if role in EMAILS:
        response = sign_in(client, EMAILS[role])
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


def a_parcel(order, producer):
    """The producer's parcel of a paid order, waiting to leave (as checkout writes it, priced by the zone table)."""
    from catalogue.delivery.parcels import new_parcel
    from catalogue.delivery.quotes import ParcelQuote

    parcel = new_parcel(ParcelQuote(producer.id, producer.slug, producer.name, 500, 30_000, "zone",
                                    "same_province", None, None, None))  # fmt: skip
    order.parcels.append(parcel)
    db.session.flush()
    return parcel
