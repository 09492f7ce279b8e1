"""Every carrier keeps the port's promises, against a fake that speaks its own API (tests/delivery/carrier_harness.py).

Quote, book twice under one reference (one carrier order), cancel, a PDF label, statuses read back
and mapped, callbacks genuine and forged, retries on 429/5xx, a timeout, a parcel over the limits.
"""

from __future__ import annotations

import io
import time
from dataclasses import replace

import pytest
from pypdf import PdfReader

from catalogue.carriers import registry
from catalogue.carriers.port import (
    BOOKED,
    CANCELLED,
    PARCEL_STATUSES,
    PENDING,
    BookingRequest,
    CarrierRefused,
    CarrierUnavailable,
    Contact,
    ForgedCallback,
    Limits,
    ParcelSpec,
)
from catalogue.config import CARRIER_SETTING_GROUPS
from catalogue.geography.addresses import resolve_place
from tests.delivery.carrier_harness import CASES, WEBHOOK_TOKEN

HA_LONG = resolve_place("Quảng Ninh", "Bãi Cháy")
CAM_PHA = resolve_place("Quảng Ninh", "Cẩm Phả")
HANOI = resolve_place("Hà Nội", "Hoàn Kiếm")
SAIGON = resolve_place("Hồ Chí Minh", "Sài Gòn")


@pytest.fixture
def carrier(case, fake):
    return case.make_adapter(fake)


def booking(reference: str = "OCOP-1042-P7", weight_g: int = 1500) -> BookingRequest:
    return BookingRequest(
        reference=reference,
        sender=Contact("HTX Chả mực Hạ Long", "0912345678", "12 đường Hạ Long", HA_LONG),
        recipient=Contact("Nguyễn Thị An", "0987654321", "5 Hàng Bạc", HANOI),
        parcel=ParcelSpec(weight_g=weight_g, value_vnd=450_000, contents="Chả mực Hạ Long 1 kg"),
        note="Gọi trước khi giao",
    )


def test_every_known_carrier_is_in_the_contract_suite_and_the_settings():
    assert {case.name for case in CASES} == set(registry.NAMES)
    assert {known.required for known in registry.KNOWN} == set(CARRIER_SETTING_GROUPS.values())


def test_quote_grows_with_distance_and_weight(carrier):
    near = carrier.quote(HA_LONG, CAM_PHA, ParcelSpec(weight_g=1000))
    far = carrier.quote(HA_LONG, SAIGON, ParcelSpec(weight_g=1000))
    heavy = carrier.quote(HA_LONG, SAIGON, ParcelSpec(weight_g=6000))
    assert 0 < near.fee_vnd < far.fee_vnd < heavy.fee_vnd
    assert all(isinstance(quote.fee_vnd, int) and quote.service for quote in (near, far, heavy))


def test_master_data_is_fetched_once(case, fake, carrier):
    carrier.quote(HA_LONG, HANOI, ParcelSpec(weight_g=1000))
    carrier.quote(HA_LONG, HANOI, ParcelSpec(weight_g=2000))
    carrier.quote(CAM_PHA, HANOI, ParcelSpec(weight_g=2000))
    assert sum(fake.calls.count(path) for path in case.master_data_paths) == 1


def test_booking_twice_under_one_reference_makes_one_carrier_order(fake, carrier):
    first = carrier.book(booking())
    again = carrier.book(booking())
    assert again.tracking_code == first.tracking_code
    assert fake.creates_made == 1
    assert first.fee_vnd > 0 and first.expected_delivery is not None
    other = carrier.book(booking("OCOP-1042-P8"))
    assert other.tracking_code != first.tracking_code and fake.creates_made == 2
    assert carrier.tracking_url(first.tracking_code).startswith("https://")
    assert first.tracking_code in carrier.tracking_url(first.tracking_code)


def test_a_create_answered_too_late_is_not_made_twice_on_retry(fake, carrier):
    fake.hang_next, fake.hang_seconds = 1, 0.8
    made = carrier.book(booking())
    assert fake.creates_made == 1
    assert carrier.status(made.tracking_code).status == BOOKED


def test_cancel_before_pick_up_only(case, fake, carrier):
    made = carrier.book(booking())
    carrier.cancel(made.tracking_code)
    assert carrier.status(made.tracking_code).status == CANCELLED
    picked = carrier.book(booking("OCOP-1042-P9"))
    fake.set_status(picked.tracking_code, case.picked_up)
    with pytest.raises(CarrierRefused) as refused:
        carrier.cancel(picked.tracking_code)
    assert refused.value.message_vi


@pytest.mark.parametrize("size, points", [("A6", (298, 420)), ("A5", (420, 595))])
def test_the_label_is_a_pdf_naming_each_parcel(carrier, size, points):
    codes = [carrier.book(booking(f"OCOP-2001-P{n}")).tracking_code for n in (1, 2)]
    pdf = carrier.label_pdf(codes, size=size)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    for page, code in zip(reader.pages, codes, strict=True):
        assert code in page.extract_text()
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == points
    with pytest.raises(ValueError):
        carrier.label_pdf(codes, size="A4")


def test_statuses_read_back_map_onto_the_shops(case, fake, carrier):
    made = carrier.book(booking())
    assert set(case.native) == set(PARCEL_STATUSES) - {PENDING}
    for shop_status, native in case.native.items():
        fake.set_status(made.tracking_code, native)
        report = carrier.status(made.tracking_code)
        assert (report.status, report.tracking_code) == (shop_status, made.tracking_code)
        assert str(native) in report.carrier_status


def test_a_genuine_callback_is_read(case, fake, carrier):
    made = carrier.book(booking())
    fake.set_status(made.tracking_code, case.native["delivered"])
    callback = carrier.read_callback(case.callback(fake, made.tracking_code, WEBHOOK_TOKEN), WEBHOOK_TOKEN)
    assert callback.tracking_code == made.tracking_code
    assert callback.reference == "OCOP-1042-P7"
    assert str(case.native["delivered"]) in callback.carrier_status
    assert callback.at is not None and callback.raw


@pytest.mark.parametrize("sent, configured", [("wrong-secret", WEBHOOK_TOKEN), ("", WEBHOOK_TOKEN), ("", "")])
def test_a_forged_callback_is_refused(case, fake, carrier, sent, configured):
    made = carrier.book(booking())
    with pytest.raises(ForgedCallback):
        carrier.read_callback(case.callback(fake, made.tracking_code, sent), configured)


def test_429_and_5xx_are_retried_with_backoff(fake, carrier):
    fake.busy_next = 1
    fake.fail_next = 1
    before = fake.api_calls
    assert carrier.quote(HA_LONG, HANOI, ParcelSpec(weight_g=1000)).fee_vnd > 0
    assert fake.api_calls - before >= 3  # the 503, the 429, then the answer (and master data)


def test_a_carrier_down_is_unavailable_in_vietnamese(fake, carrier):
    fake.fail_next = 10
    with pytest.raises(CarrierUnavailable) as down:
        carrier.quote(HA_LONG, HANOI, ParcelSpec(weight_g=1000))
    assert "thử lại" in down.value.message_vi


def test_a_carrier_too_slow_is_unavailable(fake, carrier):
    fake.hang_next, fake.hang_seconds = 10, 1.0
    started = time.monotonic()
    with pytest.raises(CarrierUnavailable):
        carrier.quote(HA_LONG, HANOI, ParcelSpec(weight_g=1000))
    assert time.monotonic() - started < 3  # three attempts of 0.4 s, not three of the fake's second


def test_a_parcel_over_the_limits_is_refused_before_any_call(fake, carrier):
    limits = carrier.limits
    before = fake.api_calls
    with pytest.raises(CarrierRefused) as heavy:
        carrier.quote(HA_LONG, HANOI, ParcelSpec(weight_g=limits.max_weight_g + 1))
    assert f"{limits.max_weight_g // 1000} kg" in heavy.value.message_vi
    with pytest.raises(CarrierRefused) as long:
        carrier.book(replace(booking(), parcel=ParcelSpec(1000, length_cm=limits.max_side_cm + 1)))
    assert f"{limits.max_side_cm} cm" in long.value.message_vi
    assert fake.api_calls == before


def test_the_fake_itself_refuses_what_is_over_its_limits(case, fake):
    # An adapter that forgot its limits still meets the carrier's refusal, as a CarrierRefused.
    carrier = case.make_adapter(fake)
    carrier.limits = Limits(max_weight_g=10**6, max_side_cm=10**4)  # this instance claims more than its class
    with pytest.raises(CarrierRefused):
        carrier.quote(HA_LONG, HANOI, ParcelSpec(weight_g=60_000))


def test_a_ward_the_carrier_does_not_serve_is_refused(carrier):
    island = resolve_place("Hải Phòng", "Bạch Long Vĩ")  # an island district without wards before 2025
    with pytest.raises(CarrierRefused) as refused:
        carrier.quote(HA_LONG, island, ParcelSpec(weight_g=1000))
    assert "Bạch Long Vĩ" in refused.value.message_vi


def test_wrong_credentials_are_refused_not_retried(case, fake):
    field = "token" if case.name == "ghn" else "password"
    carrier = case.make_adapter(fake, **{field: "not-the-secret"})
    with pytest.raises(CarrierRefused) as refused:
        carrier.quote(HA_LONG, HANOI, ParcelSpec(weight_g=1000))
    assert "người vận hành" in refused.value.message_vi
