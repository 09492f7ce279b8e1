"""Viettel Post behind the carrier port, by its partner API (`https://partner.viettelpost.vn/v2`).

`POST /user/Login` (USERNAME, PASSWORD) gives a token (about 24 h) sent as header `Token`; the
adapter keeps it until it expires or Viettel Post answers 401, then logs in again once. Answers
are `{"status": 200, "error": false, "message", "data"}`. Viettel Post still keys places by its
own ids for the old provinces and districts: a post-2025 ward is mapped to the old ward(s) it
was made from (catalogue.carriers.legacy_places), then to `PROVINCE_ID`/`DISTRICT_ID`/`WARDS_ID`
by name through its categories (`/categories/listProvinceById`, `listDistrict`, `listWards`),
cached a day.

The shop's reference is the order's `ORDER_NUMBER`; Viettel Post answers a number it has seen
with the order it already holds, so a create may be sent again after a timeout or a 5xx. Its
own bill code (the tracking code) comes back as `data.ORDER_NUMBER`. Cancel is `UpdateOrder`
with TYPE 4. Webhooks post `{"DATA": {...}, "TOKEN": "<our secret>"}`; DATA's ORDER_STATUS is
one of the numeric codes below.
"""

from __future__ import annotations

import hmac
import json
import logging
import math
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import requests

from catalogue.carriers.http import CarrierAPI, TTLCache
from catalogue.carriers.legacy_places import legacy_places, name_key
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

NAME = "viettelpost"
PRODUCTION_API_BASE = "https://partner.viettelpost.vn/v2"
PRINT_ORIGINS = {"partner.viettelpost.vn": "https://digitalize.viettelpost.vn"}
PRINT_PATH = "/DigitalizePrint/report.do"
PRINT_TYPES = {"A5": 1, "A6": 2}
STATUS_PATH = "/order/getOrderDetail"
REQUIRED_SETTINGS = ("VIETTELPOST_USERNAME", "VIETTELPOST_PASSWORD", "VIETTELPOST_WEBHOOK_TOKEN")
DEFAULT_SERVICE = "VCN"  # chuyển phát nhanh
CANCEL = 4  # UpdateOrder TYPE: 1 confirm, 2 return, 3 deliver again, 4 cancel, 11 delete
TOKEN_HOURS = 23  # its token lasts about a day; renewed before then when the answer gives no expiry
_VIETNAM = timezone(timedelta(hours=7))

# Viettel Post's ORDER_STATUS codes → the shop's parcel statuses.
STATUSES = {
    -100: BOOKED,  # đơn mới tạo, chưa duyệt
    -108: BOOKED,  # gửi tại bưu cục
    -109: BOOKED,  # gửi tại điểm thu gom
    -110: BOOKED,  # đang bàn giao qua bưu cục
    100: BOOKED,  # tiếp nhận đơn hàng từ đối tác
    102: BOOKED,  # chờ xử lý
    103: BOOKED,  # giao cho bưu cục
    104: BOOKED,  # giao bưu tá đi nhận
    101: CANCELLED,  # Viettel Post yêu cầu hủy
    106: CANCELLED,  # đối tác yêu cầu lấy lại hàng (before pick-up)
    107: CANCELLED,  # đối tác hủy qua API
    201: CANCELLED,  # hủy nhập phiếu gửi
    503: CANCELLED,  # hủy theo yêu cầu khách hàng
    105: PICKED_UP,  # bưu tá đã nhận hàng
    200: PICKED_UP,  # nhận từ bưu tá, bưu cục gốc
    202: PICKED_UP,  # sửa phiếu gửi
    300: IN_TRANSIT, 301: IN_TRANSIT, 302: IN_TRANSIT, 303: IN_TRANSIT,  # khai thác đi
    400: IN_TRANSIT, 401: IN_TRANSIT, 402: IN_TRANSIT, 403: IN_TRANSIT,  # khai thác đến
    500: IN_TRANSIT,  # giao bưu tá đi phát
    508: IN_TRANSIT,  # phát tiếp
    509: IN_TRANSIT,  # chuyển tiếp bưu cục khác
    550: IN_TRANSIT,  # yêu cầu phát tiếp
    501: DELIVERED,  # phát thành công
    506: FAILED,  # tồn: khách nghỉ, không có nhà
    507: FAILED,  # tồn: khách đến bưu cục nhận
    502: RETURNING,  # chuyển hoàn bưu cục gốc
    505: RETURNING,  # tồn: thông báo chuyển hoàn
    515: RETURNING,  # bưu cục phát duyệt hoàn
    504: RETURNED,  # thành công: chuyển trả người gửi
}  # fmt: skip


def shop_status(code: int | str) -> str:
    """The shop's status for a Viettel Post code; an unknown one reads as in transit, logged."""
    try:
        status = STATUSES.get(int(code))
    except (TypeError, ValueError):
        status = None
    if status is None:
        log.warning("Viettel Post status %r is not in the table; read as in transit", code)
        return IN_TRANSIT
    return status


def _when(value: object) -> datetime | None:
    """Viettel Post's dates: "13/12/2018 17:34:05", Vietnam time."""
    if not isinstance(value, str) or not value:
        return None
    for layout in ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(value, layout).replace(tzinfo=_VIETNAM)
        except ValueError:
            continue
    return None


class _Expired(Exception):
    """Viettel Post no longer takes our token."""


class ViettelPost:
    """One Viettel Post partner account at one API base."""

    name = NAME
    labels = CarrierLabels(brand="Viettel Post", vi="Viettel Post")
    limits = Limits(max_weight_g=50_000, max_side_cm=150)

    def __init__(
        self,
        username: str,
        password: str,
        api_base: str = PRODUCTION_API_BASE,
        *,
        session: requests.Session | None = None,
        timeout: float | tuple[float, float] | None = None,
        attempts: int = 3,
        backoff: float = 0.2,
        master_data_seconds: float = 24 * 3600,
        clock=time.time,
    ) -> None:
        self._username, self._password = username, password
        kwargs = {"timeout": timeout} if timeout is not None else {}
        self.api = CarrierAPI("Viettel Post", api_base, session=session, attempts=attempts, backoff=backoff, **kwargs)
        parts = urlsplit(self.api.base)
        self.print_base = PRINT_ORIGINS.get(parts.hostname or "", f"{parts.scheme}://{parts.netloc}")
        self._master = TTLCache(master_data_seconds)
        self._clock = clock
        self._token: tuple[str, float] | None = None  # (token, expires at, epoch seconds)
        self._token_lock = threading.Lock()
        self.logins = 0

    # --- plumbing ------------------------------------------------------------------------------

    def _login(self) -> str:
        response = self.api.call("POST", "/user/Login", json={"USERNAME": self._username, "PASSWORD": self._password})
        answer = self.api.json_of(response)
        data = answer.get("data") if isinstance(answer, dict) else None
        if response.status_code != 200 or answer.get("error") or not isinstance(data, dict) or not data.get("token"):
            raise CarrierRefused(
                f"Viettel Post refused the login: {answer.get('message') if isinstance(answer, dict) else ''}",
                "Viettel Post từ chối tài khoản kết nối của cửa hàng. Vui lòng báo người vận hành kiểm tra.",
            )
        expired = data.get("expired")
        expires = expired / 1000 if isinstance(expired, int | float) and expired > 0 else None
        self._token = (str(data["token"]), min(expires or math.inf, self._clock() + TOKEN_HOURS * 3600))
        self.logins += 1
        return self._token[0]

    def _current_token(self, renew: bool = False) -> str:
        with self._token_lock:
            if renew or self._token is None or self._token[1] - 60 <= self._clock():
                return self._login()
            return self._token[0]

    def _send(self, method: str, path: str, token: str, **kwargs: Any) -> Any:
        response = self.api.call(method, path, headers={"Token": token, "Content-Type": "application/json"}, **kwargs)
        answer = self.api.json_of(response)
        status = answer.get("status") if isinstance(answer, dict) else None
        if response.status_code == 401 or status == 401:
            raise _Expired
        return answer

    def _data(self, method: str, path: str, **kwargs: Any) -> Any:
        """`data` of a successful answer; logs in again once when the token is refused."""
        try:
            answer = self._send(method, path, self._current_token(), **kwargs)
        except _Expired:
            try:
                answer = self._send(method, path, self._current_token(renew=True), **kwargs)
            except _Expired as error:
                raise CarrierRefused(
                    "Viettel Post refused a fresh token", "Viettel Post từ chối phiên đăng nhập của cửa hàng."
                ) from error
        if isinstance(answer, list):  # a few calls answer a bare list
            return answer
        if not isinstance(answer, dict) or answer.get("error") or answer.get("status") not in (200, None):
            message = str(answer.get("message") or "") if isinstance(answer, dict) else ""
            raise CarrierRefused(f"Viettel Post refused {path}: {message}", f"Viettel Post từ chối: {message}")
        return answer.get("data") if "data" in answer else answer

    def _check_limits(self, parcel: ParcelSpec) -> None:
        if parcel.weight_g > self.limits.max_weight_g:
            raise CarrierRefused(
                f"{parcel.weight_g} g is over Viettel Post's {self.limits.max_weight_g} g",
                f"Kiện hàng nặng {parcel.weight_g / 1000:g} kg, quá giới hạn {self.limits.max_weight_g // 1000} kg "
                "của Viettel Post. Hãy chia thành nhiều kiện.",
            )
        longest = max(parcel.length_cm, parcel.width_cm, parcel.height_cm)
        if longest > self.limits.max_side_cm:
            raise CarrierRefused(
                f"a {longest} cm side is over Viettel Post's {self.limits.max_side_cm} cm",
                f"Kiện hàng có cạnh dài {longest} cm, quá giới hạn {self.limits.max_side_cm} cm của Viettel Post.",
            )

    # --- places --------------------------------------------------------------------------------

    def _index(self, key: object, path: str, params: dict, name_field: str, id_field: str) -> dict[str, int]:
        def load() -> dict[str, int]:
            rows = self._data("GET", path, params=params) or []
            return {name_key(str(row[name_field])): int(row[id_field]) for row in rows}

        return self._master.get(key, load)

    def vtp_place(self, place: Place) -> tuple[int, int, int]:
        """Viettel Post's (PROVINCE_ID, DISTRICT_ID, WARDS_ID) for a post-2025 ward."""
        for old in legacy_places(place):
            provinces = self._index(
                "provinces", "/categories/listProvinceById", {"provinceId": -1}, "PROVINCE_NAME", "PROVINCE_ID"
            )
            province_id = provinces.get(name_key(old.province))
            if province_id is None:
                continue
            districts = self._index(
                ("districts", province_id), "/categories/listDistrict", {"provinceId": province_id},
                "DISTRICT_NAME", "DISTRICT_ID",
            )  # fmt: skip
            district_id = districts.get(name_key(old.district))
            if district_id is None:
                continue
            wards = self._index(
                ("wards", district_id), "/categories/listWards", {"districtId": district_id}, "WARDS_NAME", "WARDS_ID"
            )
            ward_id = wards.get(name_key(old.ward))
            if ward_id is not None:
                return province_id, district_id, ward_id
        raise CarrierRefused(
            f"Viettel Post's categories have no ward for {place.ward}, {place.province}",
            f"Viettel Post chưa nhận địa chỉ {place.ward}, {place.province}. "
            "Hãy chọn đơn vị vận chuyển khác hoặc gửi thủ công.",
        )

    # --- the port ------------------------------------------------------------------------------

    def tracking_url(self, tracking_code: str) -> str:
        return f"https://viettelpost.com.vn/tra-cuu-hanh-trinh-don/?billcode={tracking_code}"

    def quote(self, sender: Place, recipient: Place, parcel: ParcelSpec, service: str | None = None) -> Quote:
        self._check_limits(parcel)
        from_province, from_district, _ = self.vtp_place(sender)
        to_province, to_district, _ = self.vtp_place(recipient)
        body = {
            "PRODUCT_WEIGHT": parcel.weight_g, "PRODUCT_PRICE": parcel.value_vnd, "MONEY_COLLECTION": 0,
            "ORDER_SERVICE_ADD": "", "ORDER_SERVICE": service or DEFAULT_SERVICE,
            "SENDER_PROVINCE": from_province, "SENDER_DISTRICT": from_district,
            "RECEIVER_PROVINCE": to_province, "RECEIVER_DISTRICT": to_district,
            "PRODUCT_TYPE": "HH", "NATIONAL_TYPE": 1,
            "PRODUCT_LENGTH": parcel.length_cm, "PRODUCT_WIDTH": parcel.width_cm, "PRODUCT_HEIGHT": parcel.height_cm,
        }  # fmt: skip
        data = self._data("POST", "/order/getPrice", json=body) or {}
        hours = data.get("KPI_HT")
        eta = math.ceil(hours / 24) if isinstance(hours, int | float) and hours > 0 else None
        return Quote(fee_vnd=int(data["MONEY_TOTAL"]), service=service or DEFAULT_SERVICE, eta_days=eta)

    def book(self, request: BookingRequest) -> Booking:
        parcel = request.parcel
        self._check_limits(parcel)
        service = request.service or DEFAULT_SERVICE
        sender, recipient = request.sender, request.recipient
        from_province, from_district, from_ward = self.vtp_place(sender.place)
        to_province, to_district, to_ward = self.vtp_place(recipient.place)
        contents = (parcel.contents or "Sản phẩm OCOP")[:150]
        body = {
            "ORDER_NUMBER": request.reference, "GROUPADDRESS_ID": 0, "CUS_ID": 0,
            "SENDER_FULLNAME": sender.name, "SENDER_ADDRESS": sender.address_line, "SENDER_PHONE": sender.phone,
            "SENDER_WARD": from_ward, "SENDER_DISTRICT": from_district, "SENDER_PROVINCE": from_province,
            "RECEIVER_FULLNAME": recipient.name, "RECEIVER_ADDRESS": recipient.address_line,
            "RECEIVER_PHONE": recipient.phone, "RECEIVER_WARD": to_ward, "RECEIVER_DISTRICT": to_district,
            "RECEIVER_PROVINCE": to_province,
            "PRODUCT_NAME": contents, "PRODUCT_DESCRIPTION": contents, "PRODUCT_QUANTITY": 1,
            "PRODUCT_PRICE": parcel.value_vnd, "PRODUCT_WEIGHT": parcel.weight_g, "PRODUCT_LENGTH": parcel.length_cm,
            "PRODUCT_WIDTH": parcel.width_cm, "PRODUCT_HEIGHT": parcel.height_cm, "PRODUCT_TYPE": "HH",
            "ORDER_PAYMENT": 1,  # the sender (the shop) pays: the buyer paid the fee at checkout
            "ORDER_SERVICE": service, "ORDER_SERVICE_ADD": "", "ORDER_VOUCHER": "", "ORDER_NOTE": request.note,
            "MONEY_COLLECTION": 0,
            "LIST_ITEM": [{"PRODUCT_NAME": contents, "PRODUCT_PRICE": parcel.value_vnd,
                           "PRODUCT_WEIGHT": parcel.weight_g, "PRODUCT_QUANTITY": 1}],
        }  # fmt: skip
        data = self._data("POST", "/order/createOrder", json=body) or {}
        hours = data.get("KPI_HT")
        expected = datetime.now(UTC) + timedelta(hours=hours) if isinstance(hours, int | float) and hours > 0 else None
        return Booking(
            tracking_code=str(data["ORDER_NUMBER"]),
            fee_vnd=int(data.get("MONEY_TOTAL") or 0),
            service=service,
            expected_delivery=expected,
        )

    def cancel(self, tracking_code: str) -> None:
        self._data(
            "POST", "/order/UpdateOrder", json={"TYPE": CANCEL, "ORDER_NUMBER": tracking_code, "NOTE": "Hủy đơn"}
        )

    def label_pdf(self, tracking_codes: list[str], size: str = "A6") -> bytes:
        kind = PRINT_TYPES.get(size)
        if kind is None:
            raise ValueError(f"label size is A5 or A6, not {size!r}")
        expiry_ms = int((self._clock() + 3600) * 1000)
        answer = self._data(
            "POST", "/order/printing-code", json={"EXPIRY_TIME": expiry_ms, "ORDER_ARRAY": tracking_codes}
        )
        token = answer.get("message") if isinstance(answer, dict) else answer
        response = self.api.call(
            "GET", self.print_base + PRINT_PATH, params={"type": kind, "bill": str(token), "showPostage": 1}
        )
        if response.status_code != 200 or not response.content.startswith(b"%PDF"):
            raise CarrierRefused(
                f"Viettel Post's print page answered {response.status_code}, not a PDF",
                "Viettel Post chưa trả về phiếu in (PDF). Vui lòng thử lại sau.",
            )
        return response.content

    def status(self, tracking_code: str) -> StatusReport:
        data = self._data("GET", STATUS_PATH, params={"ORDER_NUMBER": tracking_code}) or {}
        code = data.get("ORDER_STATUS")
        return StatusReport(
            tracking_code=str(data.get("ORDER_NUMBER") or tracking_code),
            status=shop_status(code),
            carrier_status=f"{code} {data.get('STATUS_NAME') or ''}".strip(),
            at=_when(data.get("ORDER_STATUSDATE")),
        )

    def read_callback(self, call: InboundCall, webhook_token: str) -> Callback:
        try:
            body = json.loads(call.body or b"{}")
        except ValueError:
            body = None
        given = str(body.get("TOKEN") or "") if isinstance(body, Mapping) else ""
        if not webhook_token or not hmac.compare_digest(given.encode(), webhook_token.encode()):
            raise ForgedCallback(
                "Viettel Post callback without the shop's TOKEN", "Thông báo Viettel Post không hợp lệ."
            )
        data = body.get("DATA")
        if not isinstance(data, Mapping) or not data.get("ORDER_NUMBER") or data.get("ORDER_STATUS") is None:
            raise CarrierRefused(
                "Viettel Post callback without ORDER_NUMBER and ORDER_STATUS", "Thông báo Viettel Post thiếu mã đơn."
            )
        return Callback(
            tracking_code=str(data["ORDER_NUMBER"]),
            reference=str(data["ORDER_REFERENCE"]) if data.get("ORDER_REFERENCE") else None,
            carrier_status=f"{data['ORDER_STATUS']} {data.get('STATUS_NAME') or ''}".strip(),
            at=_when(data.get("ORDER_STATUSDATE")),
            raw=dict(data),
        )


def from_config(config: Mapping) -> ViettelPost | None:
    """Viettel Post when its username, password and webhook token are set (VIETTELPOST_API_BASE: production)."""
    if not all(config.get(name) for name in REQUIRED_SETTINGS):
        return None
    base = config.get("VIETTELPOST_API_BASE") or PRODUCTION_API_BASE
    return ViettelPost(config["VIETTELPOST_USERNAME"], config["VIETTELPOST_PASSWORD"], base)
