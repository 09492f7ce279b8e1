"""Only active products with a certificate valid today are on sale (DOMAIN: OCOP)."""

from datetime import date

from catalogue.extensions import db
from tests import factories


def _catalogue():
    ref = factories.reference_data()
    maker = factories.producer("HTX Miến dong Bình Liêu", ref["binh_lieu"])
    valid = factories.product("Miến dong Bình Liêu", maker, ref["processed"], issued_on=date(2024, 2, 1))
    # Issued 2023-11-21: valid through 2026-11-21 inclusive, the pinned "today".
    last_day = factories.product("Bánh đa Bình Liêu", maker, ref["processed"], issued_on=date(2023, 11, 21))
    expired = factories.product("Chè Bình Liêu", maker, ref["processed"], issued_on=date(2023, 11, 20))
    draft = factories.product("Rượu men lá", maker, ref["spirits"], status="draft")
    archived = factories.product("Miến dong cũ", maker, ref["processed"], status="archived")
    renewed = factories.product(
        "Măng khô Bình Liêu", maker, ref["processed"], certificates=[(3, date(2021, 6, 1)), (4, date(2024, 6, 1))]
    )
    db.session.commit()
    return valid, last_day, expired, draft, archived, renewed


def test_list_shows_only_active_products_rated_today(empty_client):
    valid, last_day, expired, draft, archived, renewed = _catalogue()

    body = empty_client.get("/api/v1/products?sort=name").get_json()

    assert [item["sku"] for item in body["items"]] == [last_day.sku, renewed.sku, valid.sku]
    assert body["total"] == 3


def test_certificate_expires_36_months_after_issue(empty_client):
    _, last_day, *_ = _catalogue()

    body = empty_client.get(f"/api/v1/products/{last_day.id}").get_json()

    assert body["ocop"] == {
        "stars": 4,
        "certificate_no": body["ocop"]["certificate_no"],
        "issuing_level": "province",
        "issued_on": "2023-11-21",
        "expires_on": "2026-11-21",
    }


def test_expired_draft_and_archived_products_are_not_found(empty_client):
    _, _, expired, draft, archived, _ = _catalogue()
    for product in (expired, draft, archived):
        response = empty_client.get(f"/api/v1/products/{product.id}")
        assert response.status_code == 404
        assert response.get_json()["code"] == 404


def test_renewal_rates_the_product_and_history_is_kept(empty_client):
    *_, renewed = _catalogue()

    body = empty_client.get(f"/api/v1/products/{renewed.id}").get_json()

    assert body["ocop"]["stars"] == 4
    assert body["ocop"]["issued_on"] == "2024-06-01"
    assert [c.stars for c in renewed.certificates] == [3, 4]


def test_stars_filter_uses_the_current_certificate_not_history(empty_client):
    *_, renewed = _catalogue()

    three = empty_client.get("/api/v1/products?stars=3").get_json()
    four = empty_client.get("/api/v1/products?stars=4").get_json()

    assert renewed.sku not in [item["sku"] for item in three["items"]]
    assert renewed.sku in [item["sku"] for item in four["items"]]
