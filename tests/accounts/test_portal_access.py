"""Portal access matrix: every portal form × {owner, other producer, sync token, anonymous, admin}.

Success is the form's redirect (303) or page (200); a producer reaching into another
producer's product is a 403 (another's order or token: 404, their existence is not
told); a bearer token without a session and nobody at all are sent to the login page
(302). Every refusal also checks that nothing changed: every row the forms can write,
and the audit log. Without a CSRF token every form is a 400, and nothing changes.
"""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from catalogue.accounts.models import ApiToken, AuditEntry, PasswordReset, User
from catalogue.accounts.principal import SYSTEM
from catalogue.delivery.models import Parcel
from catalogue.extensions import db
from catalogue.invoices.models import Invoice, InvoiceSettings
from catalogue.orders.fulfilment import OrderShipment
from catalogue.orders.models import Order
from catalogue.payments import ledger
from catalogue.payments.models import Payment
from catalogue.producers.models import Producer
from catalogue.products import images
from catalogue.products.models import Certificate, Product, ProductImage
from catalogue.traceability.models import Lot, LotReport
from tests.access_helpers import PASSWORD, ROLES, a_parcel, cast, paid_order, png_bytes, portal_client
from tests.storefront_helpers import csrf_token
from tests.traceability.traceability_helpers import a_lot, pdf_bytes

OK, SEE_OTHER, TO_LOGIN, FORBIDDEN, NOT_FOUND = 200, 303, 302, 403, 404
PRODUCT_FORM = {
    "name": "Miến dong túi 1 kg",
    "category": "thuc-pham-che-bien",
    "unit": "túi 1 kg",
    "net_weight_g": "1000",
    "price_vnd": "150000",
    "description": "<p>Miến <script>alert(1)</script>dai</p>",
    "status": "active",
}

LOT_FORM = {
    "lot_number": "L2611-01",
    "produced_on": "2026-11-01",
    "expires_on": "2027-11-01",
    "quantity": "5",
    "origin_ward": "Xã Bình Liêu",
}


def _owner_only(success: int = SEE_OTHER, other: int = FORBIDDEN) -> dict:
    return {"owner": success, "other_producer": other, "sync_token": TO_LOGIN, "anonymous": TO_LOGIN, "admin": success}


def _any_signed_in(success: int) -> dict:
    return {
        "owner": success,
        "other_producer": success,
        "sync_token": TO_LOGIN,
        "anonymous": TO_LOGIN,
        "admin": success,
    }


def _office_only() -> dict:
    return {
        "owner": FORBIDDEN,
        "other_producer": FORBIDDEN,
        "sync_token": TO_LOGIN,
        "anonymous": TO_LOGIN,
        "admin": SEE_OTHER,
    }


def _everyone(success: int) -> dict:
    return dict.fromkeys(("owner", "other_producer", "sync_token", "anonymous", "admin"), success)


NEW_PASSWORD = "chè Đường Hoa ngon nhất vùng"

# name → (path, form data, expected status by role); {product}, {image}, {order}, {token} filled from the world.
FORMS = {
    "product create": (
        "/portal/products/new",
        {**PRODUCT_FORM, "stock": "20", "certificate_no": "none", "producer": "htx-mien-dong-binh-lieu"},
        _any_signed_in(SEE_OTHER),
    ),
    "product edit": ("/portal/products/{product}", {**PRODUCT_FORM, "version": "current"}, _owner_only()),
    "stock": ("/portal/products/{product}/stock", {"stock": "42"}, _owner_only()),
    "archive": ("/portal/products/{product}/archive", {}, _owner_only()),
    "image upload": ("/portal/products/{product}/images", {"image": "PNG"}, _owner_only()),
    "image remove": ("/portal/products/{product}/images/{image}/delete", {}, _owner_only()),
    "mark shipped": ("/portal/orders/{order}/ship", {"tracking_number": "GHN-123456"}, _owner_only(other=NOT_FOUND)),
    "parcel sent another way": (
        "/portal/parcels/{parcel}/record",
        {"carrier": "Bưu điện", "tracking_code": "EB123456789VN"},
        _owner_only(other=NOT_FOUND),
    ),
    "admin: book on payment": ("/portal/admin/producers/{producer}/book-on-payment", {"on": "1"}, _office_only()),
    "token create": ("/portal/tokens", {"name": "kho", "scopes": "catalogue:write"}, _any_signed_in(OK)),
    "token revoke": ("/portal/tokens/{token}/revoke", {}, _owner_only(other=NOT_FOUND)),
    "lot create": (
        "/portal/products/{product}/lots/new",
        {**LOT_FORM, "lot_number": "L2611-09"},
        _owner_only(),
    ),
    "lot edit": ("/portal/products/{product}/lots/{lot}", {**LOT_FORM, "quantity": "7"}, _owner_only()),
    "lot report upload": (
        "/portal/products/{product}/lots/{lot}/reports",
        {"title": "Phiếu kết quả thử nghiệm", "report": "PDF"},
        _owner_only(),
    ),
    "admin: producer create": (
        "/portal/admin/producers",
        {"name": "HTX Chè Đường Hoa", "legal_form": "cooperative", "locality": "binh-lieu", "tax_code": "5701234566"},
        _office_only(),
    ),
    "admin: user create": (
        "/portal/admin/users",
        {
            "email": "new@example.com",
            "password": "mật khẩu mới dài",
            "role": "producer",
            "producer": "htx-mien-dong-binh-lieu",
        },
        _office_only(),
    ),
    "admin: certificate add": (
        "/portal/admin/products/{product}/certificates",
        {"stars": "4", "certificate_no": "999/QĐ-UBND", "issuing_level": "province", "issued_on": "2026-11-01"},
        _office_only(),
    ),
    "admin: moderation": ("/portal/admin/products/{product}/status", {"status": "archived"}, _office_only()),
    "admin: assign transfer": (
        "/portal/admin/payments/transfers/{transfer}/assign",
        {"order_code": "PAID2345"},
        _office_only(),
    ),
    "admin: refund returned": (
        "/portal/admin/payments/refunds/{refund}/returned",
        {"reference": "FT26325123456"},
        _office_only(),
    ),
    "password change": (
        "/portal/account/password",
        {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        _any_signed_in(SEE_OTHER),
    ),
    "sign out everywhere": ("/portal/account/sign-out-everywhere", {}, _any_signed_in(SEE_OTHER)),
    # The same answer for everyone (signed in or not); a reset link is made for the known email only.
    "forgot password": ("/portal/password/forgot", {"email": "owner@example.com"}, _everyone(SEE_OTHER)),
    "admin: sign a user out everywhere": ("/portal/admin/users/{owner_user}/sign-out", {}, _office_only()),
    "admin: two-factor off": ("/portal/admin/users/{owner_user}/two-factor/off", {}, _office_only()),
    "admin: invoice settings": (
        "/portal/admin/producers/{producer}/invoicing",
        {"legal_name": "HTX Miến dong Bình Liêu", "template": "1", "series": "C26TAA", "provider": "none"},
        _office_only(),
    ),
}


@pytest.fixture
def world(app):
    """The cast, a paid order of the owner's product, an image on it, and the owner's token id."""
    made = cast()
    made["image"] = images.add_image(SYSTEM, made["product"].id, png_bytes(), "a.png")
    made["order"] = paid_order([(made["product"], 2)])
    made["token_id"] = db.session.scalar(select(ApiToken.id).join(User).where(User.email == "owner@example.com"))
    made["transfer"] = ledger.add_money_in(None, method="vietqr", provider="sepay", reference="FT1", transaction_id="1",
                                           amount_vnd=50_000)  # fmt: skip
    made["refund"] = ledger.add_refund(made["order"], method="vietqr", amount_vnd=20_000, reason="surplus")
    made["lot"] = a_lot(made["product"])
    made["parcel"] = a_parcel(made["order"], made["owner_producer"])
    db.session.commit()
    return made


def snapshot() -> tuple:
    """Every row a portal form can write, and the size of the audit log."""
    db.session.expire_all()

    def rows(*columns):
        return db.session.execute(select(*columns).order_by(columns[0])).all()

    return (
        rows(Product.id, Product.name, Product.price_vnd, Product.stock, Product.status, Product.version),
        rows(ProductImage.id, ProductImage.path),
        rows(Certificate.id, Certificate.certificate_no),
        rows(Order.id, Order.status),
        rows(OrderShipment.id, OrderShipment.tracking_number),
        rows(Parcel.id, Parcel.status, Parcel.tracking_code, Parcel.booking_state),
        rows(Producer.id, Producer.book_on_payment),
        rows(ApiToken.id, ApiToken.revoked_at),
        rows(Producer.id, Producer.slug),
        rows(User.id, User.email, User.password_hash, User.session_version, User.totp_secret),
        rows(PasswordReset.id, PasswordReset.used_at),
        rows(Payment.id, Payment.order_id, Payment.state, Payment.reference),
        rows(InvoiceSettings.producer_id, InvoiceSettings.series, InvoiceSettings.enabled),
        rows(Product.id, Product.vat_rate),
        rows(Invoice.id, Invoice.status),
        rows(Lot.id, Lot.lot_number, Lot.quantity),
        rows(LotReport.id, LotReport.path),
        db.session.scalar(select(func.count(AuditEntry.id))),
    )


def _request(world: dict, name: str, token: str | None) -> tuple[str, dict]:
    path, data, _ = FORMS[name]
    path = path.format(
        product=world["product"].id,
        image=world["image"].id,
        order=world["order"].code,
        token=world["token_id"],
        transfer=world["transfer"].id,
        refund=world["refund"].id,
        producer=world["owner_producer"].id,
        lot=world["lot"].id,
        parcel=world["parcel"].id,
        owner_user=db.session.scalar(select(User.id).where(User.email == "owner@example.com")),
    )
    data = dict(data)
    if "version" in data:  # the version the edit page would carry now
        data["version"] = str(db.session.get(Product, world["product"].id).version)
    if data.get("report") == "PDF":
        data["report"] = (io.BytesIO(pdf_bytes()), "phieu.pdf")
    if data.get("image") == "PNG":
        data["image"] = (io.BytesIO(png_bytes((120, 90))), "photo.png")
    if token is not None:
        data["csrf_token"] = token
    return path, data


# Lot forms decide access in Python only (catalogue.traceability.services), alike on both databases: run on
# SQLite alone, to keep the suite inside its time budget.
LOT_FORMS = [name for name in FORMS if name.startswith("lot")]
BOTH_DATABASES = [name for name in FORMS if name not in LOT_FORMS]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("name", "backend"),
    [(name, backend) for name in BOTH_DATABASES for backend in ("sqlite", "postgresql")]
    + [(name, "sqlite") for name in LOT_FORMS],
)
def test_portal_form_access(app, world, name, role):
    client = portal_client(app, world, role)
    path, data = _request(world, name, csrf_token(client))
    before = snapshot()

    response = client.post(path, data=data, content_type="multipart/form-data")

    assert response.status_code == FORMS[name][2][role], response.get_data(as_text=True)[:2000]
    if response.status_code == TO_LOGIN:
        assert response.headers["Location"].startswith("/portal/login")
    if response.status_code >= 300 and response.status_code != SEE_OTHER:
        assert snapshot() == before
    else:
        assert snapshot() != before


@pytest.mark.parametrize(
    ("name", "backend"),
    [(name, backend) for name in BOTH_DATABASES for backend in ("sqlite", "postgresql")]
    + [(name, "sqlite") for name in LOT_FORMS],
)
def test_portal_forms_refuse_a_post_without_its_csrf_token(app, world, name):
    role = "admin" if name.startswith("admin") else "owner"
    client = portal_client(app, world, role)
    path, data = _request(world, name, None)
    before = snapshot()

    response = client.post(path, data=data, content_type="multipart/form-data")

    assert response.status_code == 400
    assert "biểu mẫu không hợp lệ" in response.get_data(as_text=True)
    assert snapshot() == before


def test_a_producer_cannot_open_another_producers_product_page(app, world):
    client = portal_client(app, world, "other_producer")

    assert client.get(f"/portal/products/{world['product'].id}").status_code == 403
    assert client.get("/portal/admin/products").status_code == 403


@pytest.mark.parametrize(
    "path", ["/portal/", "/portal/orders", "/portal/tokens", "/portal/admin/products", "/portal/admin/payments/"]
)
def test_a_bearer_token_does_not_open_portal_pages(app, world, path):
    client = portal_client(app, world, "sync_token")
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {world['tokens']['admin']}"

    response = client.get(path)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/portal/login")


@pytest.mark.parametrize("role", ROLES)
def test_only_the_office_opens_the_payments_page(app, world, role):
    client = portal_client(app, world, role)
    expected = {"owner": FORBIDDEN, "other_producer": FORBIDDEN, "sync_token": TO_LOGIN, "anonymous": TO_LOGIN,
                "admin": OK}  # fmt: skip

    response = client.get("/portal/admin/payments/")

    assert response.status_code == expected[role]
    if role == "admin":
        assert "Chuyển khoản chưa khớp đơn (1)" in response.get_data(as_text=True)


def _around_now() -> str:
    """A custom period around the real day (the world's order is stamped now, not on the pinned TODAY)."""
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC).date()
    return f"period=custom&from={now - timedelta(days=2)}&to={now + timedelta(days=2)}"


REPORT_PAGES = {
    "office dashboard": ("/portal/admin/", {**_office_only(), "admin": OK}),
    "office export": ("/portal/admin/reports/sales_by_channel.csv", {**_office_only(), "admin": OK}),
    "own reports": ("/portal/reports", {**_any_signed_in(OK), "admin": SEE_OTHER}),
    "the owner's reports": ("/portal/reports?producer={owner}", _owner_only(success=OK)),
    "the owner's export": ("/portal/reports/top_products.csv?producer={owner}", _owner_only(success=OK)),
}


@pytest.mark.parametrize("backend", ["sqlite"])  # who may read what is decided before any SQL
@pytest.mark.parametrize("role", ROLES)
def test_report_pages_access(app, world, role):
    client = portal_client(app, world, role)
    owner = world["owner_producer"].slug

    answers = {}
    for name, (path, _) in REPORT_PAGES.items():
        path = path.format(owner=owner)
        answers[name] = client.get(f"{path}{'&' if '?' in path else '?'}{_around_now()}")

    assert {name: answer.status_code for name, answer in answers.items()} == {
        name: expected[role] for name, (_, expected) in REPORT_PAGES.items()
    }
    if role in ("owner", "admin"):  # the owner's sale: 2 × 85.000 ₫ of its own product
        assert "Miến dong Bình Liêu,1,2,170000" in answers["the owner's export"].get_data(as_text=True)
    if role == "other_producer":  # its own report holds nothing of the owner's
        page = answers["own reports"].get_data(as_text=True)
        assert "Miến dong Bình Liêu" not in page and "170.000" not in page


@pytest.mark.parametrize("backend", ["sqlite"])  # reading decides nothing by dialect
@pytest.mark.parametrize("role", ROLES)
def test_a_producer_never_reads_another_producers_invoices(app, world, role):
    from tests.invoices.invoice_helpers import issue_for  # noqa: PLC0415 - only this test needs an issued invoice

    invoice = issue_for(world["order"], world["owner_producer"])
    client = portal_client(app, world, role)
    expected = {"owner": OK, "other_producer": NOT_FOUND, "sync_token": TO_LOGIN, "anonymous": TO_LOGIN, "admin": OK}

    page = client.get(f"/portal/invoices/{invoice.id}")
    xml = client.get(f"/portal/invoices/{invoice.id}.xml")
    listing = client.get("/portal/invoices").get_data(as_text=True)
    export = client.get("/portal/invoices.csv").get_data(as_text=True)

    assert (page.status_code, xml.status_code) == (expected[role], expected[role])
    shown = f"{invoice.series}-{invoice.number:08d}"
    if role in ("owner", "admin"):
        assert shown in listing and shown.split("-")[0] in export and world["order"].code in export
    elif role == "other_producer":
        assert shown not in listing and world["order"].code not in export


# The account's own pages (GET): what each role is shown. The second factor's page needs a password given a
# moment ago on this browser; the enrolment page is for a signed-in user without two-factor (the cast's office
# account has it: it goes to its account page instead).
ACCOUNT_PAGES = {
    "account": ("/portal/account/", _any_signed_in(OK)),
    "password change": ("/portal/account/password", _any_signed_in(OK)),
    "two-factor setup": ("/portal/two-factor/setup", {**_any_signed_in(OK), "admin": TO_LOGIN}),
    "two-factor code": ("/portal/two-factor", _everyone(TO_LOGIN)),
    "forgot password": ("/portal/password/forgot", _everyone(OK)),
    "reset link (unknown)": ("/portal/password/reset/not-a-token", _everyone(NOT_FOUND)),
}


@pytest.mark.parametrize("role", ROLES)
def test_account_pages_access(app, world, role):
    client = portal_client(app, world, role)

    answers = {name: client.get(path) for name, (path, _) in ACCOUNT_PAGES.items()}

    assert {name: answer.status_code for name, answer in answers.items()} == {
        name: expected[role] for name, (_, expected) in ACCOUNT_PAGES.items()
    }
    if role == "admin":
        assert answers["two-factor setup"].headers["Location"] == "/portal/account/"


@pytest.mark.parametrize("backend", ["sqlite"])  # who sees which parcel is decided in one query, alike on both
@pytest.mark.parametrize("role", ROLES)
def test_the_parcels_page_shows_a_producer_only_its_own_parcels(app, world, role):
    client = portal_client(app, world, role)
    expected = {"owner": OK, "other_producer": OK, "sync_token": TO_LOGIN, "anonymous": TO_LOGIN, "admin": OK}

    page = client.get("/portal/parcels")
    label = client.get(f"/portal/parcels/{world['parcel'].id}/label.pdf")

    assert page.status_code == expected[role]
    shown = f'data-parcel-id="{world["parcel"].id}"' in page.get_data(as_text=True)
    assert shown == (role in ("owner", "admin"))
    # No carrier label for a parcel not booked with one; another producer is not told it exists.
    assert label.status_code == {"owner": 409, "other_producer": NOT_FOUND, "admin": 409}.get(role, TO_LOGIN)
