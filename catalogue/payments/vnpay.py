"""VNPay 2.1.0: the signed redirect to the pay page, the IPN and return-URL check, the IPN answer.

One signing function for the pay URL, the IPN and the return URL: the `vnp_*` parameters sorted
by name, form-encoded (space as `+`, as Python's `urlencode` writes it), joined with `&`, then
hex HMAC-SHA512 with the hash secret. The tests check it against an IPN VNPay's sandbox sent
(published with its secret) and against `openssl`. Only the IPN records anything; the return
URL only shows.

Refunds go by VNPay's refund API (`POST {VNPAY_API}/merchant_webapi/api/transaction`,
`vnp_Command=refund`) only when VNPAY_API is set: the API needs a separate agreement with VNPay,
and without it the office refunds in VNPay's merchant portal (`refund` answers by_hand). That
call and its answer are signed differently: HMAC-SHA512 over the values joined by `|`, in
VNPay's fixed order (REFUND_FIELDS, REFUND_ANSWER_FIELDS).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests

from catalogue.payments.port import (
    ALREADY_SETTLED,
    DUPLICATE,
    UNKNOWN_ATTEMPT,
    VIETNAM_TIME,
    WRONG_AMOUNT,
    Answer,
    BadSignature,
    Inbound,
    MalformedNotification,
    OrderFacts,
    PaymentNotice,
    PaymentStart,
    ProviderRefused,
    ProviderUnavailable,
    RailLabels,
    RailText,
    RefundOutcome,
    ReturnResult,
    order_code_of,
    origin_of,
    required_settings,
)
from catalogue.payments.provider_http import post_for_json
from catalogue.payments.vnpay_ipn import IpnAnswer

log = logging.getLogger(__name__)

SANDBOX_URL = "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"
SANDBOX_API = "https://sandbox.vnpayment.vn"  # VNPAY_API's value for the sandbox (refunds need VNPay's say-so)
TRANSACTION_PATH = "/merchant_webapi/api/transaction"
CONNECT_TIMEOUT_SECONDS = 3.05
READ_TIMEOUT_SECONDS = 30
# The refund request's hash data and the answer's, in VNPay's order, `|`-joined (VNPay's "API
# Hoàn tiền" page; the same order as the `vnpay` npm package, lehuygiang28/vnpay,
# src/services/query.service.ts `refund`): an absent value is empty.
REFUND_FIELDS = (
    "vnp_RequestId", "vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_TransactionType", "vnp_TxnRef", "vnp_Amount",
    "vnp_TransactionNo", "vnp_TransactionDate", "vnp_CreateBy", "vnp_CreateDate", "vnp_IpAddr", "vnp_OrderInfo",
)  # fmt: skip
REFUND_ANSWER_FIELDS = (
    "vnp_ResponseId", "vnp_Command", "vnp_ResponseCode", "vnp_Message", "vnp_TmnCode", "vnp_TxnRef", "vnp_Amount",
    "vnp_BankCode", "vnp_PayDate", "vnp_TransactionNo", "vnp_TransactionType", "vnp_TransactionStatus",
    "vnp_OrderInfo",
)  # fmt: skip
FULL_REFUND, PARTIAL_REFUND = "02", "03"  # vnp_TransactionType
# 94: a refund of this transaction was asked before and VNPay is processing it: it may be made.
UNCONFIRMED_REFUND_CODES = ("94",)
CREATED_BY = "ocop-quangninh"  # vnp_CreateBy: who asks (the shop's system, for the office)
_REQUEST_ID = re.compile(r"[0-9A-Za-z]{1,32}")
VERSION = "2.1.0"
DATE_FORMAT = "%Y%m%d%H%M%S"
DEFAULT_LIFETIME = timedelta(minutes=15)
_UNSIGNED = {"vnp_SecureHash", "vnp_SecureHashType"}
_TXN_REF = re.compile(r"[0-9A-Za-z_-]{1,100}")


def signing_string(params: Mapping[str, str]) -> str:
    """The string VNPay signs: `vnp_*` parameters but the hash, sorted, form-encoded, `&`-joined."""
    # Empty values are signed too, as VNPay's own PHP sample does.
    signed = [(key, str(value)) for key, value in params.items() if key.startswith("vnp_") and key not in _UNSIGNED]
    return urlencode(sorted(signed))


def sign(params: Mapping[str, str], hash_secret: str) -> str:
    """Hex HMAC-SHA512 of `signing_string(params)` with the merchant's hash secret."""
    return hmac.new(hash_secret.encode(), signing_string(params).encode(), hashlib.sha512).hexdigest()


def pipe_hash(fields: tuple[str, ...], values: Mapping[str, object], hash_secret: str) -> str:
    """Hex HMAC-SHA512 over `values` of `fields` joined by `|` (the refund API's signature)."""
    data = "|".join("" if values.get(name) is None else str(values.get(name)) for name in fields)
    return hmac.new(hash_secret.encode(), data.encode(), hashlib.sha512).hexdigest()


def vietnam_time(moment: datetime) -> str:
    """`yyyyMMddHHmmss` in GMT+7, whatever zone `moment` is in (it must carry one)."""
    if moment.tzinfo is None:
        raise ValueError("VNPay dates need an aware datetime")
    return moment.astimezone(VIETNAM_TIME).strftime(DATE_FORMAT)


def order_info(text: str) -> str:
    """vnp_OrderInfo as VNPay wants it: Vietnamese without diacritics, no special characters, ≤ 255."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))  # keeps case, unlike text.fold
    return " ".join(re.sub(r"[^0-9A-Za-z ]+", " ", plain).split())[:255] or "Thanh toan don hang"


REQUIRED_SETTINGS = ("VNPAY_TMN_CODE", "VNPAY_HASH_SECRET")  # all of them turn the rail on


def _now() -> datetime:
    return datetime.now(UTC)


class VNPay:
    """One merchant terminal (TMN code + hash secret) at one pay URL (sandbox or production)."""

    name = "vnpay"
    labels = RailLabels(
        brand="VNPay",
        vi=RailText(
            name="VNPay",
            description="Thẻ ATM nội địa, QR hoặc ứng dụng ngân hàng qua cổng VNPay.",
            how="Sau khi đặt hàng, bạn được chuyển sang trang thanh toán của VNPay để trả bằng thẻ ATM nội địa "
            "(Napas), thẻ quốc tế hoặc quét mã bằng ứng dụng ngân hàng. Đơn chỉ được xác nhận khi VNPay "
            "gửi kết quả có chữ ký cho cửa hàng.",
            refund="Cửa hàng hoàn lại số tiền đã thanh toán; thời gian tiền về tuỳ ngân hàng của bạn.",
            refunded_to="tài khoản hoặc thẻ bạn đã dùng để thanh toán qua VNPay",
        ),
        en=RailText(
            name="VNPay",
            description="Domestic ATM card, QR or banking app through the VNPay gateway.",
            how="After you order, you are taken to VNPay's payment page to pay with a domestic ATM card (Napas), an "
            "international card or by scanning a code with your banking app. The order is confirmed only when VNPay "
            "sends the shop a signed result.",
            refund="The shop refunds the amount paid; how soon it arrives depends on your bank.",
            refunded_to="the account or card you paid with through VNPay",
        ),
        invoice="Thẻ/VNPay",
    )
    starts_online = False  # the pay page's URL is signed here: no call to VNPay
    notification_methods = ("GET",)
    unconfirmed_refund_codes = UNCONFIRMED_REFUND_CODES

    def __init__(
        self,
        tmn_code: str,
        hash_secret: str,
        pay_url: str = SANDBOX_URL,
        api_url: str | None = None,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS),
        attempts: int = 3,
        clock: Callable[[], datetime] = _now,
    ):
        self.tmn_code, self._hash_secret, self.pay_url = tmn_code, hash_secret, pay_url
        self.api_url = api_url.rstrip("/") if api_url else None  # VNPAY_API: refunds by API when set
        self._session = session or requests.Session()
        self._timeout, self._attempts, self._clock = timeout, attempts, clock

    @property
    def refunds_by_api(self) -> bool:
        """True when VNPAY_API is set: VNPay's refund API returns the money, else the office does by hand."""
        return self.api_url is not None

    @property
    def handoff_origins(self) -> tuple[str, ...]:
        """Where `start` sends the buyer's browser: the pay URL's origin (the shop's CSP must allow it)."""
        return (origin_of(self.pay_url),)

    def payment_params(self, order: OrderFacts, bank_code: str | None = None) -> dict[str, str]:
        """The signed `vnp_*` parameters of one attempt (its TxnRef must be new for every attempt)."""
        if not _TXN_REF.fullmatch(order.attempt_reference):
            raise ValueError("vnp_TxnRef is 1 to 100 letters, digits, '-' or '_'")
        if not isinstance(order.amount_vnd, int) or order.amount_vnd < 1:
            raise ValueError("the amount is a whole number of dong")
        if order.created_at is None or not order.return_url:
            raise ValueError("the attempt needs its creation time and a return URL")
        params = {
            "vnp_Version": VERSION,
            "vnp_Command": "pay",
            "vnp_TmnCode": self.tmn_code,
            "vnp_Amount": str(order.amount_vnd * 100),  # VNPay counts in hundredths of a dong
            "vnp_CreateDate": vietnam_time(order.created_at),
            "vnp_ExpireDate": vietnam_time(order.expires_at or order.created_at + DEFAULT_LIFETIME),
            "vnp_CurrCode": "VND",
            "vnp_IpAddr": order.buyer_ip,
            "vnp_Locale": "en" if order.locale.startswith("en") else "vn",
            "vnp_OrderInfo": order_info(order.description),
            "vnp_OrderType": "other",
            "vnp_ReturnUrl": order.return_url,
            "vnp_TxnRef": order.attempt_reference,
        }
        if bank_code:
            params["vnp_BankCode"] = bank_code
        params["vnp_SecureHash"] = sign(params, self._hash_secret)
        return params

    def start(self, order: OrderFacts) -> PaymentStart:
        """The redirect to VNPay's pay page for this attempt."""
        query = urlencode(self.payment_params(order))
        url = f"{self.pay_url}?{query}"
        return PaymentStart(provider=self.name, reference=order.attempt_reference, redirect_url=url)

    def verify(self, query: Mapping[str, str]) -> PaymentNotice:
        """Check an IPN's (or the return URL's) hash and read it; BadSignature / MalformedNotification else."""
        given = str(query.get("vnp_SecureHash") or "")
        if not given or not hmac.compare_digest(given.lower().encode(), sign(query, self._hash_secret).encode()):
            raise BadSignature("vnp_SecureHash does not verify")
        if query.get("vnp_TmnCode") != self.tmn_code:
            raise MalformedNotification("the notice is for another terminal")
        txn_ref = str(query.get("vnp_TxnRef") or "")
        amount = str(query.get("vnp_Amount") or "")
        if not amount.isdigit() or int(amount) % 100:
            raise MalformedNotification("vnp_Amount is not a whole number of dong × 100")
        succeeded = query.get("vnp_ResponseCode") == "00" and query.get("vnp_TransactionStatus") == "00"
        return PaymentNotice(
            provider=self.name,
            reference=txn_ref,
            order_code=order_code_of(txn_ref),
            amount_vnd=int(amount) // 100,
            succeeded=succeeded,
            raw_id=txn_ref,  # one final result per attempt; VNPay repeats the same IPN until answered
            message=str(query.get("vnp_ResponseCode") or ""),
            details={
                key: str(query.get(key) or "")
                for key in ("vnp_TransactionNo", "vnp_BankCode", "vnp_PayDate", "vnp_TransactionStatus")
            },
        )

    # --- the rail's routes (catalogue.payments.registry) -------------------------------

    def read_notification(self, inbound: Inbound) -> PaymentNotice:
        """VNPay's IPN comes as a signed GET query."""
        return self.verify(inbound.args)

    def answer(self, outcome: str | None, error: Exception | None = None) -> Answer:
        """VNPay's RspCode for what the IPN did: always 200, as VNPay's contract says."""
        if isinstance(error, BadSignature):
            return Answer(200, IpnAnswer.INVALID_CHECKSUM.body())
        if error is not None:
            return Answer(200, IpnAnswer.UNKNOWN_ERROR.body())
        answers = {UNKNOWN_ATTEMPT: IpnAnswer.ORDER_NOT_FOUND, WRONG_AMOUNT: IpnAnswer.INVALID_AMOUNT,
                   DUPLICATE: IpnAnswer.ALREADY_CONFIRMED, ALREADY_SETTLED: IpnAnswer.ALREADY_CONFIRMED}  # fmt: skip
        return Answer(200, answers.get(outcome, IpnAnswer.CONFIRMED).body())

    def read_return(self, inbound: Inbound) -> ReturnResult:
        """The buyer's browser back from VNPay, its hash checked: what VNPay told the buyer."""
        notice = self.verify(inbound.args)
        return ReturnResult(notice.order_code or "", "succeeded" if notice.succeeded else "failed")

    # --- refunds (VNPAY_API) -----------------------------------------------------------

    def refundable(self, payment: PaymentNotice, amount_vnd: int) -> bool:
        """True when the refund API is on and knows the payment (its vnp_TransactionNo), up to what was paid."""
        number = str(payment.details.get("vnp_TransactionNo") or "")
        return self.refunds_by_api and number.isdigit() and number != "0" and 1 <= amount_vnd <= payment.amount_vnd

    def refund_reference(self, payment: PaymentNotice, amount_vnd: int, refused_before: int = 0, part: str = "") -> str:
        """vnp_RequestId: the payment's TxnRef and the amount (≤ 32 letters and digits), the same when asked again.

        Only after VNPay refused it, so that nothing went back, is it asked under a new one.
        """
        plain = re.sub(r"[^0-9A-Za-z]", "", payment.reference)
        value = f"{plain}R{amount_vnd}" + re.sub(r"[^0-9A-Za-z]", "", part)  # part: a returned parcel (P12)
        value += f"N{refused_before}" if refused_before else ""
        if len(value) > 32:  # a long TxnRef: its digest keeps the id derived, and short enough
            value = hashlib.sha256(value.encode()).hexdigest()[:32]
        return value

    def refund_request(self, payment: PaymentNotice, amount_vnd: int, reason: str, request_id: str) -> dict:
        """The signed JSON body of VNPay's refund (`vnp_Command=refund`) of `amount_vnd` of `payment`."""
        if not self.refundable(payment, amount_vnd):
            raise ValueError("VNPay refunds a known transaction, up to what was paid, with VNPAY_API set")
        if not _REQUEST_ID.fullmatch(request_id):
            raise ValueError("vnp_RequestId is 1 to 32 letters and digits")
        body = {
            "vnp_RequestId": request_id,
            "vnp_Version": VERSION,
            "vnp_Command": "refund",
            "vnp_TmnCode": self.tmn_code,
            "vnp_TransactionType": FULL_REFUND if amount_vnd == payment.amount_vnd else PARTIAL_REFUND,
            "vnp_TxnRef": payment.reference,
            "vnp_Amount": str(amount_vnd * 100),
            "vnp_TransactionNo": str(payment.details.get("vnp_TransactionNo")),
            "vnp_TransactionDate": _paid_on(payment),
            "vnp_CreateBy": CREATED_BY,
            "vnp_CreateDate": vietnam_time(self._clock()),
            "vnp_IpAddr": "127.0.0.1",
            "vnp_OrderInfo": order_info(reason or "Hoan tien"),
        }
        body["vnp_SecureHash"] = pipe_hash(REFUND_FIELDS, body, self._hash_secret)
        return body

    def refund(
        self, notice: PaymentNotice, amount_vnd: int, reason: str, request_id: str | None = None
    ) -> RefundOutcome:
        """Refund by VNPay's API when VNPAY_API is set; else by hand in VNPay's merchant portal.

        VNPay signs its answer (REFUND_ANSWER_FIELDS): one that does not verify, or names another
        request, is no answer (ProviderUnavailable). vnp_ResponseCode 00 is the confirmation; any
        other is ProviderRefused (94: asked before, VNPay is processing it: unconfirmed).
        """
        if not self.refunds_by_api:
            reference = notice.details.get("vnp_TransactionNo", "")
            return RefundOutcome(provider=self.name, by_hand=True, reference=reference, message=reason)
        body = self.refund_request(notice, amount_vnd, reason, request_id or self.refund_reference(notice, amount_vnd))
        answer = self._post(body)
        code = str(answer.get("vnp_ResponseCode") or "")
        given = str(answer.get("vnp_SecureHash") or "").lower()
        if not given or not hmac.compare_digest(given, pipe_hash(REFUND_ANSWER_FIELDS, answer, self._hash_secret)):
            raise ProviderUnavailable(f"VNPay's refund answer ({code}) is not signed by VNPay")
        if code != "00":
            raise ProviderRefused(self.name, code, str(answer.get("vnp_Message") or ""))
        if answer.get("vnp_TmnCode") != self.tmn_code or answer.get("vnp_TxnRef") != notice.reference:
            raise ProviderUnavailable("VNPay's refund answer does not name this refund")
        reference = str(answer.get("vnp_TransactionNo") or answer.get("vnp_ResponseId") or "")
        return RefundOutcome(provider=self.name, by_hand=False, reference=reference, message=reason)

    def _post(self, body: dict) -> dict:
        return post_for_json(self._session, self.api_url + TRANSACTION_PATH, provider="VNPay", timeout=self._timeout,
                             attempts=self._attempts, json=body)  # fmt: skip


def _paid_on(payment: PaymentNotice) -> str:
    """vnp_TransactionDate: the pay request's vnp_CreateDate (its redirect URL keeps it), else VNPay's PayDate."""
    query = dict(parse_qsl(urlsplit(str(payment.details.get("attempt_redirect_url") or "")).query))
    return query.get("vnp_CreateDate") or str(payment.details.get("vnp_PayDate") or "")


def from_config(config: Mapping) -> VNPay | None:
    """VNPay for VNPAY_TMN_CODE / VNPAY_HASH_SECRET (VNPAY_URL defaults to the sandbox), or None.

    VNPAY_API (e.g. https://sandbox.vnpayment.vn) turns on refunds by VNPay's API; unset, refunds stay by hand.
    """
    settings = required_settings(config, *REQUIRED_SETTINGS)
    if settings is None:
        return None
    api = (config.get("VNPAY_API") or "").strip() or None
    return VNPay(settings["VNPAY_TMN_CODE"], settings["VNPAY_HASH_SECRET"], config.get("VNPAY_URL") or SANDBOX_URL, api)
