"""GHN (Giao Hàng Nhanh) behind the carrier port, by its public API (`shiip/public-api`).

Every call carries the shop's `Token` (and `ShopId` where GHN asks for it). GHN still keys
places by its own ids for the old districts and wards: a post-2025 ward is mapped to the old
ward(s) it was made from (catalogue.carriers.legacy_places), then to GHN's `DistrictID` and
`WardCode` by name through GHN's master data (`/master-data/province|district|ward`), cached
a day per adapter.

Booking is idempotent on `client_order_code` = the shop's reference: GHN refuses a second
order with a code it has seen, and the adapter then reads the first one back
(`detail-by-client-code`). So a create may be sent again after a timeout or a 5xx.
Callbacks are unsigned: they carry our secret in `?token=`, and are only a hint to read the
order back with `detail`.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

import requests

from catalogue.carriers.http import CarrierAPI, TTLCache
from catalogue.carriers.legacy_places import LegacyPlace, legacy_places, name_key
from catalogue.carriers.port import (
    BOOKED,
    CANCELLED,
    DELIVERED,
    FAILED,
    IN_TRANSIT,
    PICKED_UP,
    RETURNED,
    RETURNING,
    Booking,
    BookingRequest,
    Callback,
    CarrierLabels,
    CarrierRefused,
    ForgedCallback,
    InboundCall,
    Limits,
    ParcelSpec,
    Quote,
    StatusReport,
)
from catalogue.geography.addresses import Place

log = logging.getLogger(__name__)

NAME = "ghn"
PRODUCTION_API_BASE = "https://online-gateway.ghn.vn/shiip/public-api"
SANDBOX_API_BASE = "https://dev-online-gateway.ghn.vn/shiip/public-api"
REQUIRED_SETTINGS = ("GHN_TOKEN", "GHN_SHOP_ID", "GHN_WEBHOOK_TOKEN")
LIGHT, HEAVY = 2, 5  # service_type_id: hàng nhẹ / hàng nặng
HEAVY_FROM_G = 20_000  # GHN prices parcels from 20 kg as heavy goods
PRINT_PATHS = {"A5": "/a5/public-api/printA5", "A6": "/a5/public-api/print80x80"}
_VIETNAM = timezone(timedelta(hours=7))

# GHN's order statuses (its detail answer and callbacks) → the shop's parcel statuses.
STATUSES = {
    "ready_to_pick": BOOKED,
    "picking": BOOKED,
    "money_collect_picking": BOOKED,
    "picked": PICKED_UP,
    "storing": IN_TRANSIT,
    "transporting": IN_TRANSIT,
    "sorting": IN_TRANSIT,
    "delivering": IN_TRANSIT,
    "money_collect_delivering": IN_TRANSIT,
    "delivered": DELIVERED,
    "delivery_fail": FAILED,
    "waiting_to_return": FAILED,  # failed, held: GHN may still deliver it again
    "exception": FAILED,
    "lost": FAILED,
    "damage": FAILED,
    "return": RETURNING,
    "return_transporting": RETURNING,
    "return_sorting": RETURNING,
    "returning": RETURNING,
    "return_fail": RETURNING,
    "returned": RETURNED,
    "cancel": CANCELLED,
}


def _when(value: object) -> datetime | None:
    """GHN's times: ISO 8601 ("2024-05-30T16:59:59Z", sometimes without a zone: Vietnam time)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=_VIETNAM)


def shop_status(carrier_status: str) -> str:
    """The shop's status for a GHN status; an unknown one (GHN adds some) reads as in transit, logged."""
    status = STATUSES.get(carrier_status)
    if status is None:
        log.warning("GHN status %r is not in the table; read as in transit", carrier_status)
        return IN_TRANSIT
    return status


class GHN:
    """One GHN shop (Token + ShopId) at one API base."""

    name = NAME
    labels = CarrierLabels(brand="GHN", vi="Giao Hàng Nhanh (GHN)")
    limits = Limits(max_weight_g=50_000, max_side_cm=200)

    def __init__(
        self,
        token: str,
        shop_id: str,
        api_base: str = PRODUCTION_API_BASE,
        *,
        session: requests.Session | None = None,
        timeout: float | tuple[float, float] | None = None,
        attempts: int = 3,
        backoff: float = 0.2,
        master_data_seconds: float = 24 * 3600,
    ) -> None:
        self._token, self.shop_id = token, str(shop_id)
        kwargs = {"timeout": timeout} if timeout is not None else {}
        self.api = CarrierAPI("GHN", api_base, session=session, attempts=attempts, backoff=backoff, **kwargs)
        self.print_base = self.api.base.removesuffix("/shiip/public-api")
        self._master = TTLCache(master_data_seconds)

    # --- plumbing ------------------------------------------------------------------------------

    def _headers(self, shop: bool = True) -> dict[str, str]:
        headers = {"Token": self._token, "Content-Type": "application/json"}
        if shop:
            headers["ShopId"] = self.shop_id
        return headers

    def _data(self, method: str, path: str, *, shop: bool = True, **kwargs: Any) -> Any:
        """GHN's `data` of `{"code": 200, "message", "data"}`; CarrierRefused with its message otherwise."""
        response = self.api.call(method, path, headers=self._headers(shop), **kwargs)
        answer = self.api.json_of(response)
        if response.status_code == 200 and isinstance(answer, dict) and answer.get("code") == 200:
            return answer.get("data")
        message = str(answer.get("message") or answer.get("code_message") or "") if isinstance(answer, dict) else ""
        if response.status_code in (401, 403):
            raise CarrierRefused(
                f"GHN refused the shop's Token/ShopId: {message}",
                "GHN từ chối thông tin kết nối của cửa hàng (Token/ShopId). Vui lòng báo người vận hành kiểm tra.",
            )
        raise CarrierRefused(f"GHN refused {path}: {message or response.status_code}", f"GHN từ chối: {message}")

    def _check_limits(self, parcel: ParcelSpec) -> None:
        if parcel.weight_g > self.limits.max_weight_g:
            raise CarrierRefused(
                f"{parcel.weight_g} g is over GHN's {self.limits.max_weight_g} g",
                f"Kiện hàng nặng {parcel.weight_g / 1000:g} kg, quá giới hạn {self.limits.max_weight_g // 1000} kg "
                "của GHN. Hãy chia thành nhiều kiện.",
            )
        longest = max(parcel.length_cm, parcel.width_cm, parcel.height_cm)
        if longest > self.limits.max_side_cm:
            raise CarrierRefused(
                f"a {longest} cm side is over GHN's {self.limits.max_side_cm} cm",
                f"Kiện hàng có cạnh dài {longest} cm, quá giới hạn {self.limits.max_side_cm} cm của GHN.",
            )

    # --- places --------------------------------------------------------------------------------

    def _provinces(self) -> dict[str, int]:
        def load() -> dict[str, int]:
            index: dict[str, int] = {}
            for row in self._data("GET", "/master-data/province", shop=False) or []:
                for name in [row.get("ProvinceName", ""), *(row.get("NameExtension") or [])]:
                    index.setdefault(name_key(name), int(row["ProvinceID"]))
            return index

        return self._master.get("provinces", load)

    def _districts(self, province_id: int) -> dict[str, int]:
        def load() -> dict[str, int]:
            index: dict[str, int] = {}
            rows = self._data("GET", "/master-data/district", shop=False, params={"province_id": province_id})
            for row in rows or []:
                for name in [row.get("DistrictName", ""), *(row.get("NameExtension") or [])]:
                    index.setdefault(name_key(name), int(row["DistrictID"]))
            return index

        return self._master.get(("districts", province_id), load)

    def _wards(self, district_id: int) -> dict[str, str]:
        def load() -> dict[str, str]:
            index: dict[str, str] = {}
            rows = self._data("GET", "/master-data/ward", shop=False, params={"district_id": district_id})
            for row in rows or []:
                for name in [row.get("WardName", ""), *(row.get("NameExtension") or [])]:
                    index.setdefault(name_key(name), str(row["WardCode"]))
            return index

        return self._master.get(("wards", district_id), load)

    def ghn_place(self, place: Place) -> tuple[int, str, LegacyPlace]:
        """GHN's (DistrictID, WardCode) for a post-2025 ward, and the old ward it went by."""
        for old in legacy_places(place):
            province_id = self._provinces().get(name_key(old.province))
            district_id = self._districts(province_id).get(name_key(old.district)) if province_id else None
            ward_code = self._wards(district_id).get(name_key(old.ward)) if district_id else None
            if ward_code:
                return district_id, ward_code, old
        raise CarrierRefused(
            f"GHN's master data has no ward for {place.ward}, {place.province}",
            f"GHN chưa nhận địa chỉ {place.ward}, {place.province}. Hãy chọn đơn vị vận chuyển khác hoặc gửi thủ công.",
        )

    # --- the port ------------------------------------------------------------------------------

    def tracking_url(self, tracking_code: str) -> str:
        return f"https://donhang.ghn.vn/?order_code={tracking_code}"

    def _service_type(self, parcel: ParcelSpec, service: str | None) -> int:
        if service:
            return int(service)
        return HEAVY if parcel.weight_g >= HEAVY_FROM_G else LIGHT

    def services(self, sender: Place, recipient: Place) -> list[dict]:
        """GHN's services on this route (`available-services`): service_id, service_type_id, short_name."""
        from_district, _, _ = self.ghn_place(sender)
        to_district, to_ward, _ = self.ghn_place(recipient)
        body = {"shop_id": int(self.shop_id), "from_district": from_district, "to_district": to_district}
        return list(self._data("POST", "/v2/shipping-order/available-services", json=body) or [])

    def quote(self, sender: Place, recipient: Place, parcel: ParcelSpec, service: str | None = None) -> Quote:
        self._check_limits(parcel)
        service_type = self._service_type(parcel, service)
        from_district, from_ward, _ = self.ghn_place(sender)
        to_district, to_ward, _ = self.ghn_place(recipient)
        body = {
            "service_type_id": service_type,
            "from_district_id": from_district,
            "from_ward_code": from_ward,
            "to_district_id": to_district,
            "to_ward_code": to_ward,
            "weight": parcel.weight_g,
            "length": parcel.length_cm,
            "width": parcel.width_cm,
            "height": parcel.height_cm,
            "insurance_value": parcel.value_vnd,
        }
        data = self._data("POST", "/v2/shipping-order/fee", json=body) or {}
        return Quote(fee_vnd=int(data["total"]), service=str(service_type))

    def book(self, request: BookingRequest) -> Booking:
        parcel = request.parcel
        self._check_limits(parcel)
        service_type = self._service_type(parcel, request.service)
        from_district, from_ward, from_old = self.ghn_place(request.sender.place)
        to_district, to_ward, to_old = self.ghn_place(request.recipient.place)
        contents = parcel.contents or "Sản phẩm OCOP"
        body = {
            "client_order_code": request.reference,
            "payment_type_id": 1,  # the shop pays GHN: the buyer paid the fee at checkout
            "required_note": "CHOXEMHANGKHONGTHU",  # the buyer may look, not try
            "note": request.note,
            "from_name": request.sender.name,
            "from_phone": request.sender.phone,
            "from_address": request.sender.address_line,
            "from_ward_name": from_old.ward,
            "from_district_name": from_old.district,
            "from_province_name": from_old.province,
            "from_district_id": from_district,
            "from_ward_code": from_ward,
            "to_name": request.recipient.name,
            "to_phone": request.recipient.phone,
            "to_address": request.recipient.address_line,
            "to_ward_code": to_ward,
            "to_district_id": to_district,
            "cod_amount": 0,
            "content": contents[:2000],
            "weight": parcel.weight_g,
            "length": parcel.length_cm,
            "width": parcel.width_cm,
            "height": parcel.height_cm,
            "insurance_value": parcel.value_vnd,
            "service_type_id": service_type,
            "items": [{"name": contents[:200], "quantity": 1, "weight": parcel.weight_g}],
        }
        try:
            data = self._data("POST", "/v2/shipping-order/create", json=body) or {}
        except CarrierRefused:
            existing = self._by_reference(request.reference)
            if existing is None:
                raise
            log.info("GHN already holds %s as %s", request.reference, existing.tracking_code)
            return existing
        return Booking(
            tracking_code=str(data["order_code"]),
            fee_vnd=int(data.get("total_fee") or 0),
            service=str(service_type),
            expected_delivery=_when(data.get("expected_delivery_time")),
        )

    def _by_reference(self, reference: str) -> Booking | None:
        try:
            data = self._data("POST", "/v2/shipping-order/detail-by-client-code", json={"client_order_code": reference})
        except CarrierRefused:
            return None
        if not isinstance(data, dict) or not data.get("order_code") or data.get("status") == "cancel":
            return None
        return Booking(
            tracking_code=str(data["order_code"]),
            fee_vnd=int(data.get("total_fee") or 0),
            service=str(data.get("service_type_id") or ""),
            expected_delivery=_when(data.get("leadtime")),
        )

    def cancel(self, tracking_code: str) -> None:
        rows = self._data("POST", "/v2/switch-status/cancel", json={"order_codes": [tracking_code]}) or []
        row = next((row for row in rows if str(row.get("order_code")) == tracking_code), None)
        if row is None or not row.get("result"):
            message = (row or {}).get("message") or ""
            raise CarrierRefused(
                f"GHN did not cancel {tracking_code}: {message}",
                f"GHN không hủy được đơn {tracking_code}: {message}".rstrip(": "),
            )

    def label_pdf(self, tracking_codes: list[str], size: str = "A6") -> bytes:
        path = PRINT_PATHS.get(size)
        if path is None:
            raise ValueError(f"label size is A5 or A6, not {size!r}")
        data = self._data("POST", "/v2/a5/gen-token", json={"order_codes": list(tracking_codes)}) or {}
        response = self.api.call("GET", self.print_base + path, params={"token": data["token"]})
        if response.status_code != 200 or not response.content.startswith(b"%PDF"):
            raise CarrierRefused(
                f"GHN's print page answered {response.status_code} {response.headers.get('Content-Type')}, not a PDF",
                "GHN chưa trả về phiếu in (PDF). Vui lòng thử lại sau.",
            )
        return response.content

    def status(self, tracking_code: str) -> StatusReport:
        data = self._data("POST", "/v2/shipping-order/detail", json={"order_code": tracking_code}) or {}
        carrier_status = str(data.get("status") or "")
        return StatusReport(
            tracking_code=str(data.get("order_code") or tracking_code),
            status=shop_status(carrier_status),
            carrier_status=carrier_status,
            at=_when(data.get("updated_date")),
            expected_delivery=_when(data.get("leadtime")),
        )

    def read_callback(self, call: InboundCall, webhook_token: str) -> Callback:
        given = call.args.get("token") or ""
        if not webhook_token or not hmac.compare_digest(given.encode(), webhook_token.encode()):
            raise ForgedCallback("GHN callback without the shop's token", "Thông báo GHN không hợp lệ.")
        try:
            body = json.loads(call.body or b"{}")
        except ValueError as error:
            raise CarrierRefused("GHN callback is not JSON", "Thông báo GHN không đọc được.") from error
        if not isinstance(body, Mapping) or not body.get("OrderCode") or not body.get("Status"):
            raise CarrierRefused("GHN callback without OrderCode and Status", "Thông báo GHN thiếu mã đơn.")
        return Callback(
            tracking_code=str(body["OrderCode"]),
            reference=str(body["ClientOrderCode"]) if body.get("ClientOrderCode") else None,
            carrier_status=str(body["Status"]),
            at=_when(body.get("Time")),
            raw=dict(body),
        )


def from_config(config: Mapping) -> GHN | None:
    """GHN when GHN_TOKEN, GHN_SHOP_ID and GHN_WEBHOOK_TOKEN are set (GHN_API_BASE: production unless given)."""
    if not all(config.get(name) for name in REQUIRED_SETTINGS):
        return None
    return GHN(config["GHN_TOKEN"], config["GHN_SHOP_ID"], config.get("GHN_API_BASE") or PRODUCTION_API_BASE)
