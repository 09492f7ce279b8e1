"""A fake GHN (`shiip/public-api`) on 127.0.0.1, written from GHN's public API documents.

Every API call checks the `Token` header (401 `{"code": 401}` otherwise) and the shop's calls
their `ShopId`. Master data (`/master-data/province|district|ward`) lists the old (pre-2025)
provinces, districts and wards, with GHN's own ids (not the statistics office's codes) and its
names ("Quảng Ninh" without "Tỉnh", extra `NameExtension`s). The fee grows with the weight and
the distance (same district, same province, elsewhere). Create checks its fields and GHN's limits
(50 kg, 200 cm a side), keeps the order, and refuses a `client_order_code` it has seen (read it
back with `detail-by-client-code`). Cancel works only before pick-up. `gen-token` then the print
page give a PDF of A5 or 80×80 pages. Faults (tests/delivery/carrier_fakes.py): 503, 429, late answers.
`emit` sends a callback in GHN's format to the shop's URL.
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import json
import secrets
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from werkzeug.wrappers import Request, Response

from tests.delivery.carrier_fakes import FakeCarrier, label_pdf

GHN_TEST = {"token": "ghn-test-token-0f6c", "shop_id": "885123"}
NOT_PICKED = {"ready_to_pick", "picking"}


def _legacy_rows() -> list[tuple[str, str, str]]:
    """(province, district, ward) of every old ward, from the statistics office's list."""
    spec = importlib.util.find_spec("vietnamadminunits")
    folder = Path(next(iter(spec.submodule_search_locations))) / "data"
    with sqlite3.connect(f"file:{folder / 'dataset.db'}?mode=ro", uri=True) as connection:
        return connection.execute(
            "SELECT DISTINCT province, district, ward FROM admin_units_legacy WHERE ward IS NOT NULL AND ward != '' "
            "ORDER BY provinceCode, districtCode, wardCode"
        ).fetchall()


def _ghn_province_name(name: str) -> str:
    for prefix in ("Tỉnh ", "Thành phố "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _answer(data, code: int = 200, message: str = "Success", status: int | None = None) -> Response:
    body = {"code": code, "message": message, "data": data}
    return Response(json.dumps(body, ensure_ascii=False), status=status or code, content_type="application/json")


def _refuse(message: str, code_message: str = "USER_ERR_COMMON", status: int = 400) -> Response:
    body = {"code": status, "message": message, "data": None, "code_message": code_message}
    return Response(json.dumps(body, ensure_ascii=False), status=status, content_type="application/json")


class FakeGHN(FakeCarrier):
    """GHN's master data, fee, services, create, detail, cancel, print and callbacks for one shop."""

    def __init__(self, token: str = GHN_TEST["token"], shop_id: str = GHN_TEST["shop_id"]) -> None:
        super().__init__()
        self.token, self.shop_id = token, shop_id
        self.provinces: list[dict] = []
        self.districts: list[dict] = []
        self.wards: list[dict] = []
        self._load_master_data()
        self.orders: dict[str, dict] = {}  # order_code → order
        self.by_client_code: dict[str, str] = {}
        self.creates_made = 0
        self.order_codes = (f"GHN{n}" for n in itertools.count(5_840_001))
        self.print_tokens: dict[str, list[str]] = {}
        self.master_data_calls = 0

    def _load_master_data(self) -> None:
        province_ids, district_ids = {}, {}
        ward_codes = itertools.count(200_101)
        for province, district, ward in _legacy_rows():
            if province not in province_ids:
                province_ids[province] = 201 + len(province_ids)
                short = _ghn_province_name(province)
                self.provinces.append(
                    {
                        "ProvinceID": province_ids[province],
                        "ProvinceName": short,
                        "NameExtension": [province, short.upper()],
                    }
                )
            if (province, district) not in district_ids:
                district_ids[province, district] = 1401 + len(district_ids)
                self.districts.append(
                    {"DistrictID": district_ids[province, district], "ProvinceID": province_ids[province],
                     "DistrictName": district, "NameExtension": [district.upper()]}
                )  # fmt: skip
            self.wards.append(
                {"WardCode": str(next(ward_codes)), "DistrictID": district_ids[province, district], "WardName": ward,
                 "NameExtension": [ward.upper()]}
            )  # fmt: skip
        self._ward_by_code = {ward["WardCode"]: ward for ward in self.wards}
        self._district_by_id = {district["DistrictID"]: district for district in self.districts}

    def place_of(self, province: str, district: str, ward: str) -> tuple[int, str]:
        """GHN's (DistrictID, WardCode) for an old ward, by its official names (for tests)."""
        short = _ghn_province_name(province)
        district_id = next(
            row["DistrictID"] for row in self.districts
            if row["DistrictName"] == district and self._province_name(row["ProvinceID"]) == short
        )  # fmt: skip
        code = next(
            row["WardCode"] for row in self.wards if row["DistrictID"] == district_id and row["WardName"] == ward
        )
        return district_id, code

    def _province_name(self, province_id: int) -> str:
        return next(row["ProvinceName"] for row in self.provinces if row["ProvinceID"] == province_id)

    # --- the API ---------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        with self.lock:
            self.calls.append(request.path)
        if request.path.startswith("/a5/public-api/"):
            return self.print_page(request)
        prefix = "/shiip/public-api"
        if not request.path.startswith(prefix):
            return Response("not found", status=404)
        path = request.path[len(prefix) :]
        fault = self.fault()
        if fault is not None:
            return fault
        if request.headers.get("Token") != self.token:
            return _refuse("Token is not valid!", "INVALID_TOKEN", status=401)
        body = self._body(request)
        master = {
            "/master-data/province": self.province_list,
            "/master-data/district": self.district_list,
            "/master-data/ward": self.ward_list,
        }
        if path in master:
            with self.lock:
                self.master_data_calls += 1
            return master[path](body)
        if request.headers.get("ShopId") != self.shop_id:
            return _refuse("ShopId is invalid", "INVALID_SHOP")
        routes = {
            "/v2/shipping-order/fee": self.fee,
            "/v2/shipping-order/available-services": self.available_services,
            "/v2/shipping-order/create": self.create,
            "/v2/shipping-order/detail": self.detail,
            "/v2/shipping-order/detail-by-client-code": self.detail_by_client_code,
            "/v2/switch-status/cancel": self.cancel,
            "/v2/a5/gen-token": self.gen_token,
        }
        route = routes.get(path)
        if route is None or request.method != "POST":
            return _refuse(f"{request.method} {path} is not an API", status=404)
        return route(body)

    @staticmethod
    def _body(request: Request) -> dict:
        body = dict(request.args)
        if request.data:
            with contextlib.suppress(ValueError):
                body.update(json.loads(request.data))
        return body

    def province_list(self, body: dict) -> Response:
        return _answer(self.provinces)

    def district_list(self, body: dict) -> Response:
        province_id = int(body.get("province_id") or 0)
        return _answer([row for row in self.districts if row["ProvinceID"] == province_id])

    def ward_list(self, body: dict) -> Response:
        district_id = int(body.get("district_id") or 0)
        return _answer([row for row in self.wards if row["DistrictID"] == district_id])

    def _place_error(self, body: dict, side: str) -> str | None:
        district_id, ward_code = body.get(f"{side}_district_id"), body.get(f"{side}_ward_code")
        ward = self._ward_by_code.get(str(ward_code))
        if ward is None or ward["DistrictID"] != district_id:
            return f"{side}_ward_code {ward_code} is not in {side}_district_id {district_id}"
        return None

    def _limits_error(self, body: dict) -> str | None:
        if not isinstance(body.get("weight"), int) or not 0 < body["weight"] <= 50_000:
            return "Khối lượng (weight) phải từ 1 đến 50000 gram"
        for side in ("length", "width", "height"):
            if not isinstance(body.get(side), int) or body[side] > 200:
                return f"Kích thước ({side}) tối đa 200 cm"
        return None

    def price(self, body: dict) -> int:
        """GHN-like: by distance, then 5 000 ₫ a 500 g past the first 2 kg (volumetric weight counts)."""
        source = self._district_by_id[body["from_district_id"]]
        target = self._district_by_id[body["to_district_id"]]
        if source["DistrictID"] == target["DistrictID"]:
            base = 16_500
        elif source["ProvinceID"] == target["ProvinceID"]:
            base = 22_000
        else:
            base = 32_000 + 100 * abs(source["ProvinceID"] - target["ProvinceID"])
        volumetric = body["length"] * body["width"] * body["height"] // 5
        weight = max(body["weight"], volumetric)
        extra = max(0, -(-(weight - 2_000) // 500)) * 5_000
        heavy = 10_000 if body.get("service_type_id") == 5 else 0
        return base + extra + heavy

    def fee(self, body: dict) -> Response:
        error = self._place_error(body, "to") or self._limits_error(body)
        if error or body.get("from_district_id") not in self._district_by_id:
            return _refuse(error or "from_district_id is invalid")
        total = self.price(body)
        return _answer({"total": total, "service_fee": total, "insurance_fee": 0, "pick_station_fee": 0,
                        "coupon_value": 0, "r2s_fee": 0, "cod_fee": 0})  # fmt: skip

    def available_services(self, body: dict) -> Response:
        return _answer(
            [{"service_id": 53320, "short_name": "Hàng nhẹ", "service_type_id": 2},
             {"service_id": 100039, "short_name": "Hàng nặng", "service_type_id": 5}]
        )  # fmt: skip

    def create(self, body: dict) -> Response:
        required = ("to_name", "to_phone", "to_address", "to_ward_code", "to_district_id", "weight",
                    "service_type_id", "payment_type_id", "required_note")  # fmt: skip
        missing = [name for name in required if body.get(name) in (None, "")]
        if missing:
            return _refuse(f"Thiếu thông tin: {', '.join(missing)}")
        if body["required_note"] not in ("CHOTHUHANG", "CHOXEMHANGKHONGTHU", "KHONGCHOXEMHANG"):
            return _refuse("required_note không hợp lệ")
        error = self._place_error(body, "to") or self._place_error(body, "from") or self._limits_error(body)
        if error:
            return _refuse(error)
        with self.lock:
            client_code = body.get("client_order_code") or ""
            if client_code and client_code in self.by_client_code:
                return _refuse("Mã đơn hàng của shop đã tồn tại (client_order_code)", "DUPLICATE_CLIENT_ORDER_CODE")
            code = next(self.order_codes)
            expected = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
            self.orders[code] = {
                "order_code": code, "client_order_code": client_code, "status": "ready_to_pick",
                "total_fee": self.price(body), "service_type_id": body["service_type_id"], "body": body,
                "leadtime": expected.isoformat().replace("+00:00", "Z"),
                "updated_date": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            }  # fmt: skip
            if client_code:
                self.by_client_code[client_code] = code
            self.creates_made += 1
            order = self.orders[code]
        return _answer({"order_code": code, "sort_code": "190-G-01-A1", "trans_type": "truck",
                        "total_fee": order["total_fee"], "expected_delivery_time": order["leadtime"]})  # fmt: skip

    def _detail(self, order: dict | None) -> Response:
        if order is None:
            return _refuse("Đơn hàng không tồn tại", "ORDER_NOT_FOUND")
        fields = ("order_code", "client_order_code", "status", "total_fee", "service_type_id", "leadtime",
                  "updated_date")  # fmt: skip
        return _answer({name: order[name] for name in fields})

    def detail(self, body: dict) -> Response:
        return self._detail(self.orders.get(str(body.get("order_code"))))

    def detail_by_client_code(self, body: dict) -> Response:
        code = self.by_client_code.get(str(body.get("client_order_code")))
        return self._detail(self.orders.get(code) if code else None)

    def cancel(self, body: dict) -> Response:
        results = []
        with self.lock:
            for code in body.get("order_codes") or []:
                order = self.orders.get(code)
                if order is None:
                    results.append({"order_code": code, "result": False, "message": "Không tìm thấy đơn hàng"})
                elif order["status"] not in NOT_PICKED and order["status"] != "cancel":
                    results.append({"order_code": code, "result": False, "message": "Đơn hàng đã được lấy"})
                else:
                    order["status"] = "cancel"
                    results.append({"order_code": code, "result": True, "message": "OK"})
        return _answer(results)

    def gen_token(self, body: dict) -> Response:
        codes = [str(code) for code in body.get("order_codes") or []]
        unknown = [code for code in codes if code not in self.orders]
        if not codes or unknown:
            return _refuse(f"Đơn hàng không tồn tại: {', '.join(unknown)}")
        token = secrets.token_hex(16)
        self.print_tokens[token] = codes
        return _answer({"token": token})

    def print_page(self, request: Request) -> Response:
        codes = self.print_tokens.get(request.args.get("token", ""))
        size = {"/a5/public-api/printA5": "A5", "/a5/public-api/print80x80": "A6"}.get(request.path)
        if codes is None or size is None:
            return Response("<html><body>Token không hợp lệ</body></html>", status=404, content_type="text/html")
        return Response(label_pdf("GHN", codes, size), content_type="application/pdf")

    # --- moving an order and telling the shop ------------------------------------------------------

    def set_status(self, order_code: str, status: str) -> None:
        with self.lock:
            self.orders[order_code]["status"] = status
            self.orders[order_code]["updated_date"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")

    def callback_body(self, order_code: str, status: str | None = None) -> dict:
        """GHN's callback for an order (its current status unless another is given)."""
        order = self.orders[order_code]
        body = order["body"]
        return {
            "CODAmount": 0, "CODTransferDate": None, "ClientOrderCode": order["client_order_code"],
            "ConvertedWeight": body["weight"], "Description": "Cập nhật trạng thái",
            "Fee": {"MainService": order["total_fee"]},
            "Height": body["height"], "IsPartialReturn": False, "Length": body["length"], "OrderCode": order_code,
            "PartialReturnCode": "", "PaymentType": body["payment_type_id"], "Reason": "", "ReasonCode": "",
            "ShopID": int(self.shop_id), "Status": status or order["status"],
            "Time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "TotalFee": order["total_fee"], "Type": "switch_status", "Warehouse": "Bưu cục Hạ Long",
            "Weight": body["weight"], "Width": body["width"],
        }  # fmt: skip

    def emit(self, order_code: str, url: str, status: str | None = None):
        """Move the order (when a status is given) and POST GHN's callback to `url` (the shop's, with ?token=)."""
        if status:
            self.set_status(order_code, status)
        return self.post_json(url, self.callback_body(order_code))
