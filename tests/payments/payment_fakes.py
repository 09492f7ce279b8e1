"""Fake VNPay and MoMo servers on 127.0.0.1, written by us from the providers' documents.

They check what the real ones check, with their own signing code (not the adapters'), so a
mistake in our signing shows: VNPay's pay page refuses a bad `vnp_SecureHash` (its code 70,
"Sai chữ ký") and MoMo's create answers resultCode 11 for a bad signature. When a payment
goes through they call our IPN the way the real ones do: VNPay with a signed GET to the IPN
URL registered for the terminal, MoMo with a signed JSON POST to the request's `ipnUrl`.
Either can be told to send a forged notice instead, and records what our IPN answered. VNPay's
refund API (`POST /merchant_webapi/api/transaction`, `vnp_Command=refund`) checks its `|`-joined
HMAC-SHA512, refunds only what a paid transaction still holds, answers a vnp_RequestId it has
seen with its first answer, signs its answer, and can be told to refuse or to fail (503). MoMo's
`POST /v2/gateway/api/refund` checks its signature the same way, refunds only what a paid
transaction still holds, answers a request it has seen again with its first answer, and can be
told to refuse, to fail (503) or to answer too late.

For a browser, either fake can show its pay page instead (`pay_page = True`): the GET of the
redirect URL answers a page with a "Thanh toán" and a "Hủy giao dịch" button, and only the
button's POST pays (or cancels): the signed IPN to the shop, then a redirect to the shop's
return URL carrying the signed result, as the real gateways do.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from html import escape
from urllib.parse import quote_plus, urlencode

import requests
from werkzeug.wrappers import Request, Response

from tests.live import ServedFake

VNPAY_TEST = {"tmn_code": "QNTEST01", "hash_secret": "VNPAYTESTSECRETQUANGNINH00000000"}
MOMO_TEST = {"partner_code": "MOMOQNTEST", "access_key": "momo-test-access", "secret_key": "momo-test-secret-key"}


class _FakeServer(ServedFake):
    def __init__(self):
        self.lock = threading.Lock()
        self.calls: list[str] = []
        self.ipn_answers: list[tuple[int, str]] = []  # (HTTP status, body) our IPN gave
        self._serve()

    # A gateway's create API, for the fakes that have one (MoMo, ZaloPay): faults a test can ask for.
    creates_received = 0
    fail_next_creates = 0  # the next n creates answer 503 before anything is stored
    hang_next_creates = 0  # the next n creates are stored, then answered too late

    def _create_fault(self) -> tuple[Response | None, bool]:
        """Count a create; (a 503 to answer now, or None) and whether this one is answered too late."""
        with self.lock:
            self.creates_received += 1
            if self.fail_next_creates:
                self.fail_next_creates -= 1
                return Response("busy", status=503), False
            hang = self.hang_next_creates > 0
            self.hang_next_creates -= 1 if hang else 0
        return None, hang

    def wsgi(self, environ, start_response):
        return self.handle(Request(environ))(environ, start_response)

    def handle(self, request: Request) -> Response:  # pragma: no cover - overridden
        raise NotImplementedError


# --- VNPay -------------------------------------------------------------------------------


def pay_page(title: str, amount_vnd: int, action: str) -> Response:
    """The gateway's own page: what is being paid and the two buttons that post back to it."""
    amount = f"{amount_vnd:,}".replace(",", ".")
    html = (
        f'<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>{escape(title)}</title></head><body>'
        f'<h1>{escape(title)}</h1><p data-testid="gateway-amount">{amount} ₫</p>'
        f'<form method="post" action="{escape(action)}"><button name="action" value="pay">Thanh toán</button>'
        f'<button name="action" value="cancel">Hủy giao dịch</button></form></body></html>'
    )
    return Response(html, content_type="text/html; charset=utf-8")


def vnpay_hash(params: dict[str, str], secret: str) -> str:
    """VNPay's hash, written apart from the adapter: PHP-sample style `urlencode(k)=urlencode(v)`."""
    pairs = sorted((k, v) for k, v in params.items() if k.startswith("vnp_") and k not in ("vnp_SecureHash",))
    data = "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in pairs)
    return hmac.new(secret.encode(), data.encode(), hashlib.sha512).hexdigest()


def vnpay_pipe_hash(secret: str, *values: object) -> str:
    """VNPay's refund API hash, written apart from the adapter: HMAC-SHA512 over the `|`-joined values."""
    return hmac.new(secret.encode(), "|".join(str(v) for v in values).encode(), hashlib.sha512).hexdigest()


VNPAY_REFUND_FIELDS = (
    "vnp_RequestId", "vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_TransactionType", "vnp_TxnRef", "vnp_Amount",
    "vnp_TransactionNo", "vnp_TransactionDate", "vnp_CreateBy", "vnp_CreateDate", "vnp_IpAddr", "vnp_OrderInfo",
)  # fmt: skip
VNPAY_REFUND_ANSWER_FIELDS = (
    "vnp_ResponseId", "vnp_Command", "vnp_ResponseCode", "vnp_Message", "vnp_TmnCode", "vnp_TxnRef", "vnp_Amount",
    "vnp_BankCode", "vnp_PayDate", "vnp_TransactionNo", "vnp_TransactionType", "vnp_TransactionStatus",
    "vnp_OrderInfo",
)  # fmt: skip


class FakeVNPay(_FakeServer):
    """`GET /paymentv2/vpcpay.html?…`: checks the request, 'pays', calls the IPN URL, redirects back;
    `POST /merchant_webapi/api/transaction` (vnp_Command=refund) returns (part of) a paid transaction."""

    REQUIRED = (
        "vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_Amount", "vnp_CreateDate", "vnp_CurrCode", "vnp_IpAddr",
        "vnp_Locale", "vnp_OrderInfo", "vnp_OrderType", "vnp_ReturnUrl", "vnp_TxnRef", "vnp_ExpireDate",
    )  # fmt: skip

    def __init__(self, ipn_url: str, tmn_code: str = VNPAY_TEST["tmn_code"], secret: str = VNPAY_TEST["hash_secret"]):
        super().__init__()
        self.ipn_url, self.tmn_code, self.secret = ipn_url, tmn_code, secret
        self.outcome = "paid"  # or "declined" (code 24, cancelled by the buyer)
        self.forge = False  # True: the IPN is signed with a wrong secret
        self.amount_offset = 0  # ≠ 0: the IPN reports another amount (correctly signed)
        self.transaction_numbers = itertools.count(14980726)
        self.pay_url = f"{self.url}/paymentv2/vpcpay.html"
        self.pay_page = False  # True: the GET shows the pay page; its buttons' POST pays or cancels
        self.paid: dict[str, dict] = {}  # vnp_TransactionNo → {"txn_ref", "amount", "refunded", "create_date"}
        self.refunds: dict[str, tuple[dict, dict]] = {}  # vnp_RequestId → (request body, answer)
        self.refund_requests = 0
        self.refunds_made: list[str] = []  # the vnp_RequestId of each refund actually made
        self.refuse_next_refunds: list[tuple[str, str]] = []  # answered with these (code, message), in turn
        self.fail_next_refunds = 0  # the next n refunds answer 503 before doing anything
        self.response_ids = itertools.count(1)

    def handle(self, request: Request) -> Response:
        params = dict(request.args)
        with self.lock:
            self.calls.append(request.path)
        if request.method == "POST" and request.path == "/merchant_webapi/api/transaction":
            return self.transaction_api(request)
        if request.path != "/paymentv2/vpcpay.html":
            return Response("not found", status=404)
        missing = [name for name in self.REQUIRED if not params.get(name)]
        if missing or params.get("vnp_Version") != "2.1.0" or params.get("vnp_TmnCode") != self.tmn_code:
            return Response(f"Code 03: Dữ liệu gửi sang không đúng định dạng {missing}", status=200)
        if "vnp_SecureHashType" in params or not hmac.compare_digest(
            params.get("vnp_SecureHash", ""), vnpay_hash(params, self.secret)
        ):
            return Response("Code 70: Sai chữ ký", status=200)
        if int(params["vnp_Amount"]) % 100:
            return Response("Code 03: Số tiền không hợp lệ", status=200)
        if self.pay_page and request.method == "GET":
            return pay_page("Cổng thanh toán VNPAY", int(params["vnp_Amount"]) // 100, request.full_path)
        outcome = self.outcome
        if self.pay_page:
            outcome = "paid" if request.form.get("action") == "pay" else "declined"
        result = self.result(params, outcome)
        answer = requests.get(self.ipn_url, params=result, timeout=10)
        with self.lock:
            self.ipn_answers.append((answer.status_code, answer.text))
        return Response(status=302, headers={"Location": f"{params['vnp_ReturnUrl']}?{urlencode(result)}"})

    def result(self, request_params: dict[str, str], outcome: str | None = None) -> dict[str, str]:
        """The IPN (and return URL) query VNPay sends after the buyer paid or cancelled."""
        paid = (outcome or self.outcome) == "paid"
        result = {
            "vnp_Amount": str(int(request_params["vnp_Amount"]) + self.amount_offset * 100),
            "vnp_BankCode": "NCB",
            "vnp_BankTranNo": "VNP14980726" if paid else "",
            "vnp_CardType": "ATM",
            "vnp_OrderInfo": request_params["vnp_OrderInfo"],
            "vnp_PayDate": time.strftime("%Y%m%d%H%M%S", time.gmtime(time.time() + 7 * 3600)),
            "vnp_ResponseCode": "00" if paid else "24",
            "vnp_TmnCode": self.tmn_code,
            "vnp_TransactionNo": str(next(self.transaction_numbers)) if paid else "0",
            "vnp_TransactionStatus": "00" if paid else "02",
            "vnp_TxnRef": request_params["vnp_TxnRef"],
        }
        result["vnp_SecureHash"] = vnpay_hash(result, "forged-" + self.secret if self.forge else self.secret)
        if paid:
            with self.lock:
                self.paid[result["vnp_TransactionNo"]] = {
                    "txn_ref": result["vnp_TxnRef"], "amount": int(result["vnp_Amount"]) // 100, "refunded": 0,
                    "create_date": request_params.get("vnp_CreateDate", ""), "pay_date": result["vnp_PayDate"],
                }  # fmt: skip
        return result

    def transaction_api(self, request: Request) -> Response:
        """VNPay's refund: its `|`-joined hash checked, idempotent on vnp_RequestId, its answer signed."""
        with self.lock:
            self.refund_requests += 1
            if self.fail_next_refunds:
                self.fail_next_refunds -= 1
                return Response("busy", status=503)
        body = request.get_json(silent=True) or {}
        if body.get("vnp_Command") != "refund":
            return self._refund_answer(body, "03", "Dữ liệu gửi sang không đúng định dạng")
        expected = vnpay_pipe_hash(self.secret, *(body.get(name, "") for name in VNPAY_REFUND_FIELDS))
        if not hmac.compare_digest(str(body.get("vnp_SecureHash", "")), expected):
            return self._refund_answer(body, "97", "Checksum không hợp lệ")
        if body.get("vnp_TmnCode") != self.tmn_code:
            return self._refund_answer(body, "02", "Mã định danh kết nối không hợp lệ")
        with self.lock:
            seen = self.refunds.get(body.get("vnp_RequestId", ""))
            if seen is not None:  # the same request again: its first answer, nothing refunded twice
                return Response(json.dumps(seen[1]), content_type="application/json")
            answer = self._refund_once(body)
            self.refunds[body["vnp_RequestId"]] = (body, answer)
        return Response(json.dumps(answer), content_type="application/json")

    def _refund_once(self, body: dict) -> dict:
        """Under the lock: refund if VNPay would, and its signed answer."""
        paid = self.paid.get(str(body.get("vnp_TransactionNo")))
        amount = int(body["vnp_Amount"]) // 100 if str(body.get("vnp_Amount", "")).isdigit() else 0
        full = body.get("vnp_TransactionType") == "02"
        if self.refuse_next_refunds:
            code, message = self.refuse_next_refunds.pop(0)
        elif paid is None or paid["txn_ref"] != body.get("vnp_TxnRef"):
            code, message = "91", "Không tìm thấy giao dịch yêu cầu hoàn trả"
        elif body.get("vnp_TransactionDate") != paid["create_date"] or full != (amount == paid["amount"]):
            code, message = "03", "Dữ liệu gửi sang không đúng định dạng"
        elif not 1 <= amount <= paid["amount"] - paid["refunded"]:
            code, message = "95", "Giao dịch này không thành công bên VNPAY. VNPAY từ chối xử lý yêu cầu"
        else:
            paid["refunded"] += amount
            self.refunds_made.append(body["vnp_RequestId"])
            code, message = "00", "Yêu cầu thành công"
        return self._signed_answer(body, code, message, paid)

    def _refund_answer(self, body: dict, code: str, message: str) -> Response:
        return Response(json.dumps(self._signed_answer(body, code, message, None)), content_type="application/json")

    def _signed_answer(self, body: dict, code: str, message: str, paid: dict | None) -> dict:
        answer = {
            "vnp_ResponseId": f"{next(self.response_ids):020d}", "vnp_Command": "refund", "vnp_ResponseCode": code,
            "vnp_Message": message, "vnp_TmnCode": self.tmn_code, "vnp_TxnRef": body.get("vnp_TxnRef", ""),
            "vnp_Amount": body.get("vnp_Amount", ""), "vnp_BankCode": "NCB",
            "vnp_PayDate": paid["pay_date"] if paid else "", "vnp_TransactionNo": body.get("vnp_TransactionNo", ""),
            "vnp_TransactionType": body.get("vnp_TransactionType", ""),
            "vnp_TransactionStatus": "05" if code == "00" else "", "vnp_OrderInfo": body.get("vnp_OrderInfo", ""),
        }  # fmt: skip
        answer["vnp_SecureHash"] = vnpay_pipe_hash(self.secret, *(answer[name] for name in VNPAY_REFUND_ANSWER_FIELDS))
        return answer


# --- MoMo --------------------------------------------------------------------------------


def momo_hash(secret: str, raw: str) -> str:
    return hmac.new(secret.encode(), raw.encode(), hashlib.sha256).hexdigest()


class FakeMoMo(_FakeServer):
    """`POST /v2/gateway/api/create` checks and stores the payment; `GET /pay/<orderId>` pays and sends the IPN;
    `POST /v2/gateway/api/refund` returns (part of) a paid transaction."""

    def __init__(
        self,
        partner_code: str = MOMO_TEST["partner_code"],
        access_key: str = MOMO_TEST["access_key"],
        secret_key: str = MOMO_TEST["secret_key"],
    ):
        super().__init__()
        self.partner_code, self.access_key, self.secret_key = partner_code, access_key, secret_key
        self.payments: dict[str, dict] = {}  # orderId → create body
        self.hang_seconds = 1.0
        self.forge = False
        self.result_code = 0  # 1006: the buyer refused
        self.trans_ids = itertools.count(4088878653)
        self.paid: dict[int, dict] = {}  # transId → {"orderId", "amount", "refunded"} of each successful IPN
        self.refunds: dict[str, tuple[dict, dict]] = {}  # requestId → (request body, answer) of every refund asked
        self.refund_requests = 0
        self.refunded_trans_ids: list[int] = []  # MoMo's id of each refund actually made
        self.refuse_next_refunds: list[tuple[int, str]] = []  # answered with these (resultCode, message), in turn
        self.fail_next_refunds = 0  # the next n refunds answer 503 before doing anything
        self.hang_next_refunds = 0  # the next n refunds are made, then answered too late
        self.refund_trans_ids = itertools.count(4099000001)
        self.pay_page = False  # True: GET /pay/<orderId> shows the pay page; its buttons' POST pays or cancels
        self.pay_base = (
            self.url
        )  # where the payUrls it answers point (another origin: a MoMo host the shop did not expect)

    def handle(self, request: Request) -> Response:
        with self.lock:
            self.calls.append(request.path)
        if request.method == "POST" and request.path == "/v2/gateway/api/create":
            return self.create(request)
        if request.method == "GET" and request.path.startswith("/pay/"):
            if self.pay_page:
                return self.show(request.path.removeprefix("/pay/"))
            return self.pay(request.path.removeprefix("/pay/"))
        if request.method == "POST" and request.path.startswith("/pay/") and self.pay_page:
            return self.pay(request.path.removeprefix("/pay/"), request.form.get("action") == "pay")
        if request.method == "POST" and request.path == "/v2/gateway/api/refund":
            return self.refund(request)
        return Response("not found", status=404)

    def create(self, request: Request) -> Response:
        busy, hang = self._create_fault()
        if busy is not None:
            return busy
        body = request.get_json(silent=True) or {}
        fields = ("amount", "extraData", "ipnUrl", "orderId", "orderInfo", "partnerCode", "redirectUrl", "requestId",
                  "requestType")  # fmt: skip
        raw = f"accessKey={self.access_key}&" + "&".join(f"{name}={body.get(name, '')}" for name in fields)
        if body.get("partnerCode") != self.partner_code or not hmac.compare_digest(
            str(body.get("signature", "")), momo_hash(self.secret_key, raw)
        ):
            return self._answer(body, 11, "Truy cập bị từ chối. Sai chữ ký.")
        amount = body.get("amount")
        if not isinstance(amount, int) or not 1_000 <= amount <= 50_000_000:
            return self._answer(body, 22, "Số tiền giao dịch không hợp lệ.")
        with self.lock:
            stored = self.payments.setdefault(body["orderId"], body)
        if stored["requestId"] != body["requestId"] or stored["amount"] != amount:
            return self._answer(body, 41, "Trùng orderId.")
        if hang:
            time.sleep(self.hang_seconds)
        return self._answer(body, 0, "Thành công.", payUrl=f"{self.pay_base}/pay/{body['orderId']}")

    def _answer(self, body: dict, result_code: int, message: str, **extra) -> Response:
        answer = {
            "partnerCode": body.get("partnerCode"), "orderId": body.get("orderId"), "requestId": body.get("requestId"),
            "amount": body.get("amount"), "responseTime": int(time.time() * 1000), "message": message,
            "resultCode": result_code, **extra,
        }  # fmt: skip
        return Response(json.dumps(answer), content_type="application/json")

    def show(self, order_id: str) -> Response:
        payment = self.payments.get(order_id)
        if payment is None:
            return Response("Giao dịch không tồn tại", status=404)
        return pay_page("Thanh toán qua Ví MoMo", payment["amount"], f"/pay/{order_id}")

    def pay(self, order_id: str, accepted: bool | None = None) -> Response:
        """Pay (or, `accepted` False, refuse) a created payment: the IPN, then back to the shop.

        From the pay page (`accepted` given) the way back carries the signed result, as MoMo's does.
        """
        payment = self.payments.get(order_id)
        if payment is None:
            return Response("Giao dịch không tồn tại", status=404)
        ipn = self.ipn(payment, self.result_code if accepted is None else 0 if accepted else 1006)
        answer = requests.post(payment["ipnUrl"], json=ipn, timeout=15)
        with self.lock:
            self.ipn_answers.append((answer.status_code, answer.text))
        location = payment["redirectUrl"] or "/"
        if accepted is not None:
            location = f"{location}?{urlencode(ipn)}"
        return Response(status=302, headers={"Location": location})

    def ipn(self, payment: dict, result_code: int | None = None) -> dict:
        """The IPN body MoMo posts: every field its signature covers, in MoMo's own shape."""
        result_code = self.result_code if result_code is None else result_code
        body = {
            "partnerCode": self.partner_code, "orderId": payment["orderId"], "requestId": payment["requestId"],
            "amount": payment["amount"], "orderInfo": payment["orderInfo"], "orderType": "momo_wallet",
            "transId": next(self.trans_ids), "resultCode": result_code,
            "message": "Thành công." if result_code == 0 else "Giao dịch bị từ chối bởi người dùng.",
            "payType": "qr", "responseTime": int(time.time() * 1000), "extraData": payment["extraData"],
        }  # fmt: skip
        names = ("amount", "extraData", "message", "orderId", "orderInfo", "orderType", "partnerCode", "payType",
                 "requestId", "responseTime", "resultCode", "transId")  # fmt: skip
        raw = f"accessKey={self.access_key}&" + "&".join(f"{name}={body[name]}" for name in names)
        body["signature"] = momo_hash("forged" if self.forge else self.secret_key, raw)
        if result_code == 0:
            with self.lock:
                self.paid[body["transId"]] = {"orderId": payment["orderId"], "amount": payment["amount"], "refunded": 0}
        return body

    def refund(self, request: Request) -> Response:
        """MoMo's refund: signed over accessKey, amount, description, orderId, partnerCode, requestId, transId."""
        with self.lock:
            self.refund_requests += 1
            if self.fail_next_refunds:
                self.fail_next_refunds -= 1
                return Response("busy", status=503)
            hang = self.hang_next_refunds > 0
            self.hang_next_refunds -= 1 if hang else 0
        body = request.get_json(silent=True) or {}
        fields = ("amount", "description", "orderId", "partnerCode", "requestId", "transId")
        raw = f"accessKey={self.access_key}&" + "&".join(f"{name}={body.get(name, '')}" for name in fields)
        if body.get("partnerCode") != self.partner_code or not hmac.compare_digest(
            str(body.get("signature", "")), momo_hash(self.secret_key, raw)
        ):
            return self._answer(body, 11, "Truy cập bị từ chối. Sai chữ ký.")
        amount, trans_id = body.get("amount"), body.get("transId")
        if not all(isinstance(value, int) and not isinstance(value, bool) for value in (amount, trans_id)):
            return self._answer(body, 20, "Yêu cầu sai định dạng.")
        with self.lock:
            seen = self.refunds.get(body.get("requestId"))
            if seen is not None:  # the same request again: its first answer, nothing done twice
                if seen[0] != body:
                    return self._answer(body, 40, "Trùng requestId.")
                answer = seen[1]
            else:
                answer = self._refund_once(body, amount, trans_id)
                self.refunds[body["requestId"]] = (body, answer)
        if hang:
            time.sleep(self.hang_seconds)
        return Response(json.dumps(answer), content_type="application/json")

    def _refund_once(self, body: dict, amount: int, trans_id: int) -> dict:
        """Under the lock: refund if MoMo would, and the answer."""
        paid = self.paid.get(trans_id)
        used = {payment["orderId"] for payment in self.paid.values()} | {
            stored["orderId"] for stored, _ in self.refunds.values()
        }
        if body.get("orderId") in used:
            code, message = 41, "Trùng orderId."
        elif self.refuse_next_refunds:
            code, message = self.refuse_next_refunds.pop(0)
        elif paid is None:
            code, message = 42, "Giao dịch không tồn tại."
        elif not 1_000 <= amount <= paid["amount"] - paid["refunded"]:
            code, message = 1081, "Giao dịch hoàn tiền bị từ chối: vượt quá số tiền có thể hoàn."
        else:
            paid["refunded"] += amount
            code, message = 0, "Thành công."
        answer = {
            "partnerCode": body.get("partnerCode"), "orderId": body.get("orderId"), "requestId": body.get("requestId"),
            "amount": amount, "transId": next(self.refund_trans_ids) if code == 0 else 0, "resultCode": code,
            "message": message, "responseTime": int(time.time() * 1000),
        }  # fmt: skip
        if code == 0:
            self.refunded_trans_ids.append(answer["transId"])
        return answer
