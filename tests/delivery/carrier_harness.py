"""Each carrier the contract suite (tests/delivery/test_carrier_contract.py) runs against: its adapter, its fake,
and how the fake is made to say a status or send a callback. A third carrier is one more entry in CASES."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from catalogue.carriers.ghn import GHN
from catalogue.carriers.port import (
    BOOKED,
    CANCELLED,
    DELIVERED,
    FAILED,
    IN_TRANSIT,
    PICKED_UP,
    RETURNED,
    RETURNING,
    InboundCall,
)
from catalogue.carriers.viettelpost import ViettelPost
from tests.delivery.fakes_ghn import GHN_TEST, FakeGHN
from tests.delivery.fakes_viettelpost import VIETTELPOST_TEST, FakeViettelPost

WEBHOOK_TOKEN = "shop-webhook-secret-7d1e"
# Short timeouts and backoff so faults are quick to test; the fakes answer "late" after 1 s.
TEST_TIMEOUT = (1.0, 0.4)


@dataclass(frozen=True)
class CarrierCase:
    name: str
    make_fake: Callable[[], object]
    make_adapter: Callable[..., object]  # (fake, **overrides) → adapter
    # The carrier's own status for each shop status (what the fake is told to say).
    native: dict[str, object]
    picked_up: object  # a status after which the parcel can no longer be cancelled
    callback: Callable[[object, str, str], InboundCall]  # (fake, tracking code, token it carries)
    master_data_paths: tuple[str, ...]

    def __str__(self) -> str:
        return self.name


def _ghn(fake: FakeGHN, **overrides) -> GHN:
    options = {"timeout": TEST_TIMEOUT, "backoff": 0.01, **overrides}
    token = options.pop("token", GHN_TEST["token"])
    return GHN(token, options.pop("shop_id", GHN_TEST["shop_id"]), fake.url + "/shiip/public-api", **options)


def _ghn_callback(fake: FakeGHN, code: str, token: str) -> InboundCall:
    body = json.dumps(fake.callback_body(code)).encode()
    return InboundCall(args={"token": token} if token else {}, headers={"Content-Type": "application/json"}, body=body)


def _viettelpost(fake: FakeViettelPost, **overrides) -> ViettelPost:
    options = {"timeout": TEST_TIMEOUT, "backoff": 0.01, **overrides}
    username = options.pop("username", VIETTELPOST_TEST["username"])
    password = options.pop("password", VIETTELPOST_TEST["password"])
    return ViettelPost(username, password, fake.url + "/v2", **options)


def _viettelpost_callback(fake: FakeViettelPost, code: str, token: str) -> InboundCall:
    body = json.dumps(fake.callback_body(code, token)).encode()
    return InboundCall(args={}, headers={"Content-Type": "application/json"}, body=body)


CASES = (
    CarrierCase(
        name="ghn",
        make_fake=FakeGHN,
        make_adapter=_ghn,
        native={
            BOOKED: "ready_to_pick",
            PICKED_UP: "picked",
            IN_TRANSIT: "transporting",
            DELIVERED: "delivered",
            FAILED: "delivery_fail",
            RETURNING: "return",
            RETURNED: "returned",
            CANCELLED: "cancel",
        },  # fmt: skip
        picked_up="picked",
        callback=_ghn_callback,
        master_data_paths=("/shiip/public-api/master-data/province",),
    ),
    CarrierCase(
        name="viettelpost",
        make_fake=FakeViettelPost,
        make_adapter=_viettelpost,
        native={
            BOOKED: 100,
            PICKED_UP: 105,
            IN_TRANSIT: 300,
            DELIVERED: 501,
            FAILED: 506,
            RETURNING: 502,
            RETURNED: 504,
            CANCELLED: 107,
        },  # fmt: skip
        picked_up=105,
        callback=_viettelpost_callback,
        master_data_paths=("/v2/categories/listProvinceById",),
    ),
)
