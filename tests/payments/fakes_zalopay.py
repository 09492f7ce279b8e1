"""A fake ZaloPay (v2 open API) on 127.0.0.1, written from ZaloPay's documents with its own signing code.

`POST /v2/create` checks the key1 mac, the app, the app_trans_id (Vietnam's `yymmdd_` of today,
at most 40 characters, never seen before) and app_time (within 15 minutes), and answers
return_code 2 with ZaloPay's sub_return_code when it refuses. Its order_url is a pay page a
browser can use: its "Thanh toán" button makes the payment, sends the key2-signed callback to
the order's callback_url (recording our answer) and sends the browser to embed_data's
redirecturl with ZaloPay's redirect query and checksum. `/v2/query`, `/v2/refund` (the same
m_refund_id answered with its first answer, nothing made twice) and `/v2/query_refund` check
their macs as ZaloPay does. Faults: refuse, fail (503), answer late, keep a refund processing.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import itertools
import json
import secrets
import time
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import urlencode

import requests
from werkzeug.wrappers import Request, Response

from tests.payments.payment_fakes import _FakeServer

# The sandbox app ZaloPay publishes for tests (DOMAIN.md).
ZALOPAY_TEST = {
    "app_id": "2554",
    "key1": "sdngKKJmqEMzvh5QQcdD2A9XBSKUNaYn",
    "key2": "trMrHtvjo6myautxDUiAcYsVtaeQ8nhf",
}
_VIETNAM = timezone(timedelta(hours=7))


def zalopay_hmac(key: str, *values: object) -> str:
    """ZaloPay's mac, written apart from the adapter: hex HMAC-SHA256 over the `|`-joined values."""
    return hmac.new(key.encode(), "|".join(str(value) for value in values).encode(), hashlib.sha256).hexdigest()


def _today() -> str:
    return datetime.now(UTC).astimezone(_VIETNAM).strftime("%y%m%d")


def _json(answer: dict) -> Response:
    return Response(json.dumps(answer, ensure_ascii=False), content_type="application/json")


class FakeZaloPay(_FakeServer):
    """ZaloPay's create, pay page, query, refund and query_refund for one app."""

    def __init__(self, app_id: str = ZALOPAY_TEST["app_id"], key1: str = ZALOPAY_TEST["key1"],
                 key2: str = ZALOPAY_TEST["key2"]):  # fmt: skip
        super().__init__()
        self.app_id, self.key1, self.key2 = app_id, key1, key2
        self.orders: dict[str, dict] = {}  # app_trans_id → create body (+ "token", "zp_trans_id" once paid)
        self.tokens: dict[str, str] = {}  # zp_trans_token → app_trans_id
        self.hang_seconds = 1.0
        self.forge = False  # the callback is signed with a wrong key2
        self.zp_trans_ids = itertools.count(251206000000389)
        self.paid: dict[int, dict] = {}  # zp_trans_id → {"app_trans_id", "amount", "refunded"}
        self.refunds: dict[str, tuple[dict, dict]] = {}  # m_refund_id → (request, answer)
        self.refund_requests = 0
        self.refunds_made: list[int] = []  # refund_id of each refund actually made
        self.refund_ids = itertools.count(1680848533001)
        self.refuse_next_refunds: list[tuple[int, str]] = []  # (sub_return_code, message), in turn
        self.fail_next_refunds = 0
        self.hang_next_refunds = 0
        self.keep_refunds_processing = False  # query_refund answers 3 (still processing)

    def handle(self, request: Request) -> Response:
        with self.lock:
            self.calls.append(request.path)
        routes = {
            ("POST", "/v2/create"): self.create, ("GET", "/pay"): self.pay_page, ("POST", "/pay"): self.pay,
            ("POST", "/v2/query"): self.query, ("POST", "/v2/refund"): self.refund,
            ("POST", "/v2/query_refund"): self.query_refund,
        }  # fmt: skip
        route = routes.get((request.method, request.path))
        return route(request) if route else Response("not found", status=404)

    @staticmethod
    def _form(request: Request) -> dict:
        """ZaloPay takes form-encoded or JSON bodies."""
        if request.is_json:
            return {key: str(value) for key, value in (request.get_json(silent=True) or {}).items()}
        return dict(request.form)

    # --- create and pay ------------------------------------------------------------------

    def create(self, request: Request) -> Response:
        busy, hang = self._create_fault()
        if busy is not None:
            return busy
        body = self._form(request)
        names = ("app_id", "app_trans_id", "app_user", "amount", "app_time", "embed_data", "item")
        if any(name not in body for name in names) or body["app_id"] != self.app_id:
            return self._refused(-401, "Dữ liệu yêu cầu không hợp lệ")
        if not hmac.compare_digest(body.get("mac", ""), zalopay_hmac(self.key1, *(body[name] for name in names))):
            return self._refused(-402, "Xác thực thông tin không hợp lệ")
        trans_id = body["app_trans_id"]
        if not trans_id.startswith(_today() + "_") or len(trans_id) > 40:
            return self._refused(-401, "app_trans_id không hợp lệ")
        if not body["amount"].isdigit() or int(body["amount"]) < 1 or not body["app_time"].isdigit():
            return self._refused(-401, "Số tiền không hợp lệ")
        if abs(time.time() * 1000 - int(body["app_time"])) > 15 * 60 * 1000:
            return self._refused(-401, "app_time không hợp lệ")
        try:
            json.loads(body["embed_data"]), json.loads(body["item"])
        except ValueError:
            return self._refused(-401, "embed_data hoặc item không phải JSON")
        token = secrets.token_urlsafe(16)
        with self.lock:
            if trans_id in self.orders:
                return self._refused(-68, "Mã giao dịch đã tồn tại")
            self.orders[trans_id] = {**body, "token": token}
            self.tokens[token] = trans_id
        if hang:
            time.sleep(self.hang_seconds)
        return _json({"return_code": 1, "return_message": "Giao dịch thành công", "sub_return_code": 1,
                      "sub_return_message": "Giao dịch thành công", "zp_trans_token": token,
                      "order_url": f"{self.url}/pay?order={token}", "order_token": token,
                      "qr_code": f"ZPQR{token}"})  # fmt: skip

    @staticmethod
    def _refused(sub_code: int, message: str) -> Response:
        return _json({"return_code": 2, "return_message": "Giao dịch thất bại", "sub_return_code": sub_code,
                      "sub_return_message": message})  # fmt: skip

    def pay_page(self, request: Request) -> Response:
        order = self.orders.get(self.tokens.get(request.args.get("order", ""), ""))
        if order is None:
            return Response("Đơn hàng không tồn tại", status=404)
        amount = f"{int(order['amount']):,}".replace(",", ".")  # 200.000, as the gateway shows it
        page = (
            '<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>ZaloPay</title></head><body>'
            f"<h1>ZaloPay</h1><p>{html.escape(order['description'])}</p>"
            f'<p data-testid="gateway-amount">{amount} ₫</p>'
            f'<form method="post" action="/pay"><input type="hidden" name="order" value="{order["token"]}">'
            '<button type="submit">Thanh toán</button></form></body></html>'
        )
        return Response(page, content_type="text/html; charset=utf-8")

    def pay(self, request: Request) -> Response:
        order = self.orders.get(self.tokens.get(request.form.get("order", ""), ""))
        if order is None:
            return Response("Đơn hàng không tồn tại", status=404)
        callback = self.callback(order)
        answer = requests.post(order["callback_url"], json=callback, timeout=15)
        with self.lock:
            self.ipn_answers.append((answer.status_code, answer.text))
        redirect = {"appid": self.app_id, "apptransid": order["app_trans_id"], "pmcid": "38", "bankcode": "",
                    "amount": order["amount"], "discountamount": "0", "status": "1"}  # fmt: skip
        redirect["checksum"] = zalopay_hmac(self.key2, *redirect.values())
        target = json.loads(order["embed_data"]).get("redirecturl") or "/"
        return Response(status=302, headers={"Location": f"{target}?{urlencode(redirect)}"})

    def callback(self, order: dict) -> dict:
        """The callback ZaloPay posts once it has the money (the order marked paid)."""
        zp_trans_id = next(self.zp_trans_ids)
        data = json.dumps({
            "app_id": int(self.app_id), "app_trans_id": order["app_trans_id"], "app_time": int(order["app_time"]),
            "app_user": order["app_user"], "amount": int(order["amount"]), "embed_data": order["embed_data"],
            "item": order["item"], "zp_trans_id": zp_trans_id, "server_time": int(time.time() * 1000),
            "channel": 38, "merchant_user_id": "7ZMSl3nEg5sOUJzOLSoUFT8xKNQVaLOLXHB--8Eytqc", "user_fee_amount": 0,
            "discount_amount": 0,
        }, separators=(",", ":"))  # fmt: skip
        with self.lock:
            order["zp_trans_id"] = zp_trans_id
            self.paid[zp_trans_id] = {"app_trans_id": order["app_trans_id"], "amount": int(order["amount"]),
                                      "refunded": 0}  # fmt: skip
        return {"data": data, "mac": zalopay_hmac("forged" if self.forge else self.key2, data), "type": 1}

    # --- query -----------------------------------------------------------------------------

    def query(self, request: Request) -> Response:
        body = self._form(request)
        expected = zalopay_hmac(self.key1, self.app_id, body.get("app_trans_id", ""), self.key1)
        if body.get("app_id") != self.app_id or not hmac.compare_digest(body.get("mac", ""), expected):
            return _json({"return_code": 2, "return_message": "Giao dịch thất bại", "sub_return_code": -402,
                          "sub_return_message": "Xác thực thông tin không hợp lệ", "is_processing": False,
                          "amount": 0, "zp_trans_id": 0})  # fmt: skip
        order = self.orders.get(body["app_trans_id"])
        if order is None:
            return _json({"return_code": 2, "return_message": "Giao dịch thất bại", "sub_return_code": -54,
                          "sub_return_message": "Giao dịch không tồn tại", "is_processing": False, "amount": 0,
                          "zp_trans_id": 0})  # fmt: skip
        if "zp_trans_id" not in order:
            return _json({"return_code": 3, "return_message": "Giao dịch chưa thực hiện", "sub_return_code": -49,
                          "sub_return_message": "Đơn hàng chưa được thanh toán", "is_processing": False,
                          "amount": int(order["amount"]), "zp_trans_id": 0})  # fmt: skip
        return _json({"return_code": 1, "return_message": "Giao dịch thành công", "sub_return_code": 1,
                      "sub_return_message": "Giao dịch thành công", "is_processing": False,
                      "amount": int(order["amount"]), "discount_amount": 0,
                      "zp_trans_id": order["zp_trans_id"]})  # fmt: skip

    # --- refunds ---------------------------------------------------------------------------

    def refund(self, request: Request) -> Response:
        with self.lock:
            self.refund_requests += 1
            if self.fail_next_refunds:
                self.fail_next_refunds -= 1
                return Response("busy", status=503)
            hang = self.hang_next_refunds > 0
            self.hang_next_refunds -= 1 if hang else 0
        body = self._form(request)
        names = ("zp_trans_id", "amount", "description", "timestamp")
        expected = zalopay_hmac(self.key1, self.app_id, *(body.get(name, "") for name in names))
        if body.get("app_id") != self.app_id or not hmac.compare_digest(body.get("mac", ""), expected):
            return self._refused(-402, "Xác thực thông tin không hợp lệ")
        refund_id = body.get("m_refund_id", "")
        if not refund_id.startswith(f"{_today()}_{self.app_id}_") or len(refund_id) > 45:
            return self._refused(-401, "m_refund_id không hợp lệ")
        with self.lock:
            seen = self.refunds.get(refund_id)
            if seen is not None:  # the same refund again: its first answer, nothing made twice
                answer = seen[1]
            else:
                answer = self._refund_once(body)
                self.refunds[refund_id] = (body, answer)
        if hang:
            time.sleep(self.hang_seconds)
        return _json(answer)

    def _refund_once(self, body: dict) -> dict:
        """Under the lock: make the refund if ZaloPay would, and its answer (3: ZaloPay is making it)."""
        paid = self.paid.get(int(body["zp_trans_id"])) if body.get("zp_trans_id", "").isdigit() else None
        amount = int(body["amount"]) if body.get("amount", "").isdigit() else 0
        if self.refuse_next_refunds:
            code, message = self.refuse_next_refunds.pop(0)
        elif paid is None:
            code, message = -13, "Giao dịch không tồn tại"
        elif not 1 <= amount <= paid["amount"] - paid["refunded"]:
            code, message = -24, "Số tiền hoàn vượt quá số tiền có thể hoàn"
        else:
            paid["refunded"] += amount
            refund_id = next(self.refund_ids)
            self.refunds_made.append(refund_id)
            return {"return_code": 3, "return_message": "Giao dịch đang xử lý", "sub_return_code": 2,
                    "sub_return_message": "Đang hoàn tiền", "refund_id": refund_id}  # fmt: skip
        return {"return_code": 2, "return_message": "Giao dịch thất bại", "sub_return_code": code,
                "sub_return_message": message, "refund_id": 0}  # fmt: skip

    def query_refund(self, request: Request) -> Response:
        body = self._form(request)
        refund_id, timestamp = body.get("m_refund_id", ""), body.get("timestamp", "")
        expected = zalopay_hmac(self.key1, self.app_id, refund_id, timestamp)
        if body.get("app_id") != self.app_id or not hmac.compare_digest(body.get("mac", ""), expected):
            return self._refused(-402, "Xác thực thông tin không hợp lệ")
        seen = self.refunds.get(refund_id)
        if seen is None:
            return self._refused(-101, "Giao dịch hoàn tiền không tồn tại")
        answer = seen[1]
        if answer["return_code"] == 2:
            return _json({key: answer[key] for key in ("return_code", "return_message", "sub_return_code",
                                                       "sub_return_message")})  # fmt: skip
        if self.keep_refunds_processing:
            return _json({"return_code": 3, "return_message": "Giao dịch đang xử lý", "sub_return_code": 2,
                          "sub_return_message": "Đang hoàn tiền"})  # fmt: skip
        return _json({"return_code": 1, "return_message": "Giao dịch thành công", "sub_return_code": 1,
                      "sub_return_message": "Hoàn tiền thành công"})  # fmt: skip
