"""GHN's own ways: post-2025 wards mapped to its old districts, Token/ShopId, heavy goods, duplicates read
back by client code, its callback's ?token=, its settings (contract §8)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from catalogue.carriers import registry
from catalogue.carriers.ghn import GHN, STATUSES, from_config, shop_status
from catalogue.carriers.legacy_places import legacy_places, name_key
from catalogue.carriers.port import IN_TRANSIT, PARCEL_STATUSES, CarrierRefused, Contact, InboundCall, ParcelSpec
from catalogue.config import ConfigError, load_config
from catalogue.geography.addresses import resolve_place
from tests.delivery.carrier_harness import CASES, WEBHOOK_TOKEN
from tests.delivery.fakes_ghn import GHN_TEST, FakeGHN
from tests.delivery.test_carrier_contract import HA_LONG, HANOI, booking

GHN_CASE = next(case for case in CASES if case.name == "ghn")

# Post-2025 Quảng Ninh wards → the old district and ward GHN still keys them by.
QUANG_NINH = [
    ("Bãi Cháy", "Thành phố Hạ Long", "Phường Bãi Cháy"),
    ("Hồng Gai", "Thành phố Hạ Long", "Phường Hồng Gai"),
    ("Cô Tô", "Huyện Cô Tô", "Thị trấn Cô Tô"),
    ("Vân Đồn", "Huyện Vân Đồn", "Thị trấn Cái Rồng"),
    ("Quảng Hà", "Huyện Hải Hà", "Thị trấn Quảng Hà"),
    ("Tiên Yên", "Huyện Tiên Yên", "Thị trấn Tiên Yên"),
]


@pytest.fixture
def fake():
    with FakeGHN() as server:
        yield server


@pytest.fixture
def ghn(fake):
    return GHN_CASE.make_adapter(fake)


@pytest.mark.parametrize("ward, district, old_ward", QUANG_NINH)
def test_quang_ninh_wards_map_to_the_old_district_and_ward(ward, district, old_ward):
    old = legacy_places(resolve_place("Quảng Ninh", ward))[0]
    assert (old.province, old.district, old.ward) == ("Tỉnh Quảng Ninh", district, old_ward)


def test_a_merged_ward_lists_every_old_ward_it_was_made_from():
    old = legacy_places(resolve_place("Quảng Ninh", "Hồng Gai"))
    assert {place.ward for place in old} == {"Phường Hồng Gai", "Phường Trần Hưng Đạo", "Phường Bạch Đằng"}


@pytest.mark.parametrize("ward, district, old_ward", QUANG_NINH)
def test_ghn_ids_come_from_its_master_data(fake, ghn, ward, district, old_ward):
    district_id, ward_code, _ = ghn.ghn_place(resolve_place("Quảng Ninh", ward))
    assert (district_id, ward_code) == fake.place_of("Tỉnh Quảng Ninh", district, old_ward)


def test_name_keys_ignore_kind_case_accents_and_leading_zeros():
    assert name_key("Phường Bãi Cháy") == name_key("BÃI CHÁY") == name_key("bai chay")
    assert name_key("Thành phố Hạ Long") == name_key("Hạ Long")
    assert name_key("Phường 01") == name_key("Phường 1")


def test_every_call_carries_token_and_the_shops_calls_shop_id(fake):
    wrong_shop = GHN_CASE.make_adapter(fake, shop_id="999")
    with pytest.raises(CarrierRefused):
        wrong_shop.quote(HA_LONG, HANOI, ParcelSpec(weight_g=1000))


def test_heavy_goods_are_priced_as_ghns_heavy_service(ghn):
    assert ghn.quote(HA_LONG, HANOI, ParcelSpec(weight_g=1000)).service == "2"
    assert ghn.quote(HA_LONG, HANOI, ParcelSpec(weight_g=25_000)).service == "5"
    assert ghn.quote(HA_LONG, HANOI, ParcelSpec(weight_g=1000), service="5").service == "5"
    assert {row["service_type_id"] for row in ghn.services(HA_LONG, HANOI)} == {2, 5}


def test_a_duplicate_client_order_code_is_read_back(fake, ghn):
    first = ghn.book(booking())
    again = ghn.book(booking())
    assert again == first
    assert "/shiip/public-api/v2/shipping-order/detail-by-client-code" in fake.calls
    assert fake.orders[first.tracking_code]["body"]["client_order_code"] == "OCOP-1042-P7"


def test_a_refusal_that_is_not_a_duplicate_stays_a_refusal(fake, ghn):
    with pytest.raises(CarrierRefused):
        ghn.book(replace(booking(), recipient=Contact("", "", "", HANOI)))  # GHN refuses a create without them
    assert fake.creates_made == 0


def test_the_callback_is_read_from_ghns_own_body(fake, ghn):
    made = ghn.book(booking())
    fake.set_status(made.tracking_code, "delivering")
    body = fake.callback_body(made.tracking_code)
    assert {"OrderCode", "Status", "Time", "Type", "ClientOrderCode"} <= set(body)
    call = InboundCall(args={"token": WEBHOOK_TOKEN}, headers={}, body=json.dumps(body).encode())
    callback = ghn.read_callback(call, WEBHOOK_TOKEN)
    assert (callback.tracking_code, callback.carrier_status) == (made.tracking_code, "delivering")
    with pytest.raises(CarrierRefused):
        ghn.read_callback(InboundCall(args={"token": WEBHOOK_TOKEN}, headers={}, body=b"not json"), WEBHOOK_TOKEN)


def test_every_ghn_status_in_the_brief_has_a_shop_status():
    named = [
        "ready_to_pick", "picking", "picked", "storing", "transporting", "delivering", "delivered", "delivery_fail",
        "waiting_to_return", "return", "returned", "cancel", "lost", "damage",
    ]  # fmt: skip
    assert all(STATUSES[status] in PARCEL_STATUSES for status in named)
    assert shop_status("something_new") == IN_TRANSIT


def test_settings_turn_ghn_on_only_when_complete(monkeypatch):
    assert from_config({}) is None
    assert from_config({"GHN_TOKEN": "t", "GHN_SHOP_ID": "1"}) is None
    settings = {"GHN_TOKEN": "t", "GHN_SHOP_ID": "1", "GHN_WEBHOOK_TOKEN": "w", "GHN_API_BASE": "http://127.0.0.1:9/x"}
    carrier = from_config(settings)
    assert isinstance(carrier, GHN) and carrier.api.base == "http://127.0.0.1:9/x"
    assert registry.carriers_from_config(settings).default.name == "ghn"
    with pytest.raises(registry.CarrierSettingsError, match="GHN_WEBHOOK_TOKEN"):
        registry.carriers_from_config({"GHN_TOKEN": "t", "GHN_SHOP_ID": "1"})
    monkeypatch.setenv("GHN_TOKEN", "t")
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    with pytest.raises(ConfigError, match="GHN_SHOP_ID, GHN_WEBHOOK_TOKEN must be set"):
        load_config("/tmp", {"CATALOGUE_ENV": "production"})
    assert load_config("/tmp", {"CATALOGUE_ENV": "testing"})["GHN_TOKEN"] == "t"


def test_ghn_defaults_to_its_production_host():
    carrier = from_config({"GHN_TOKEN": GHN_TEST["token"], "GHN_SHOP_ID": "1", "GHN_WEBHOOK_TOKEN": "w"})
    assert carrier.api.base == "https://online-gateway.ghn.vn/shiip/public-api"
    assert carrier.print_base == "https://online-gateway.ghn.vn"
