"""Viettel Post's own ways: its login token kept and renewed, its categories for post-2025 wards, its
webhook's DATA and TOKEN, its numeric status codes, its settings (contract §8)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from catalogue.carriers import registry
from catalogue.carriers.port import (
    BOOKED,
    CANCELLED,
    DELIVERED,
    FAILED,
    IN_TRANSIT,
    PICKED_UP,
    RETURNED,
    RETURNING,
    ForgedCallback,
    InboundCall,
    ParcelSpec,
)
from catalogue.carriers.viettelpost import ViettelPost, from_config, shop_status
from catalogue.config import ConfigError, load_config
from catalogue.geography.addresses import resolve_place
from tests.delivery.carrier_harness import CASES, WEBHOOK_TOKEN
from tests.delivery.fakes_viettelpost import FakeViettelPost
from tests.delivery.test_carrier_contract import HA_LONG, HANOI, booking

VTP_CASE = next(case for case in CASES if case.name == "viettelpost")


@pytest.fixture
def fake():
    with FakeViettelPost() as server:
        yield server


@pytest.fixture
def vtp(fake):
    return VTP_CASE.make_adapter(fake)


def test_one_login_serves_many_calls(fake, vtp):
    vtp.quote(HA_LONG, HANOI, ParcelSpec(weight_g=1000))
    vtp.book(booking())
    assert fake.logins == 1 and vtp.logins == 1


def test_a_refused_token_is_renewed_once(fake, vtp):
    vtp.quote(HA_LONG, HANOI, ParcelSpec(weight_g=1000))
    fake.expire_tokens()
    assert vtp.quote(HA_LONG, HANOI, ParcelSpec(weight_g=2000)).fee_vnd > 0
    assert fake.logins == 2


def test_a_token_past_its_expiry_is_renewed_before_use(fake):
    now = [1_000_000.0]
    vtp = VTP_CASE.make_adapter(fake, clock=lambda: now[0])
    vtp.quote(HA_LONG, HANOI, ParcelSpec(weight_g=1000))
    now[0] += 24 * 3600
    vtp.quote(HA_LONG, HANOI, ParcelSpec(weight_g=1000))
    assert fake.logins == 2


def test_quang_ninh_wards_use_viettel_posts_own_ids(fake, vtp):
    province_id, district_id, ward_id = vtp.vtp_place(resolve_place("Quảng Ninh", "Cô Tô"))
    province = next(row for row in fake.provinces if row["PROVINCE_ID"] == province_id)
    district = next(row for row in fake.districts if row["DISTRICT_ID"] == district_id)
    ward = next(row for row in fake.wards if row["WARDS_ID"] == ward_id)
    assert (province["PROVINCE_NAME"], district["DISTRICT_NAME"], ward["WARDS_NAME"]) == (
        "QUẢNG NINH", "HUYỆN CÔ TÔ", "THỊ TRẤN CÔ TÔ",
    )  # fmt: skip


def test_the_reference_is_the_order_number_and_the_bill_code_is_tracked(fake, vtp):
    made = vtp.book(booking())
    order = fake.orders[made.tracking_code]
    assert order["reference"] == "OCOP-1042-P7" and order["body"]["ORDER_PAYMENT"] == 1
    assert made.tracking_code != "OCOP-1042-P7"


def test_quote_gives_days_from_its_kpi_hours(vtp):
    quote = vtp.quote(HA_LONG, HANOI, ParcelSpec(weight_g=1000))
    assert (quote.service, quote.eta_days) == ("VCN", 2)


def test_the_webhook_is_read_from_data_and_checked_by_token(fake, vtp):
    made = vtp.book(booking())
    body = fake.callback_body(made.tracking_code, WEBHOOK_TOKEN, status=501)
    assert set(body) == {"DATA", "TOKEN"}
    assert {"ORDER_NUMBER", "ORDER_REFERENCE", "ORDER_STATUS", "STATUS_NAME", "ORDER_STATUSDATE"} <= set(body["DATA"])
    callback = vtp.read_callback(InboundCall({}, {}, json.dumps(body).encode()), WEBHOOK_TOKEN)
    assert callback.carrier_status.startswith("501 ")
    assert callback.reference == "OCOP-1042-P7"
    assert callback.at.tzinfo.utcoffset(None) == timedelta(hours=7)
    # The token in the URL does not count for Viettel Post: only its TOKEN field.
    body["TOKEN"] = "forged"
    with pytest.raises(ForgedCallback):
        vtp.read_callback(InboundCall({"token": WEBHOOK_TOKEN}, {}, json.dumps(body).encode()), WEBHOOK_TOKEN)
    with pytest.raises(ForgedCallback):
        vtp.read_callback(InboundCall({}, {}, b"garbage"), WEBHOOK_TOKEN)


@pytest.mark.parametrize(
    "code, status",
    [(-100, BOOKED), (100, BOOKED), (104, BOOKED), (105, PICKED_UP), (200, PICKED_UP), (302, IN_TRANSIT),
     (500, IN_TRANSIT), (501, DELIVERED), (506, FAILED), (507, FAILED), (502, RETURNING), (505, RETURNING),
     (504, RETURNED), (107, CANCELLED), (503, CANCELLED), ("501", DELIVERED), (999, IN_TRANSIT)],
)  # fmt: skip
def test_numeric_status_codes(code, status):
    assert shop_status(code) == status


def test_status_dates_are_vietnam_time(fake, vtp):
    made = vtp.book(booking())
    report = vtp.status(made.tracking_code)
    assert report.at.tzinfo == timezone(timedelta(hours=7))
    assert abs(report.at - datetime.now(UTC)) < timedelta(minutes=1)


def test_settings_turn_viettel_post_on_only_when_complete(monkeypatch):
    settings = {"VIETTELPOST_USERNAME": "u", "VIETTELPOST_PASSWORD": "p", "VIETTELPOST_WEBHOOK_TOKEN": "w"}
    carrier = from_config(settings)
    assert isinstance(carrier, ViettelPost) and carrier.api.base == "https://partner.viettelpost.vn/v2"
    assert carrier.print_base == "https://digitalize.viettelpost.vn"
    assert from_config({**settings, "VIETTELPOST_WEBHOOK_TOKEN": ""}) is None
    both = {**settings, "GHN_TOKEN": "t", "GHN_SHOP_ID": "1", "GHN_WEBHOOK_TOKEN": "w"}
    assert [c.name for c in registry.carriers_from_config(both).on] == ["ghn", "viettelpost"]
    chosen = registry.carriers_from_config({**both, "CARRIER_DEFAULT": "viettelpost"})
    assert chosen.default.name == "viettelpost"
    monkeypatch.setenv("VIETTELPOST_USERNAME", "u")
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    with pytest.raises(ConfigError, match="VIETTELPOST_PASSWORD, VIETTELPOST_WEBHOOK_TOKEN must be set"):
        load_config("/tmp", {"CATALOGUE_ENV": "production"})
