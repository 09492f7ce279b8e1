"""Producers' new and re-rated listings wait for the OCOP office's approval (issue 15).

A certificate rates the products it was issued for; rating another product is the
office's decision. Until the office approves, a listing is on no public surface:
the API, the storefront, the sitemap, the Google feed, the sync feed's `listable`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from catalogue.accounts.models import AuditEntry
from catalogue.accounts.principal import Principal
from catalogue.errors import InvalidInput, PermissionDenied
from catalogue.extensions import db
from catalogue.products import moderation
from catalogue.products.editing import create_product
from catalogue.products.models import Certificate, Product
from tests.access_helpers import auth, cast
from tests.conftest import TODAY

NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
OFFICE = Principal(user_id=None, role="admin", producer_id=None, scopes=frozenset({"admin"}), label="office (test)")

# The issue's exploit: a rice wine, rated 4★ by the noodles' certificate.
BORROWED_RATING = {
    "name": "Rượu mơ Bình Liêu",
    "unit": "chai 500 ml",
    "price_vnd": 180000,
    "category": "thuc-pham-che-bien",
    "stock": 30,
    "status": "active",
}


@pytest.fixture
def world(app):
    return cast()


def _create(client, world, role="owner", **body):
    certificate_no = world["product"].current_certificate.certificate_no
    payload = {**BORROWED_RATING, "certificate_no": certificate_no, **body}
    return client.post("/api/v1/products", json=payload, headers=auth(world["tokens"][role]))


def _public_surfaces(client, world, product_id: int, slug: str) -> dict:
    """Where a shopper, a search engine or a marketplace could meet the product."""
    sync = client.get("/api/v1/sync/changes", headers=auth(world["tokens"]["sync_token"]))
    return {
        "api": client.get(f"/api/v1/products/{product_id}").status_code,
        "api_search": [item["id"] for item in client.get("/api/v1/products?q=ruou+mo").get_json()["items"]],
        "page": client.get(f"/products/{slug}").status_code,
        "listing": slug in client.get("/products?q=ruou+mo").get_data(as_text=True),
        "sitemap": slug in client.get("/sitemap.xml").get_data(as_text=True),
        "feed": slug in client.get("/feeds/google.xml").get_data(as_text=True),
        "listable": {item["id"]: item["listable"] for item in sync.get_json()["items"]}.get(product_id),
    }


def test_a_producer_borrowing_another_products_certificate_is_not_public_until_the_office_approves(empty_client, world):
    # Given Miến dong's 4★ certificate, when its producer lists a rice wine under it, active
    response = _create(empty_client, world)

    # then the API says why it is not public, and it is on no public surface
    assert response.status_code == 201
    created = response.get_json()
    certificate_no = world["product"].current_certificate.certificate_no
    assert created["status"] == "active"
    assert created["ocop"] is None
    assert created["review"] == {
        "status": "pending",
        "reason": None,
        "reviewed_at": None,
        "requested_certificate_no": certificate_no,
    }
    assert _public_surfaces(empty_client, world, created["id"], created["slug"]) == {
        "api": 404,
        "api_search": [],
        "page": 404,
        "listing": False,
        "sitemap": False,
        "feed": False,
        "listable": False,
    }


def test_approving_rates_the_listing_by_the_named_certificate_and_publishes_it(empty_client, world):
    created = _create(empty_client, world).get_json()

    approved = moderation.approve_listing(OFFICE, created["id"], TODAY, NOW)

    db.session.expire_all()
    product = db.session.get(Product, created["id"])
    source = world["product"].current_certificate
    assert (product.review_status, product.reviewed_by, product.requested_certificate_id) == (
        "approved",
        "office (test)",
        None,
    )
    assert product.reviewed_at.replace(tzinfo=UTC) == NOW
    rating = product.current_certificate
    assert (rating.product_id, rating.certificate_no, rating.stars, rating.issued_on) == (
        approved.id,
        source.certificate_no,
        4,
        source.issued_on,
    )
    surfaces = _public_surfaces(empty_client, world, created["id"], created["slug"])
    assert surfaces == {
        "api": 200,
        "api_search": [created["id"]],
        "page": 200,
        "listing": True,
        "sitemap": True,
        "feed": True,
        "listable": True,
    }
    assert empty_client.get(f"/api/v1/products/{created['id']}").get_json()["ocop"]["stars"] == 4
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.action, entry.entity_id, entry.actor) == ("product.approve", created["id"], "office (test)")
    assert json.loads(entry.changes) == {
        "review_status": ["pending", "approved"],
        "certificate": [None, source.certificate_no],
    }


def test_rejecting_keeps_the_listing_off_the_shop_with_a_reason(empty_client, world):
    created = _create(empty_client, world).get_json()

    moderation.reject_listing(OFFICE, created["id"], "Giấy chứng nhận này cấp cho miến dong, không cho rượu.", NOW)

    answer = empty_client.get(f"/api/v1/products/{created['id']}")
    assert answer.status_code == 404
    product = db.session.get(Product, created["id"])
    assert (product.review_status, product.rejection_reason, product.current_certificate_id) == (
        "rejected",
        "Giấy chứng nhận này cấp cho miến dong, không cho rượu.",
        None,
    )
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.action, json.loads(entry.changes)) == (
        "product.reject",
        {
            "review_status": ["pending", "rejected"],
            "reason": [None, "Giấy chứng nhận này cấp cho miến dong, không cho rượu."],
        },
    )


def _review_snapshot():
    db.session.expire_all()
    rows = db.session.execute(
        select(Product.id, Product.review_status, Product.current_certificate_id, Product.version).order_by(Product.id)
    ).all()
    audit = db.session.scalar(select(func.count(AuditEntry.id)))
    return rows, audit, db.session.scalar(select(func.count(Certificate.id)))


PRODUCER = Principal(1, "producer", 1, frozenset({"catalogue:write"}), "owner")


@pytest.mark.parametrize(
    ("decide", "refusal"),
    [
        (lambda pending, public: moderation.reject_listing(PRODUCER, pending, "ok", NOW), PermissionDenied),
        (lambda pending, public: moderation.approve_listing(PRODUCER, pending, TODAY, NOW), PermissionDenied),
        (lambda pending, public: moderation.reject_listing(OFFICE, pending, "   ", NOW), InvalidInput),
        (lambda pending, public: moderation.approve_listing(OFFICE, public, TODAY, NOW), moderation.NotPending),
    ],
    ids=["producer-rejects", "producer-approves", "no-reason", "not-pending"],
)
def test_a_refused_decision_changes_nothing(empty_client, world, decide, refusal):
    created = _create(empty_client, world).get_json()
    before = _review_snapshot()

    with pytest.raises(refusal):
        decide(created["id"], world["product"].id)

    assert _review_snapshot() == before


def test_the_offices_own_listing_is_public_at_once(empty_client, world):
    response = _create(empty_client, world, role="admin", producer=world["owner_producer"].slug)

    assert response.status_code == 201
    assert response.get_json()["review"]["status"] == "approved"
    assert response.get_json()["ocop"]["stars"] == 4
    assert empty_client.get(f"/api/v1/products/{response.get_json()['id']}").status_code == 200


def test_a_producer_re_rating_a_public_product_sends_it_back_to_review(empty_client, world):
    # Given the owner's second, public product rated 3★, when it names the noodles' 4★ certificate
    from tests import factories

    second = factories.product("Rượu mơ Bình Liêu", world["owner_producer"], world["ref"]["processed"], stars=3)
    db.session.commit()
    url = f"/api/v1/products/{second.id}"
    assert empty_client.get(url).get_json()["ocop"]["stars"] == 3

    response = _patch_read_first(
        empty_client, url, {"certificate_no": world["product"].current_certificate.certificate_no}, world
    )

    assert response.status_code == 200
    assert response.get_json()["review"]["status"] == "pending"
    assert response.get_json()["ocop"]["stars"] == 3  # still its own rating, but not public until approved
    assert empty_client.get(url).status_code == 404


def test_a_producers_plain_edit_keeps_its_approval(empty_client, world):
    url = f"/api/v1/products/{world['product'].id}"

    response = _patch_read_first(empty_client, url, {"price_vnd": 90000}, world)

    assert response.get_json()["review"]["status"] == "approved"
    assert empty_client.get(url).status_code == 200


@pytest.mark.parametrize(
    "change", [{"name": "Rượu ba kích tím giả"}, {"unit": "chai 5 lít"}, {"net_weight_g": 5000}], ids=str
)
def test_a_producer_changing_what_a_rated_listing_is_sends_it_back_to_review(empty_client, world, change):
    url = f"/api/v1/products/{world['product'].id}"

    response = _patch_read_first(empty_client, url, change, world)

    assert response.status_code == 200
    assert response.get_json()["review"]["status"] == "pending"
    assert empty_client.get(url).status_code == 404  # no stars for a product the certificate never rated
    assert world["product"].slug not in empty_client.get("/api/v1/products?per_page=100").get_data(as_text=True)
    moderation.approve_listing(OFFICE, world["product"].id, TODAY, NOW)
    assert empty_client.get(url).get_json()["ocop"]["stars"] == world["product"].current_certificate.stars


def test_a_producers_edit_of_a_rejected_listing_asks_again(empty_client, world):
    created = _create(empty_client, world).get_json()
    moderation.reject_listing(OFFICE, created["id"], "Ảnh chưa đúng sản phẩm.", NOW)

    response = _patch_read_first(
        empty_client, f"/api/v1/products/{created['id']}", {"description": "Rượu mơ ngâm 6 tháng."}, world
    )

    assert response.get_json()["review"] == {
        "status": "pending",
        "reason": None,
        "reviewed_at": None,
        "requested_certificate_no": world["product"].current_certificate.certificate_no,
    }


def test_pending_listings_show_what_they_ask(empty_client, world):
    created = _create(empty_client, world).get_json()
    plain = create_product(
        Principal(None, "producer", world["other_producer"].id, frozenset({"catalogue:write"}), "other"),
        {"name": "Nước mắm chai nhỏ", "unit": "chai", "price_vnd": 50000, "category": "thuc-pham-che-bien"},
        TODAY,
    )

    page = moderation.pending_listings()

    assert page.total == 2
    assert [(item.id, item.requested_certificate and item.requested_certificate.product_id) for item in page.items] == [
        (created["id"], world["product"].id),
        (plain.id, None),
    ]


def _patch_read_first(client, url: str, body: dict, world):
    """PATCH as the owner the way a client must: read the product's ETag first and send it back."""
    headers = auth(world["tokens"]["owner"])
    etag = client.get(url, headers=headers).headers["ETag"]
    return client.patch(url, json=body, headers={**headers, "If-Match": etag})
