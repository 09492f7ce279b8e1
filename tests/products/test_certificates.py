"""OCOP certificates: one service decides what rates a product; the office records, corrects and withdraws."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from catalogue import clock
from catalogue.accounts.models import AuditEntry
from catalogue.accounts.principal import SYSTEM, Principal
from catalogue.errors import InvalidInput, PermissionDenied
from catalogue.extensions import db
from catalogue.products import certificates, editing, moderation
from catalogue.products.dashboard import product_states, valid_certificates
from catalogue.products.models import Certificate, CertificateEvent, Product
from catalogue.seeding import expiry_for
from catalogue.sync.services import is_listable
from tests import factories
from tests.access_helpers import cast, portal_client
from tests.conftest import TODAY
from tests.storefront_helpers import csrf_token


def _producer_principal(producer_id: int) -> Principal:
    return Principal(
        user_id=None, role="producer", producer_id=producer_id, scopes=frozenset({"catalogue:write"}), label="htx"
    )


def _add_certificate(product: Product, stars: int, number: str, issued_on: date, level: str = "province"):
    """An older certificate in the product's history (not the current one)."""
    certificate = Certificate(
        product=product,
        stars=stars,
        certificate_no=number,
        issuing_level=level,
        issued_on=issued_on,
        expires_on=expiry_for(issued_on),
    )
    db.session.add(certificate)
    db.session.flush()
    return certificate


def _snapshot() -> dict:
    """Everything a certificate write could change."""
    db.session.expire_all()
    return {
        "certificates": db.session.execute(
            select(
                Certificate.id,
                Certificate.product_id,
                Certificate.certificate_no,
                Certificate.stars,
                Certificate.issuing_level,
                Certificate.issued_on,
                Certificate.expires_on,
                Certificate.withdrawn_at,
                Certificate.source_certificate_id,
            ).order_by(Certificate.id)
        ).all(),
        "events": db.session.scalar(select(func.count(CertificateEvent.id))),
        "audit": db.session.scalar(select(func.count(AuditEntry.id))),
        "products": db.session.execute(
            select(Product.id, Product.current_certificate_id, Product.version, Product.change_seq).order_by(Product.id)
        ).all(),
    }


def _ocop(client, product_id: int):
    response = client.get(f"/api/v1/products/{product_id}")
    return response.get_json()["ocop"] if response.status_code == 200 else None


def _dashboard_state(product: Product):
    db.session.expire_all()
    return next(state for state in product_states(product.producer_id, TODAY) if state.product.id == product.id)


@pytest.fixture
def catalogue():
    ref = factories.reference_data()
    maker = factories.producer("HTX Miến dong Bình Liêu", ref["binh_lieu"])
    product = factories.product("Miến dong Bình Liêu", maker, ref["processed"], stars=4, issued_on=date(2025, 3, 1))
    db.session.commit()
    return {"ref": ref, "maker": maker, "product": product}


# --- One service decides what rates a product -------------------------------------


def test_a_certificate_the_product_was_re_rated_past_rates_no_new_listing(app, catalogue):
    # Given a product rated 4★ in 2024 and re-rated 3★ in 2025: both decisions are still in date
    product, maker = catalogue["product"], catalogue["maker"]
    _add_certificate(product, 4, "55/QĐ-UBND", date(2024, 3, 1))
    current = _add_certificate(product, 3, "812/QĐ-UBND", date(2025, 9, 1))
    product.current_certificate = current
    db.session.commit()
    client = app.test_client()
    before = _snapshot()

    # When the producer's new-listing form offers its certificates, and it tries the superseded one
    offered = [(held.certificate_no, held.stars) for held in valid_certificates(maker.id, TODAY)]
    with pytest.raises(InvalidInput):
        editing.create_product(
            _producer_principal(maker.id),
            {
                "name": "Miến dong Bình Liêu 1 kg",
                "unit": "gói 1 kg",
                "price_vnd": 150000,
                "status": "active",
                "category": "thuc-pham-che-bien",
                "certificate_no": "55/QĐ-UBND",
            },
            TODAY,
        )

    # Then only the rating the product holds is offered, and the page, the API and the dashboard all say 3★
    assert offered == [("812/QĐ-UBND", 3)]
    assert _snapshot() == before
    assert _ocop(client, product.id)["stars"] == 3
    assert _dashboard_state(product).certificate.stars == 3
    assert "OCOP 3 sao" in client.get(f"/products/{product.slug}").get_data(as_text=True)


def _pack_size_approved(product: Product, maker) -> Product:
    """A producer's new pack size naming its certificate, as the office approves it."""
    listing = editing.create_product(
        _producer_principal(maker.id),
        {
            "name": "Miến dong Bình Liêu 1 kg",
            "unit": "gói 1 kg",
            "price_vnd": 150000,
            "status": "active",
            "category": "thuc-pham-che-bien",
            "certificate_no": product.current_certificate.certificate_no,
        },
        TODAY,
    )
    assert listing.current_certificate is None  # not rated until the office decides
    return moderation.approve_listing(SYSTEM, listing.id, TODAY, clock.now())


def test_a_pack_size_rated_by_the_producers_certificate_carries_a_copy_that_points_at_it(app, catalogue):
    product, maker = catalogue["product"], catalogue["maker"]

    listing = _pack_size_approved(product, maker)

    copy = listing.current_certificate
    original = product.current_certificate_id
    assert (copy.source_certificate_id, copy.stars, copy.issued_on) == (original, 4, date(2025, 3, 1))
    assert _ocop(app.test_client(), listing.id)["certificate_no"] == product.current_certificate.certificate_no


# --- Recording: refusals change nothing -------------------------------------------


REFUSED = {
    "future date": ({"issued_on": date(2026, 11, 22)}, "issued_on", "Ngày cấp không được sau hôm nay (21/11/2026)."),
    "before OCOP": (
        {"issued_on": date(2012, 12, 31)},
        "issued_on",
        "Ngày cấp không được trước năm 2013, năm Quảng Ninh bắt đầu chương trình OCOP.",
    ),
    "two stars": ({"stars": 2}, "stars", "Chỉ 3, 4 hoặc 5 sao (chỉ những hạng này là sản phẩm OCOP)."),
    "unknown level": (
        {"issuing_level": "ward"},
        "issuing_level",
        "Cấp công nhận phải là cấp trung ương, cấp tỉnh hoặc cấp huyện.",
    ),
    "5 stars by the province": ({"stars": 5}, "issuing_level", "Sản phẩm 5 sao do cấp trung ương công nhận."),
    "district after July 2025": (
        {"stars": 3, "issuing_level": "district", "issued_on": date(2025, 7, 1)},
        "issuing_level",
        "Từ 01/07/2025 không còn cấp huyện: sản phẩm 3 sao do cấp tỉnh công nhận.",
    ),
    "no number": ({"certificate_no": "  "}, "certificate_no", "Vui lòng nhập số quyết định công nhận."),
}
SHAPE = (
    "Số quyết định có dạng số/ký hiệu, ví dụ 1966/QĐ-UBND: chữ số, một dấu /, rồi chữ cái và dấu gạch ngang "
    "(không ký hiệu khác, không biểu tượng)."
)
for bad in ("<b>x</b>🍵", "1966/QĐ-UBND🍵", "QĐ-UBND", "1966/", "1966/QĐ-", "1966/QĐ UBND", "12/决定"):
    REFUSED[f"shape {bad}"] = ({"certificate_no": bad}, "certificate_no", SHAPE)


@pytest.mark.parametrize("number", ["1966/QĐ-UBND", "1677/QĐ-BNN-VPĐP", "12/QĐ-TTg", "1966 / QĐ-UBND"])
def test_decision_numbers_of_every_issuer_have_the_shape(number):
    assert certificates.decision_number_shaped(number)


@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_a_certificate_that_breaks_a_rule_is_refused_and_nothing_changes(app, catalogue, case):
    changed, field, message = REFUSED[case]
    values = {
        "stars": 4,
        "certificate_no": "1966/QĐ-UBND",
        "issuing_level": "province",
        "issued_on": date(2026, 6, 12),
        **changed,
    }
    before = _snapshot()

    with pytest.raises(InvalidInput) as refused:
        certificates.record_certificate(SYSTEM, catalogue["product"].id, **values)

    assert refused.value.errors == {field: [message]}
    assert _snapshot() == before


def test_the_same_certificate_twice_on_a_product_is_refused_and_nothing_changes(app, catalogue):
    # Given the product holds 1966/QĐ-UBND of 12/06/2026
    product = catalogue["product"]
    certificates.record_certificate(SYSTEM, product.id, 4, "1966/QĐ-UBND", "province", date(2026, 6, 12))
    before = _snapshot()

    # When the office records it again, spelt differently, with another day of the same year
    with pytest.raises(InvalidInput) as refused:
        certificates.record_certificate(SYSTEM, product.id, 4, " 1966 / qđ-ubnd ", "province", date(2026, 6, 21))

    # Then it is refused and points at the one to correct
    assert refused.value.errors["certificate_no"] == [
        "Sản phẩm này đã có giấy chứng nhận số 1966/QĐ-UBND cấp ngày 12/06/2026: nếu thông tin sai, hãy sửa giấy đó."
    ]
    assert _snapshot() == before


def test_the_same_decision_may_rate_another_product(app, catalogue):
    other = factories.product("Bánh đa Bình Liêu", catalogue["maker"], catalogue["ref"]["processed"])
    db.session.commit()
    certificates.record_certificate(SYSTEM, catalogue["product"].id, 4, "1966/QĐ-UBND", "province", date(2026, 6, 12))

    recorded = certificates.record_certificate(SYSTEM, other.id, 4, "1966/QĐ-UBND", "province", date(2026, 6, 12))

    assert db.session.get(Product, other.id).current_certificate_id == recorded.id


def test_only_the_office_records_corrects_and_withdraws(app, catalogue):
    product, maker = catalogue["product"], catalogue["maker"]
    producer = _producer_principal(maker.id)
    certificate_id = product.current_certificate_id
    before = _snapshot()

    with pytest.raises(PermissionDenied):
        certificates.record_certificate(producer, product.id, 5, "1/QĐ-BNN", "central", date(2026, 6, 12))
    with pytest.raises(PermissionDenied):
        certificates.correct_certificate(producer, certificate_id, {"stars": 5, "issuing_level": "central"}, "lỗi")
    with pytest.raises(PermissionDenied):
        certificates.withdraw_certificate(producer, certificate_id, "lỗi")

    assert _snapshot() == before


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_correction_or_withdrawal_without_a_reason_is_refused_and_nothing_changes(app, catalogue, reason):
    certificate_id = catalogue["product"].current_certificate_id
    before = _snapshot()
    message = "Vui lòng ghi lý do (được lưu vào lịch sử giấy chứng nhận)."

    with pytest.raises(InvalidInput) as correcting:
        certificates.correct_certificate(SYSTEM, certificate_id, {"stars": 3}, reason)
    with pytest.raises(InvalidInput) as withdrawing:
        certificates.withdraw_certificate(SYSTEM, certificate_id, reason)

    assert correcting.value.errors == withdrawing.value.errors == {"reason": [message]}
    assert _snapshot() == before


def test_a_correction_into_a_future_date_is_refused_and_nothing_changes(app, catalogue):
    certificate_id = catalogue["product"].current_certificate_id
    before = _snapshot()

    with pytest.raises(InvalidInput) as refused:
        certificates.correct_certificate(SYSTEM, certificate_id, {"issued_on": date(2027, 3, 1)}, "gõ nhầm năm")

    assert list(refused.value.errors) == ["issued_on"]
    assert _snapshot() == before


# --- Correcting and withdrawing: every page agrees ----------------------------------


def test_correcting_a_typo_changes_what_the_shop_the_api_and_the_dashboard_show(app):
    # Given a product rated 4★ by a certificate whose number, stars and date were typed wrong
    world = cast()
    product = world["product"]
    certificate = product.current_certificate
    typo = certificate.certificate_no
    client, shop = portal_client(app, world, "admin"), app.test_client()
    assert _ocop(shop, product.id)["stars"] == 4
    prefix = f"correct-{certificate.id}"

    # When the office corrects number, stars and date, with a reason
    response = client.post(
        f"/portal/admin/products/{product.id}/certificates/{certificate.id}/correct",
        data={
            f"{prefix}-csrf_token": csrf_token(client),
            f"{prefix}-certificate_no": "1966/QĐ-UBND",
            f"{prefix}-stars": "3",
            f"{prefix}-issuing_level": "province",
            f"{prefix}-issued_on": "2025-08-12",
            f"{prefix}-reason": "Gõ nhầm số và hạng khi nhập",
        },
    )

    # Then the storefront, the API and the producer's dashboard all show the corrected rating
    assert response.status_code == 303
    assert _ocop(shop, product.id) == {
        "stars": 3,
        "certificate_no": "1966/QĐ-UBND",
        "issuing_level": "province",
        "issued_on": "2025-08-12",
        "expires_on": "2028-08-12",
    }
    assert "OCOP 3 sao" in shop.get(f"/products/{product.slug}").get_data(as_text=True)
    state = _dashboard_state(product)
    assert (state.certificate.certificate_no, state.certificate.stars, state.on_storefront) == ("1966/QĐ-UBND", 3, True)
    # and the history and the audit log keep what was changed and why
    event = db.session.scalars(select(CertificateEvent).where(CertificateEvent.certificate_id == certificate.id)).one()
    reason = "Gõ nhầm số và hạng khi nhập"
    assert (event.action, event.reason, event.actor) == ("corrected", reason, "admin@example.com")
    assert json.loads(event.changes) == {
        "certificate_no": [typo, "1966/QĐ-UBND"],
        "stars": [4, 3],
        "issued_on": ["2025-01-10", "2025-08-12"],
    }
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "certificate.correct")).one()
    assert (audit.entity_type, audit.entity_id, json.loads(audit.changes)["reason"]) == (
        "product",
        product.id,
        "Gõ nhầm số và hạng khi nhập",
    )
    page = client.get(f"/portal/admin/products/{product.id}").get_data(as_text=True)
    assert "lý do: Gõ nhầm số và hạng khi nhập" in page


def test_withdrawing_falls_back_to_the_previous_certificate_then_takes_the_product_off_sale(app):
    # Given a product rated 4★ (2025-01-10) and re-rated 5★ (2025-10-01): the 4★ one is still in date
    world = cast()
    product = world["product"]
    previous = product.current_certificate
    latest = _add_certificate(product, 5, "1677/QĐ-BNN-VPĐP", date(2025, 10, 1), level="central")
    certificates.refresh_rating(product)
    db.session.commit()
    client, shop = portal_client(app, world, "admin"), app.test_client()
    assert _ocop(shop, product.id)["stars"] == 5

    # When the office withdraws the 5★ certificate
    response = client.post(
        f"/portal/admin/products/{product.id}/certificates/{latest.id}/withdraw",
        data={f"withdraw-{latest.id}-csrf_token": csrf_token(client), f"withdraw-{latest.id}-reason": "Hồ sơ sai"},
    )

    # Then the latest certificate still standing rates it, everywhere
    assert response.status_code == 303
    assert _ocop(shop, product.id)["certificate_no"] == previous.certificate_no
    assert _ocop(shop, product.id)["stars"] == 4
    assert _dashboard_state(product).certificate.id == previous.id
    assert "OCOP 4 sao" in shop.get(f"/products/{product.slug}").get_data(as_text=True)

    # When every certificate is withdrawn
    for held in db.session.get(Product, product.id).certificates:
        if not held.is_withdrawn:
            certificates.withdraw_certificate(SYSTEM, held.id, "Chủ thể ngừng sản xuất")

    # Then nothing rates it: off the storefront, the API and the marketplaces; the dashboard says why
    assert _ocop(shop, product.id) is None
    assert shop.get(f"/products/{product.slug}").status_code == 404
    assert "Miến dong" not in shop.get("/products?q=mien+dong").get_data(as_text=True)
    state = _dashboard_state(product)
    assert (state.certificate, state.certificate_state, state.on_storefront) == (None, "withdrawn", False)
    assert not is_listable(db.session.get(Product, product.id), TODAY)
    owner = portal_client(app, world, "owner").get("/portal/").get_data(as_text=True)
    assert "Giấy chứng nhận đã bị thu hồi: sản phẩm không còn hiển thị trên cửa hàng" in owner
    events = db.session.scalars(select(CertificateEvent.action).where(CertificateEvent.certificate_id == latest.id))
    assert list(events) == ["withdrawn"]
    assert db.session.scalar(select(func.count()).where(AuditEntry.action == "certificate.withdraw")) == 2


def test_withdrawing_an_original_withdraws_the_copy_on_its_pack_size(app, catalogue):
    product, maker = catalogue["product"], catalogue["maker"]
    listing = _pack_size_approved(product, maker)
    shop = app.test_client()
    assert _ocop(shop, listing.id)["stars"] == 4
    feed_positions = {product.id: product.change_seq, listing.id: listing.change_seq}

    certificates.withdraw_certificate(SYSTEM, product.current_certificate_id, "Quyết định bị huỷ")

    assert _ocop(shop, product.id) is None
    assert _ocop(shop, listing.id) is None
    db.session.expire_all()
    for product_id, position in feed_positions.items():
        # back in the sync change feed, no longer listable: the worker unlists both
        assert db.session.get(Product, product_id).change_seq > position
        assert not is_listable(db.session.get(Product, product_id), TODAY)


def test_the_portal_refuses_a_future_date_beside_the_field_and_nothing_changes(app):
    world = cast()
    client = portal_client(app, world, "admin")
    before = _snapshot()

    response = client.post(
        f"/portal/admin/products/{world['product'].id}/certificates",
        data={
            "csrf_token": csrf_token(client),
            "stars": "4",
            "certificate_no": "12/QĐ-UBND",
            "issuing_level": "province",
            "issued_on": "2026-12-01",
        },
    )

    assert response.status_code == 422
    assert "Ngày cấp không được sau hôm nay (21/11/2026)." in response.get_data(as_text=True)
    assert _snapshot() == before


def test_the_portal_refuses_a_withdrawal_without_a_reason_and_nothing_changes(app):
    world = cast()
    client = portal_client(app, world, "admin")
    certificate_id = world["product"].current_certificate_id
    before = _snapshot()

    response = client.post(
        f"/portal/admin/products/{world['product'].id}/certificates/{certificate_id}/withdraw",
        data={
            f"withdraw-{certificate_id}-csrf_token": csrf_token(client),
            f"withdraw-{certificate_id}-reason": "",
        },
    )

    assert response.status_code == 422
    assert "Vui lòng ghi lý do (được lưu vào lịch sử giấy chứng nhận)." in response.get_data(as_text=True)
    assert _snapshot() == before
