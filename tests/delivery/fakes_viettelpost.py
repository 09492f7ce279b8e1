"""A fake Viettel Post partner API (`/v2`) on 127.0.0.1, written from Viettel Post's documents.

`POST /v2/user/Login` checks USERNAME and PASSWORD and hands out a token (the fake can expire
it: `expire_tokens()`); every other call needs header `Token` with a live one (HTTP 401
otherwise). Categories (`listProvinceById`, `listDistrict`, `listWards`) list the old units in
Viettel Post's upper-case names with its own ids. `getPrice` prices by distance and weight,
`createOrder` checks its fields and the limits (50 kg, 150 cm), keeps the order under its
ORDER_NUMBER (the partner's reference) and answers a number it has seen with that same order.
`UpdateOrder` TYPE 4 cancels before pick-up. `printing-code` then the print page give a PDF.
Faults (tests/delivery/carrier_fakes.py): 503, 429, late answers. `emit` sends a webhook in Viettel Post's
format (`{"DATA": {...}, "TOKEN": ...}`) to the shop's URL.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import secrets
from datetime import datetime, timedelta, timezone

from werkzeug.wrappers import Request, Response

from tests.delivery.carrier_fakes import FakeCarrier, label_pdf
from tests.delivery.fakes_ghn import _legacy_rows

VIETTELPOST_TEST = {"username": "ocop.qn@example.com", "password": "vtp-test-password"}
NOT_PICKED = {-100, 100, 102, 103, 104}
_VIETNAM = timezone(timedelta(hours=7))
STATUS_NAMES = {
    100: "Tiếp nhận đơn hàng từ đối tác", 105: "Bưu tá đã nhận hàng", 107: "Đối tác yêu cầu hủy qua API",
    200: "Nhận từ bưu tá - Bưu cục gốc", 300: "Khai thác đi", 500: "Giao bưu tá đi phát", 501: "Phát thành công",
    502: "Chuyển hoàn bưu cục gốc", 504: "Thành công - Chuyển trả người gửi",
    506: "Tồn - Khách hàng nghỉ, không có nhà",
}  # fmt: skip


def _answer(data=None, message: str = "OK", status: int = 200, error: bool = False, http: int = 200) -> Response:
    body = {"status": status, "error": error, "message": message}
    if data is not None:
        body["data"] = data
    return Response(json.dumps(body, ensure_ascii=False), status=http, content_type="application/json")


def _refuse(message: str, status: int = 204) -> Response:
    return _answer(message=message, status=status, error=True)


def _vtp_name(name: str) -> str:
    for prefix in ("Tỉnh ", "Thành phố "):
        if name.startswith(prefix):
            return name[len(prefix) :].upper()
    return name.upper()


def _now_text() -> str:
    return datetime.now(_VIETNAM).strftime("%d/%m/%Y %H:%M:%S")


class FakeViettelPost(FakeCarrier):
    """Viettel Post's login, categories, price, create, update, print, status and webhooks for one partner."""

    def __init__(self, username: str = VIETTELPOST_TEST["username"], password: str = VIETTELPOST_TEST["password"]):
        super().__init__()
        self.username, self.password = username, password
        self.tokens: set[str] = set()
        self.logins = 0
        self.provinces, self.districts, self.wards = [], [], []
        province_ids, district_ids = {}, {}
        ward_ids = itertools.count(7_001)
        for province, district, ward in _legacy_rows():
            if province not in province_ids:
                province_ids[province] = len(province_ids) + 1
                self.provinces.append(
                    {"PROVINCE_ID": province_ids[province], "PROVINCE_CODE": f"P{len(province_ids)}",
                     "PROVINCE_NAME": _vtp_name(province)}
                )  # fmt: skip
            if (province, district) not in district_ids:
                district_ids[province, district] = 100 + len(district_ids)
                self.districts.append(
                    {"DISTRICT_ID": district_ids[province, district], "DISTRICT_VALUE": str(len(district_ids)),
                     "DISTRICT_NAME": district.upper(), "PROVINCE_ID": province_ids[province]}
                )  # fmt: skip
            self.wards.append(
                {
                    "WARDS_ID": next(ward_ids),
                    "WARDS_NAME": ward.upper(),
                    "DISTRICT_ID": district_ids[province, district],
                }
            )
        self._district = {row["DISTRICT_ID"]: row for row in self.districts}
        self._ward = {row["WARDS_ID"]: row for row in self.wards}
        self.orders: dict[str, dict] = {}  # Viettel Post's bill code → order
        self.by_reference: dict[str, str] = {}
        self.creates_made = 0
        self.bill_codes = (str(n) for n in itertools.count(1_755_979_100_001))
        self.print_tokens: dict[str, list[str]] = {}

    def expire_tokens(self) -> None:
        """Every token handed out so far stops working (as after a day)."""
        with self.lock:
            self.tokens.clear()

    def handle(self, request: Request) -> Response:
        with self.lock:
            self.calls.append(request.path)
        if request.path == "/DigitalizePrint/report.do":
            return self.print_page(request)
        if not request.path.startswith("/v2/"):
            return Response("not found", status=404)
        fault = self.fault()
        if fault is not None:
            return fault
        path = request.path[len("/v2") :]
        body = dict(request.args)
        if request.data:
            with contextlib.suppress(ValueError):
                body.update(json.loads(request.data))
        if path == "/user/Login" and request.method == "POST":
            return self.login(body)
        if request.headers.get("Token") not in self.tokens:
            return _answer(message="Token không hợp lệ hoặc đã hết hạn", status=401, error=True, http=401)
        routes = {
            ("GET", "/categories/listProvinceById"): lambda b: _answer(self.provinces),
            ("GET", "/categories/listDistrict"): lambda b: _answer(
                [row for row in self.districts if row["PROVINCE_ID"] == int(b.get("provinceId") or 0)]
            ),
            ("GET", "/categories/listWards"): lambda b: _answer(
                [row for row in self.wards if row["DISTRICT_ID"] == int(b.get("districtId") or 0)]
            ),
            ("POST", "/order/getPrice"): self.get_price,
            ("POST", "/order/createOrder"): self.create,
            ("POST", "/order/UpdateOrder"): self.update,
            ("POST", "/order/printing-code"): self.printing_code,
            ("GET", "/order/getOrderDetail"): self.detail,
        }
        route = routes.get((request.method, path))
        return route(body) if route else _refuse(f"{request.method} {path} không tồn tại", status=404)

    def login(self, body: dict) -> Response:
        if body.get("USERNAME") != self.username or body.get("PASSWORD") != self.password:
            return _refuse("Sai tên đăng nhập hoặc mật khẩu", status=205)
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens.add(token)
            self.logins += 1
        expired = int((datetime.now(_VIETNAM) + timedelta(hours=24)).timestamp() * 1000)
        return _answer({"userId": 7788, "token": token, "partner": 9911, "phone": "0912345678", "expired": expired})

    def _limits_error(self, weight, sides) -> str | None:
        if not isinstance(weight, int) or not 0 < weight <= 50_000:
            return "Trọng lượng không hợp lệ (tối đa 50000 gram)"
        if any(not isinstance(side, int) or side > 150 for side in sides):
            return "Kích thước vượt quá 150 cm"
        return None

    def price(self, body: dict) -> int:
        source, target = body["SENDER_DISTRICT"], body["RECEIVER_DISTRICT"]
        if source == target:
            base = 18_000
        elif self._district[source]["PROVINCE_ID"] == self._district[target]["PROVINCE_ID"]:
            base = 25_000
        else:
            base = 35_000 + 150 * abs(self._district[source]["PROVINCE_ID"] - self._district[target]["PROVINCE_ID"])
        extra = max(0, -(-(body["PRODUCT_WEIGHT"] - 1_000) // 500)) * 4_000
        return base + extra + (8_000 if body.get("ORDER_SERVICE") == "VHT" else 0)

    def get_price(self, body: dict) -> Response:
        sides = [body.get(name, 0) for name in ("PRODUCT_LENGTH", "PRODUCT_WIDTH", "PRODUCT_HEIGHT")]
        error = self._limits_error(body.get("PRODUCT_WEIGHT"), sides)
        if (
            error
            or body.get("SENDER_DISTRICT") not in self._district
            or body.get("RECEIVER_DISTRICT") not in self._district
        ):
            return _refuse(error or "Quận/huyện không hợp lệ")
        total = self.price(body)
        return _answer(
            {"MONEY_TOTAL": total, "MONEY_TOTAL_FEE": total, "MONEY_FEE": total, "MONEY_VAT": 0, "KPI_HT": 48}
        )

    def create(self, body: dict) -> Response:
        required = ("ORDER_NUMBER", "SENDER_FULLNAME", "SENDER_PHONE", "SENDER_WARD", "SENDER_DISTRICT",
                    "RECEIVER_FULLNAME", "RECEIVER_PHONE", "RECEIVER_ADDRESS", "RECEIVER_WARD", "RECEIVER_DISTRICT",
                    "PRODUCT_NAME", "PRODUCT_WEIGHT", "ORDER_PAYMENT", "ORDER_SERVICE")  # fmt: skip
        missing = [name for name in required if body.get(name) in (None, "")]
        if missing:
            return _refuse(f"Thiếu thông tin: {', '.join(missing)}")
        for side in ("SENDER", "RECEIVER"):
            ward = self._ward.get(body[f"{side}_WARD"])
            if ward is None or ward["DISTRICT_ID"] != body[f"{side}_DISTRICT"]:
                return _refuse(f"{side}_WARD không thuộc {side}_DISTRICT")
        sides = [body.get(name, 0) for name in ("PRODUCT_LENGTH", "PRODUCT_WIDTH", "PRODUCT_HEIGHT")]
        error = self._limits_error(body["PRODUCT_WEIGHT"], sides)
        if error:
            return _refuse(error)
        with self.lock:
            reference = body["ORDER_NUMBER"]
            if reference in self.by_reference:  # the order it already holds for this number
                order = self.orders[self.by_reference[reference]]
            else:
                code = next(self.bill_codes)
                order = {"bill": code, "reference": reference, "status": 100, "total": self.price(body), "body": body,
                         "status_date": _now_text()}  # fmt: skip
                self.orders[code] = order
                self.by_reference[reference] = code
                self.creates_made += 1
        return _answer({"ORDER_NUMBER": order["bill"], "MONEY_COLLECTION": 0, "EXCHANGE_WEIGHT": body["PRODUCT_WEIGHT"],
                        "MONEY_TOTAL": order["total"], "MONEY_TOTAL_FEE": order["total"], "MONEY_FEE": order["total"],
                        "MONEY_COLLECTION_FEE": 0, "MONEY_FEE_VAT": 0, "KPI_HT": 48})  # fmt: skip

    def update(self, body: dict) -> Response:
        order = self.orders.get(str(body.get("ORDER_NUMBER")))
        if order is None:
            return _refuse("Không tìm thấy vận đơn")
        if body.get("TYPE") != 4:
            return _refuse("TYPE không được hỗ trợ")
        with self.lock:
            if order["status"] not in NOT_PICKED:
                return _refuse("Vận đơn đã được lấy, không thể hủy")
            order["status"], order["status_date"] = 107, _now_text()
        return _answer()

    def printing_code(self, body: dict) -> Response:
        codes = [str(code) for code in body.get("ORDER_ARRAY") or []]
        if not codes or any(code not in self.orders for code in codes) or not isinstance(body.get("EXPIRY_TIME"), int):
            return _refuse("Vận đơn không hợp lệ")
        token = secrets.token_hex(12)
        self.print_tokens[token] = codes
        return _answer(message=token)

    def print_page(self, request: Request) -> Response:
        codes = self.print_tokens.get(request.args.get("bill", ""))
        size = {"1": "A5", "2": "A6"}.get(request.args.get("type", ""))
        if codes is None or size is None:
            return Response("<html><body>Mã in không hợp lệ</body></html>", status=404, content_type="text/html")
        return Response(label_pdf("Viettel Post", codes, size), content_type="application/pdf")

    def detail(self, body: dict) -> Response:
        order = self.orders.get(str(body.get("ORDER_NUMBER")))
        if order is None:
            return _refuse("Không tìm thấy vận đơn")
        return _answer(self._data(order))

    def _data(self, order: dict) -> dict:
        status = order["status"]
        return {
            "ORDER_NUMBER": order["bill"], "ORDER_REFERENCE": order["reference"],
            "ORDER_STATUSDATE": order["status_date"], "ORDER_STATUS": status,
            "STATUS_NAME": STATUS_NAMES.get(status, ""),
            "LOCALION_CURRENTLY": "Bưu cục Hạ Long",
            "NOTE": "", "MONEY_COLLECTION": 0, "MONEY_FEECOD": 0, "MONEY_TOTAL": order["total"],
            "EXPECTED_DELIVERY": "2 ngày", "PRODUCT_WEIGHT": order["body"]["PRODUCT_WEIGHT"],
            "ORDER_SERVICE": order["body"]["ORDER_SERVICE"],
        }  # fmt: skip

    # --- moving an order and telling the shop ------------------------------------------------------

    def set_status(self, bill: str, status: int) -> None:
        with self.lock:
            self.orders[bill]["status"], self.orders[bill]["status_date"] = status, _now_text()

    def callback_body(self, bill: str, token: str, status: int | None = None) -> dict:
        data = self._data(self.orders[bill])
        if status is not None:
            data.update(ORDER_STATUS=status, STATUS_NAME=STATUS_NAMES.get(status, ""))
        return {"DATA": data, "TOKEN": token}

    def emit(self, bill: str, url: str, token: str, status: int | None = None):
        """Move the order (when a status is given) and POST Viettel Post's webhook to `url` with `token`."""
        if status is not None:
            self.set_status(bill, status)
        return self.post_json(url, self.callback_body(bill, token))
