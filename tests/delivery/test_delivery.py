"""Delivery (contract §8): one parcel per producer, priced by destination and weight, by the carrier or the
shop's zone table; the quote is what the order charges and what the invoices carry."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from catalogue.delivery.models import Parcel, ParcelEvent
from catalogue.delivery.quotes import weight_band_g
from catalogue.extensions import db
from catalogue.orders.models import Order
from tests.access_helpers import cast, enrol_two_factor, portal_client, sign_in
from tests.delivery.delivery_helpers import FakeCarrier, give_pickup, use_carrier
from tests.invoices.invoice_helpers import invoices_of, invoicing_shelf, pay
from tests.order_helpers import ADDRESS, body, stock_of
from tests.payments.rail_helpers import use_rails
from tests.storefront_helpers import csrf_token

HANOI = {"line1": "1 Tràng Tiền", "ward": "Phường Hoàn Kiếm", "province": "Hà Nội"}
SAIGON = {"line1": "2 Lê Lợi", "ward": "Phường Sài Gòn", "province": "Thành phố Hồ Chí Minh"}
CO_TO = {"line1": "Khu 1", "ward": "Đặc khu Cô Tô", "province": "Quảng Ninh"}


@pytest.fixture
def shelf(app):
    """Two producers, each with a pickup ward: an HTX in Bình Liêu and a household on the island of Vân Đồn."""
    use_rails(app)
    products = invoicing_shelf()
    give_pickup(products["htx"], "Xã Bình Liêu")
    give_pickup(products["home"], "Đặc khu Vân Đồn")
    db.session.commit()
    return products


def _quote(client, *lines, address=ADDRESS):
    return client.post(
        "/api/v1/shipping/quote",
        json={"lines": [{"product_id": p.id, "quantity": q} for p, q in lines], "shipping_address": address},
    )


def _fees(answer) -> list[tuple[str, int, int, str | None]]:
    return [(p["producer"]["slug"], p["weight_g"], p["fee_vnd"], p["carrier"]) for p in answer["parcels"]]


def test_the_zone_table_prices_each_producers_parcel_by_destination_and_weight(app, empty_client, shelf):
    mien = shelf["mien"]  # 500 g, the HTX in Bình Liêu (Quảng Ninh, North)

    def fee(quantity, address):
        answer = _quote(empty_client, (mien, quantity), address=address)
        assert answer.status_code == 200, answer.get_json()
        (parcel,) = answer.get_json()["parcels"]
        assert parcel["fee_source"] == "zone" and parcel["carrier"] is None
        return parcel["weight_g"], parcel["fee_vnd"]

    assert fee(2, ADDRESS) == (1000, 30_000)  # same province, up to 1 kg
    assert fee(5, ADDRESS) == (2500, 50_000)  # same province, up to 3 kg
    assert fee(8, ADDRESS) == (4000, 60_000)  # same province, 3 kg band + 1 started kilo × 10 000
    assert fee(1, HANOI) == (500, 32_000)  # same region (North)
    assert fee(2, HANOI) == (1000, 35_000)
    assert fee(1, SAIGON) == (500, 38_000)  # another region
    assert fee(2, SAIGON) == (1000, 45_000)
    assert fee(2, CO_TO) == (1000, 45_000)  # same province + the island surcharge of a special zone


def test_an_order_of_two_producers_ships_as_two_parcels_and_the_island_pays_its_surcharge(app, empty_client, shelf):
    answer = _quote(empty_client, (shelf["mien"], 2), (shelf["men_la"], 1)).get_json()

    # The household ships from Vân Đồn (a special zone): 30 000 + the island's 15 000.
    assert _fees(answer) == [(shelf["htx"].slug, 1000, 30_000, None), (shelf["home"].slug, 500, 45_000, None)]
    assert answer["shipping_fee_vnd"] == 75_000


def test_quote_order_and_invoices_carry_the_same_parcels_and_fees(app, empty_client, shelf):
    carrier = use_carrier(app)
    lines = ((shelf["mien"], 2), (shelf["ruou"], 1), (shelf["men_la"], 3))

    quoted = _quote(empty_client, *lines, address=HANOI).get_json()
    placed = empty_client.post(
        "/api/v1/orders", json=body(*((p.id, q) for p, q in lines), payment_method="vietqr", shipping_address=HANOI)
    ).get_json()
    read = empty_client.get(
        f"/api/v1/orders/{placed['code']}", headers={"Authorization": f"Bearer {placed['access_token']}"}
    ).get_json()

    # The carrier priced each parcel at its weight band, from the producer's ward to Hoàn Kiếm.
    htx_fee = FakeCarrier.fee(_place("Quảng Ninh"), _place("Hà Nội"), weight_band_g(1500))
    home_fee = FakeCarrier.fee(_place("Quảng Ninh"), _place("Hà Nội"), weight_band_g(1500))
    assert _fees(quoted) == [
        (shelf["htx"].slug, 1500, htx_fee, "fakeship"),
        (shelf["home"].slug, 1500, home_fee, "fakeship"),
    ]
    assert {(p["fee_source"], p["service"], p["eta_days"]) for p in quoted["parcels"]} == {("carrier", "2", 2)}
    for answer in (placed, read):
        assert [(p["producer"]["slug"], p["weight_g"], p["fee_vnd"], p["carrier"]) for p in answer["parcels"]] == _fees(
            quoted
        )
        assert {p["status"] for p in answer["parcels"]} == {"pending"}
        assert answer["shipping_fee_vnd"] == quoted["shipping_fee_vnd"] == htx_fee + home_fee
        assert answer["total_vnd"] == answer["subtotal_vnd"] + answer["shipping_fee_vnd"]
    assert len(carrier.calls) == 2  # the order reused the fees the quote remembered: no new carrier call

    pay(empty_client, placed, 1)

    shipping_on_invoices = {
        invoice.producer_id: sum(line.gross_vnd for line in invoice.lines if line.name == "Phí vận chuyển")
        for invoice in invoices_of(placed["code"])
    }
    assert shipping_on_invoices == {shelf["htx"].id: htx_fee, shelf["home"].id: home_fee}


def _place(province):
    from catalogue.geography.addresses import Place

    return Place(province, "22" if province == "Quảng Ninh" else "1", "", "")


def test_a_carrier_that_is_down_never_blocks_checkout_the_zone_table_prices_and_says_so(app, empty_client, shelf):
    carrier = use_carrier(app)
    carrier.down = True

    placed = empty_client.post(
        "/api/v1/orders", json=body((shelf["mien"].id, 2), payment_method="vietqr", shipping_address=SAIGON)
    )

    assert placed.status_code == 201, placed.get_json()
    (parcel,) = placed.get_json()["parcels"]
    assert (parcel["fee_vnd"], parcel["fee_source"], parcel["carrier"]) == (45_000, "zone", "fakeship")
    row = db.session.scalar(select(Parcel))
    assert (row.fee_source, row.fee_vnd, row.zone, row.status) == ("zone", 45_000, "other_region", "pending")
    assert [(event.status, event.source) for event in db.session.scalars(select(ParcelEvent))] == [("pending", "shop")]


def test_a_carrier_too_slow_to_answer_is_not_waited_for(app, empty_client, shelf):
    carrier = use_carrier(app, timeout=0.2)
    carrier.delay = 1.5

    answer = _quote(empty_client, (shelf["mien"], 2), address=HANOI)

    assert answer.status_code == 200
    (parcel,) = answer.get_json()["parcels"]
    assert (parcel["fee_vnd"], parcel["fee_source"]) == (35_000, "zone")


def test_the_carriers_fee_is_remembered_by_origin_destination_and_weight_band(app, empty_client, shelf):
    carrier = use_carrier(app)

    _quote(empty_client, (shelf["mien"], 1))
    _quote(empty_client, (shelf["tuoi"], 1))  # same producer, same ward, same 500 g band
    assert len(carrier.calls) == 1
    _quote(empty_client, (shelf["mien"], 2))  # the 1 kg band
    _quote(empty_client, (shelf["mien"], 1), address=HANOI)  # another ward
    assert len(carrier.calls) == 3


def test_an_unknown_ward_is_a_422_naming_the_field(empty_client, shelf):
    answer = _quote(empty_client, (shelf["mien"], 1), address={**ADDRESS, "ward": "Phường Không Có"})

    assert answer.status_code == 422
    assert "ward" in answer.get_json()["errors"]["shipping_address"]
    placed = empty_client.post(
        "/api/v1/orders", json=body((shelf["mien"].id, 1), shipping_address={**ADDRESS, "ward": "Xã Ma"})
    )
    assert placed.status_code == 422 and "ward" in placed.get_json()["errors"]["shipping_address"]


def test_a_parcel_over_the_carriers_limit_is_refused_naming_the_product_before_anything_is_reserved(
    app, empty_client, shelf
):
    use_carrier(app)  # takes parcels up to 5 kg

    request = body((shelf["men_la"].id, 1), (shelf["mien"].id, 11), payment_method="vietqr")  # the HTX: 5.5 kg
    answer = empty_client.post("/api/v1/orders", json=request)

    assert answer.status_code == 422
    error = answer.get_json()
    assert "Miến dong Bình Liêu" in error["message"] and "5000 g" in error["message"]
    assert "quantity" in error["errors"]["lines"]["1"]
    assert stock_of(shelf["mien"]) == 200 and db.session.scalar(select(func.count()).select_from(Order)) == 0
    assert _quote(empty_client, (shelf["mien"], 11)).status_code == 422


def test_a_product_without_a_weight_is_refused_naming_it_never_guessed(app, empty_client, shelf):
    shelf["tuoi"].net_weight_g = None
    db.session.commit()

    answer = empty_client.post(
        "/api/v1/orders", json=body((shelf["mien"].id, 1), (shelf["tuoi"].id, 2), payment_method="vietqr")
    )

    assert answer.status_code == 422
    error = answer.get_json()
    assert "Khoai môn tươi" in error["message"] and "weight" in error["message"] and "office" in error["message"]
    assert "product_id" in error["errors"]["lines"]["1"]
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0 and stock_of(shelf["mien"]) == 200
    assert _quote(empty_client, (shelf["tuoi"], 1)).status_code == 422


def test_a_producer_reading_an_order_sees_only_its_own_parcel(app, empty_client):
    world = cast()
    placed = empty_client.post(
        "/api/v1/orders", json=body((world["product"].id, 1), (world["other_product"].id, 1))
    ).get_json()
    assert len(placed["parcels"]) == 2

    read = empty_client.get(
        f"/api/v1/orders/{placed['code']}", headers={"Authorization": f"Bearer {world['tokens']['owner']}"}
    )

    assert [p["producer"]["id"] for p in read.get_json()["parcels"]] == [world["owner_producer"].id]


def _pickup_form(client, path, ward="Phường Bãi Cháy"):
    token = csrf_token(client, path)
    return client.post(path, data={"csrf_token": token, "province": "Quảng Ninh", "ward": ward,
                                   "address": "Số 5 đường Hạ Long", "phone": "0912345678"})  # fmt: skip


def test_a_producer_edits_only_its_own_pickup_address_and_the_office_edits_anyones(app):
    world = cast()
    owner, other = world["owner_producer"], world["other_producer"]

    as_owner = portal_client(app, world, "owner")
    assert _pickup_form(as_owner, "/portal/pickup").status_code == 303
    db.session.expire_all()
    assert (owner.pickup_ward, owner.pickup_ward_code, owner.pickup_province_code) == ("Phường Bãi Cháy", "6673", "22")
    assert _pickup_form(as_owner, "/portal/pickup", ward="Phường Không Có").status_code == 422
    # The office's page for another producer is not the producer's.
    assert as_owner.get(f"/portal/admin/producers/{other.id}/pickup").status_code == 403
    assert as_owner.post(f"/portal/admin/producers/{other.id}/pickup", data={"ward": "Xã Ba Chẽ"}).status_code in (
        400,
        403,
    )
    assert as_owner.get("/portal/admin/shipping-rates").status_code == 403
    db.session.expire_all()
    assert other.pickup_ward == ""

    as_admin = portal_client(app, world, "admin")
    assert (
        _pickup_form(as_admin, f"/portal/admin/producers/{other.id}/pickup", ward="Đặc khu Vân Đồn").status_code == 303
    )
    db.session.expire_all()
    assert other.pickup_ward == "Đặc khu Vân Đồn"
    assert portal_client(app, world, "anonymous").get("/portal/pickup").status_code == 302


def test_the_office_edits_the_zone_table_and_the_next_quote_uses_it(app, empty_client, shelf):
    from catalogue.accounts import services as accounts
    from catalogue.delivery.models import ShippingRate

    accounts.create_user("office@example.com", "mật khẩu đủ dài 123", "admin")
    enrol_two_factor("office@example.com")  # an office account signs in with its second factor
    client = app.test_client()
    assert sign_in(client, "office@example.com", "mật khẩu đủ dài 123").status_code == 303
    rate = db.session.scalar(
        select(ShippingRate).where(ShippingRate.zone == "same_province", ShippingRate.max_weight_g == 1000)
    )
    form = {f"fee-{row.id}": row.fee_vnd for row in db.session.scalars(select(ShippingRate))}
    form |= {f"extra-{row.id}": row.extra_per_kg_vnd for row in db.session.scalars(select(ShippingRate))}

    refused = client.post(
        "/portal/admin/shipping-rates",
        data={**form, f"fee-{rate.id}": "-5", "csrf_token": csrf_token(client, "/portal/admin/shipping-rates")},
    )
    assert refused.status_code == 422
    saved = client.post(
        "/portal/admin/shipping-rates",
        data={**form, f"fee-{rate.id}": "27000", "csrf_token": csrf_token(client, "/portal/admin/shipping-rates")},
    )
    assert saved.status_code == 303

    assert _quote(empty_client, (shelf["mien"], 2)).get_json()["shipping_fee_vnd"] == 27_000
