"""MoMo e-wallet (AIO v2): the signed create request, the IPN check, and refunds by API.

Signatures are hex HMAC-SHA256 with the secret key over `k=v&…` in a fixed, alphabetical
field order, values raw (not URL-encoded). The IPN's fields are those of MoMo's own samples
(momo-wallet/payment `ipn_momo.php`, minus its duplicated `payType`): accessKey, amount,
extraData, message, orderId, orderInfo, orderType, partnerCode, payType, requestId,
responseTime, resultCode, transId. Create and refund are idempotent on requestId, so both
are retried on a dropped connection or a 5xx with the same ids.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Mapping

import requests

from catalogue import json_input
from catalogue.payments.port import (
    UNKNOWN_ATTEMPT,
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

log = logging.getLogger(__name__)

TEST_API_BASE = "https://test-payment.momo.vn"
MIN_AMOUNT_VND = 1_000
MAX_AMOUNT_VND = 50_000_000
CONNECT_TIMEOUT_SECONDS = 3.05
READ_TIMEOUT_SECONDS = 30  # MoMo asks for at least 30 s on create
CREATE_FIELDS = (
    "accessKey", "amount", "extraData", "ipnUrl", "orderId", "orderInfo", "partnerCode", "redirectUrl", "requestId",
    "requestType",
)  # fmt: skip
IPN_FIELDS = (
    "accessKey", "amount", "extraData", "message", "orderId", "orderInfo", "orderType", "partnerCode", "payType",
    "requestId", "responseTime", "resultCode", "transId",
)  # fmt: skip
REFUND_FIELDS = ("accessKey", "amount", "description", "orderId", "partnerCode", "requestId", "transId")
# Answers that do not say the refund was refused: MoMo already has a request with this requestId (40)
# or orderId (41), perhaps made before we heard; or it is still being processed (1000, 7000, 7002).
UNCONFIRMED_REFUND_CODES = (40, 41, 1000, 7000, 7002)
_ORDER_ID = re.compile(r"[0-9a-zA-Z]([-_.]*[0-9a-zA-Z]+)*")


def raw_signature(fields: tuple[str, ...], values: Mapping[str, object]) -> str:
    """`accessKey=…&amount=…&…` over `fields` in order, values as MoMo writes them (raw)."""
    return "&".join(f"{name}={_raw(values.get(name))}" for name in fields)


def _raw(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        raise MalformedNotification("a MoMo field is a boolean")
    return str(value)


def signature(secret_key: str, fields: tuple[str, ...], values: Mapping[str, object]) -> str:
    """Hex HMAC-SHA256 of `raw_signature` with the secret key."""
    return hmac.new(secret_key.encode(), raw_signature(fields, values).encode(), hashlib.sha256).hexdigest()


REQUIRED_SETTINGS = ("MOMO_PARTNER_CODE", "MOMO_ACCESS_KEY", "MOMO_SECRET_KEY")  # all of them turn the rail on


class MoMo:
    """One MoMo partner (partner code, access key, secret key) at one API base."""

    name = "momo"
    labels = RailLabels(
        brand="MoMo",
        vi=RailText(
            name="Ví MoMo",
            description="Thanh toán trong ứng dụng MoMo.",
            how="Sau khi đặt hàng, bạn được chuyển sang MoMo (hoặc quét mã bằng ứng dụng MoMo) để xác nhận "
            "thanh toán. Đơn chỉ được xác nhận khi MoMo gửi kết quả có chữ ký cho cửa hàng.",
            refund="Tiền được hoàn về ví MoMo đã dùng để thanh toán.",
            refunded_to="ví MoMo của bạn",
        ),
        en=RailText(
            name="MoMo wallet",
            description="Pay in the MoMo app.",
            how="After you order, you are taken to MoMo (or scan the code with the MoMo app) to confirm the payment. "
            "The order is confirmed only when MoMo sends the shop a signed result.",
            refund="The money is refunded to the MoMo wallet you paid with.",
            refunded_to="your MoMo wallet",
        ),
        invoice="Ví điện tử MoMo",
    )
    starts_online = True  # MoMo's create API makes the payUrl
    notification_methods = ("POST",)
    refunds_by_api = True  # its signed refund API (catalogue.orders.refunds asks it)
    unconfirmed_refund_codes = UNCONFIRMED_REFUND_CODES

    def __init__(
        self,
        partner_code: str,
        access_key: str,
        secret_key: str,
        api_base: str = TEST_API_BASE,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS),
        attempts: int = 3,
    ):
        self.partner_code, self.access_key, self._secret_key = partner_code, access_key, secret_key
        self.api_base = api_base.rstrip("/")
        self._session = session or requests.Session()
        self._timeout, self._attempts = timeout, attempts

    @property
    def handoff_origins(self) -> tuple[str, ...]:
        """Where the buyer's browser is sent: MoMo's payUrl is on its API host (test-payment / payment.momo.vn)."""
        return (origin_of(self.api_base),)

    # --- create ------------------------------------------------------------------------

    def create_request(self, order: OrderFacts, request_type: str = "captureWallet", extra_data: str = "") -> dict:
        """The signed body of `POST /v2/gateway/api/create` for one attempt (orderId = requestId = its reference)."""
        if not isinstance(order.amount_vnd, int) or not MIN_AMOUNT_VND <= order.amount_vnd <= MAX_AMOUNT_VND:
            raise ValueError(f"MoMo takes {MIN_AMOUNT_VND:,} to {MAX_AMOUNT_VND:,} ₫".replace(",", "."))
        if not _ORDER_ID.fullmatch(order.attempt_reference):
            raise ValueError("MoMo's orderId is letters and digits, joined by '-', '_' or '.'")
        if not order.notify_url:
            raise ValueError("MoMo needs the IPN URL")
        body = {
            "partnerCode": self.partner_code,
            "accessKey": self.access_key,
            "requestId": order.attempt_reference,
            "amount": order.amount_vnd,
            "orderId": order.attempt_reference,
            "orderInfo": order.description[:255],
            "redirectUrl": order.return_url,
            "ipnUrl": order.notify_url,
            "extraData": extra_data,
            "requestType": request_type,
            "lang": "en" if order.locale.startswith("en") else "vi",
        }
        body["signature"] = signature(self._secret_key, CREATE_FIELDS, body)
        del body["accessKey"]  # signed, not sent: MoMo's v2 body carries only the signature
        return body

    def start(self, order: OrderFacts) -> PaymentStart:
        """Create the payment at MoMo and hand the buyer its payUrl."""
        answer = self._post("/v2/gateway/api/create", self.create_request(order))
        if answer.get("resultCode") != 0 or not answer.get("payUrl"):
            raise ProviderUnavailable(f"MoMo refused the payment: {answer.get('resultCode')} {answer.get('message')}")
        return PaymentStart(provider=self.name, reference=order.attempt_reference, redirect_url=answer["payUrl"])

    # --- IPN ---------------------------------------------------------------------------

    def verify(self, body: bytes) -> PaymentNotice:
        """Check an IPN's signature and partner and read it; BadSignature / MalformedNotification else."""
        try:
            data = json_input.loads(body)
        except (ValueError, UnicodeDecodeError) as error:
            raise MalformedNotification("the IPN is not JSON") from error
        if not isinstance(data, dict) or not isinstance(data.get("signature"), str):
            raise BadSignature("the IPN carries no signature")
        values = {**data, "accessKey": self.access_key}
        expected = signature(self._secret_key, IPN_FIELDS, values)
        if not hmac.compare_digest(data["signature"].lower().encode(), expected.encode()):
            raise BadSignature("the IPN signature does not verify")
        if data.get("partnerCode") != self.partner_code:
            raise MalformedNotification("the IPN is for another partner")
        amount, result_code = data.get("amount"), data.get("resultCode")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 1 or not isinstance(result_code, int):
            raise MalformedNotification("amount or resultCode is not a whole number")
        order_id = str(data.get("orderId") or "")
        return PaymentNotice(
            provider=self.name,
            reference=order_id,
            order_code=order_code_of(order_id),
            amount_vnd=amount,
            succeeded=result_code == 0,
            raw_id=f"{order_id}:{data.get('transId')}:{result_code}",
            message=str(data.get("message") or ""),
            details={
                "transId": str(data.get("transId") or ""),
                "payType": str(data.get("payType") or ""),
                "resultCode": str(result_code),
            },
        )

    def read_notification(self, inbound: Inbound) -> PaymentNotice:
        """MoMo's IPN comes as a signed JSON POST."""
        return self.verify(inbound.body)

    def answer(self, outcome: str | None, error: Exception | None = None) -> Answer:
        """204 once recorded (or known already); 401 forged, 400 unreadable, 503 so MoMo sends it again."""
        if isinstance(error, BadSignature):
            return Answer(401, "Invalid MoMo signature: nothing was recorded.")
        if isinstance(error, MalformedNotification):
            return Answer(400, f"Malformed MoMo IPN: {error}")
        if error is not None:
            return Answer(503, "Not recorded; MoMo will send it again.")
        if outcome == UNKNOWN_ATTEMPT:
            return Answer(404, "No such MoMo payment attempt: nothing was recorded.")
        return Answer(204)

    def read_return(self, inbound: Inbound) -> ReturnResult:
        """The buyer's browser back from MoMo: its order; only the IPN records a payment."""
        code = order_code_of(str(inbound.args.get("orderId") or ""))
        return ReturnResult(code, "succeeded" if inbound.args.get("resultCode") == "0" else "pending")

    # --- refund ------------------------------------------------------------------------

    def refundable(self, payment: PaymentNotice, amount_vnd: int) -> bool:
        """True when MoMo can return `amount_vnd` of `payment`: its transId is known, the amount ≥ MoMo's minimum."""
        trans_id = str(payment.details.get("transId") or "")
        return trans_id.isdigit() and MIN_AMOUNT_VND <= amount_vnd <= min(payment.amount_vnd, MAX_AMOUNT_VND)

    def refund_reference(self, payment: PaymentNotice, amount_vnd: int, refused_before: int = 0, part: str = "") -> str:
        """The refund's orderId and requestId: from the payment's attempt reference, the amount (and the part)."""
        return refund_reference(payment.reference, amount_vnd, refused_before, part)

    def refund_request(
        self, notice: PaymentNotice, amount_vnd: int, reason: str, request_id: str | None = None
    ) -> dict:
        """The signed body of `POST /v2/gateway/api/refund` returning `amount_vnd` of the payment `notice` names.

        orderId = requestId = `request_id`, by default `refund_reference(…)`: made from the payment and
        the amount, so the same refund asked again (a retry, a second try after no answer) is the same
        refund at MoMo.
        """
        trans_id = str(notice.details.get("transId") or "")
        if not trans_id.isdigit():
            raise ValueError("the MoMo payment's transId is unknown: it cannot be refunded by API")
        if (
            not isinstance(amount_vnd, int)
            or isinstance(amount_vnd, bool)
            or not MIN_AMOUNT_VND <= amount_vnd <= min(notice.amount_vnd, MAX_AMOUNT_VND)
        ):
            raise ValueError(f"MoMo refunds {MIN_AMOUNT_VND:,} ₫ up to what was paid".replace(",", "."))
        request_id = request_id or refund_reference(notice.reference, amount_vnd)
        if not _ORDER_ID.fullmatch(request_id) or len(request_id) > 50:
            raise ValueError("MoMo's refund orderId is at most 50 letters and digits, joined by '-', '_' or '.'")
        body = {
            "partnerCode": self.partner_code,
            "accessKey": self.access_key,
            "orderId": request_id,
            "requestId": request_id,
            "amount": amount_vnd,
            "transId": int(trans_id),  # MoMo's Long
            "lang": "vi",
            "description": reason[:255],
        }
        body["signature"] = signature(self._secret_key, REFUND_FIELDS, body)
        del body["accessKey"]
        return body

    def refund(
        self, notice: PaymentNotice, amount_vnd: int, reason: str, request_id: str | None = None
    ) -> RefundOutcome:
        """Refund (part of) a MoMo payment by API; its answer with resultCode 0 is MoMo's confirmation.

        MoMo sends no notification for a refund and does not sign its refund answer (its
        documented fields: partnerCode, orderId, requestId, amount, transId, resultCode,
        message, responseTime), so the answer is read only from our own call to MoMo's host and
        must name our partner, this request and this amount. ProviderRefused for a non-zero
        resultCode; ProviderUnavailable when MoMo cannot be reached or answers something else.
        """
        body = self.refund_request(notice, amount_vnd, reason, request_id)
        answer = self._post("/v2/gateway/api/refund", body)
        result_code = answer.get("resultCode")
        if not isinstance(result_code, int) or isinstance(result_code, bool):  # neither yes nor no
            raise ProviderUnavailable("MoMo's refund answer carries no resultCode")
        if result_code != 0:
            raise ProviderRefused(self.name, result_code, str(answer.get("message") or ""))
        if (
            answer.get("partnerCode") != self.partner_code
            or answer.get("requestId") != body["requestId"]
            or answer.get("amount") != amount_vnd
        ):
            raise ProviderUnavailable("MoMo's refund answer does not name this refund")
        return RefundOutcome(
            provider=self.name, by_hand=False, reference=str(answer.get("transId") or ""), message=reason
        )

    # --- HTTP --------------------------------------------------------------------------

    def _post(self, path: str, body: dict) -> dict:
        return post_for_json(self._session, self.api_base + path, provider="MoMo", timeout=self._timeout,
                             attempts=self._attempts, json=body)  # fmt: skip


def refund_reference(payment_reference: str, amount_vnd: int, refused_before: int = 0, part: str = "") -> str:
    """The orderId and requestId of the refund of `amount_vnd` from the payment of attempt `payment_reference`.

    The same refund asked again keeps its id (MoMo makes it once); only after MoMo refused it, so
    that nothing went back, is it asked under a new one (`refused_before` refusals so far). `part`
    (a returned parcel, `P12`) keeps two partial refunds of one payment apart.
    """
    plain = re.sub(r"[^0-9A-Za-z]", "", part)
    value = f"{payment_reference}-R{amount_vnd}" + (f"-{plain}" if plain else "")
    return value + (f"-{refused_before}" if refused_before else "")


def from_config(config: Mapping) -> MoMo | None:
    """MoMo for MOMO_PARTNER_CODE / MOMO_ACCESS_KEY / MOMO_SECRET_KEY (MOMO_API_BASE: test host), or None."""
    settings = required_settings(config, *REQUIRED_SETTINGS)
    if settings is None:
        return None
    return MoMo(
        settings["MOMO_PARTNER_CODE"],
        settings["MOMO_ACCESS_KEY"],
        settings["MOMO_SECRET_KEY"],
        config.get("MOMO_API_BASE") or TEST_API_BASE,
    )
