"""ZaloPay v2 (app_id, key1, key2): create an order, read its status, refund it, by ZaloPay's open API.

Requests are form-encoded like ZaloPay's own samples and signed with key1 (signing.py).
ZaloPay's answers are not signed: they are read only from our own calls to its host, and must
name what we asked. Create is sent once: ZaloPay refuses an app_trans_id it has seen (-68),
so a retry could not return the first order_url; a create it did not answer is a failed
attempt, and the next attempt has its own app_trans_id. Query, refund (idempotent on
m_refund_id) and query_refund are retried on a dropped connection, a timeout or a 5xx.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests

from catalogue.payments.port import (
    ALREADY_SETTLED,
    DUPLICATE,
    UNKNOWN_ATTEMPT,
    VIETNAM_TIME,
    Answer,
    Inbound,
    OrderFacts,
    PaymentNotice,
    PaymentStart,
    ProviderRefused,
    ProviderUnavailable,
    RailLabels,
    RailText,
    RefundOutcome,
    ReturnResult,
    required_settings,
)
from catalogue.payments.provider_http import post_for_json
from catalogue.payments.zalopay import notices, signing

log = logging.getLogger(__name__)

SANDBOX_API_BASE = "https://sb-openapi.zalopay.vn"
# Where ZaloPay's order_url sends the buyer, by API host (the pay page is not on the API host).
GATEWAY_ORIGINS = {
    "sb-openapi.zalopay.vn": "https://qcgateway.zalopay.vn",
    "openapi.zalopay.vn": "https://gateway.zalopay.vn",
}
CONNECT_TIMEOUT_SECONDS = 3.05
READ_TIMEOUT_SECONDS = 15
APP_USER = "ocop-quangninh"  # ZaloPay asks for the app's name when the buyer is not known to it
MIN_EXPIRY_SECONDS, MAX_EXPIRY_SECONDS = 300, 2_592_000
PAID, FAILED, PROCESSING = 1, 2, 3  # return_code of query and query_refund
UNCONFIRMED_REFUND_CODES = (PROCESSING,)
# sub_return_codes that refuse our request itself (bad data, bad mac, unknown app), not the payment
REQUEST_REFUSALS = (-401, -402, -403, -405)  # ZaloPay took the refund and is still making it: nothing to ask anew


REQUIRED_SETTINGS = ("ZALOPAY_APP_ID", "ZALOPAY_KEY1", "ZALOPAY_KEY2")  # all of them turn the rail on


@dataclass(frozen=True)
class PaymentStatus:
    """ZaloPay's answer to `/v2/query` for one app_trans_id."""

    state: str  # "paid", "failed" or "processing"
    amount_vnd: int
    zp_trans_id: str
    code: int
    message: str = ""


def _whole(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _now() -> datetime:
    return datetime.now(UTC)


class ZaloPay:
    """One ZaloPay app (app_id, key1 signs our requests, key2 checks ZaloPay's) at one API base."""

    name = notices.NAME
    labels = RailLabels(
        brand="ZaloPay",
        vi=RailText(
            name="Ví ZaloPay",
            description="Thanh toán trong ứng dụng ZaloPay hoặc quét mã ZaloPay.",
            how="Sau khi đặt hàng, bạn được chuyển sang ZaloPay (hoặc quét mã bằng ứng dụng ZaloPay) để xác nhận "
            "thanh toán. Đơn chỉ được xác nhận khi ZaloPay gửi kết quả có chữ ký cho cửa hàng.",
            refund="Tiền được hoàn về ví ZaloPay đã dùng để thanh toán.",
            refunded_to="ví ZaloPay của bạn",
        ),
        en=RailText(
            name="ZaloPay wallet",
            description="Pay in the ZaloPay app or scan its code.",
            how="After you order, you are taken to ZaloPay (or scan the code with the ZaloPay app) to confirm the "
            "payment. The order is confirmed only when ZaloPay sends the shop a signed result.",
            refund="The money is refunded to the ZaloPay wallet you paid with.",
            refunded_to="your ZaloPay wallet",
        ),
        invoice="Ví điện tử ZaloPay",
    )
    starts_online = True  # ZaloPay's create API makes the order_url
    notification_methods = ("POST",)
    refunds_by_api = True  # /v2/refund, confirmed by /v2/query_refund (catalogue.orders.refunds asks it)
    unconfirmed_refund_codes = UNCONFIRMED_REFUND_CODES

    def __init__(
        self,
        app_id: str,
        key1: str,
        key2: str,
        api_base: str = SANDBOX_API_BASE,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS),
        attempts: int = 3,
        clock: Callable[[], datetime] = _now,
        refund_polls: int = 3,
        poll_seconds: float = 1.0,
    ):
        self.app_id, self._key1, self._key2 = str(app_id), key1, key2
        self.api_base = api_base.rstrip("/")
        self._session = session or requests.Session()
        self._timeout, self._attempts, self._clock = timeout, attempts, clock
        self._refund_polls, self._poll_seconds = refund_polls, poll_seconds

    @property
    def handoff_origins(self) -> tuple[str, ...]:
        """Where the buyer's browser is sent (ZaloPay's gateway): the shop's CSP allows it."""
        return (self.redirect_origin,)

    @property
    def redirect_origin(self) -> str:
        """The origin the buyer is sent to (for the CSP's form-action / navigation): ZaloPay's gateway."""
        parts = urlsplit(self.api_base)
        return GATEWAY_ORIGINS.get(parts.hostname or "", f"{parts.scheme}://{parts.netloc}")

    # --- create ------------------------------------------------------------------------

    def create_request(self, order: OrderFacts) -> dict:
        """The signed body of `POST /v2/create` for one attempt (app_trans_id made from its reference)."""
        amount = order.amount_vnd
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 1:
            raise ValueError("ZaloPay takes a whole number of dong")
        if not order.notify_url:
            raise ValueError("ZaloPay needs the callback URL")
        now = self._clock()
        body: dict[str, object] = {
            "app_id": self.app_id,
            "app_user": APP_USER,
            "app_trans_id": signing.app_trans_id(order.attempt_reference, now),
            "app_time": int(now.timestamp() * 1000),
            "amount": amount,
            "item": "[]",
            "embed_data": json.dumps({"redirecturl": order.return_url}, separators=(",", ":")),
            "description": order.description[:256],
            "bank_code": "",
            "callback_url": order.notify_url,
        }
        if order.expires_at is not None:
            seconds = int((order.expires_at - now).total_seconds())
            body["expire_duration_seconds"] = min(max(seconds, MIN_EXPIRY_SECONDS), MAX_EXPIRY_SECONDS)
        body["mac"] = signing.create_mac(self._key1, body)
        return body

    def start(self, order: OrderFacts) -> PaymentStart:
        """Create the order at ZaloPay and hand the buyer its order_url; ProviderRefused when ZaloPay says no."""
        body = self.create_request(order)
        answer = self._post("/v2/create", body, attempts=1)
        code = _whole(answer.get("return_code"))
        if code == FAILED:
            raise ProviderRefused(self.name, answer.get("sub_return_code"), str(answer.get("sub_return_message") or ""))
        if code != 1 or not isinstance(answer.get("order_url"), str) or not answer["order_url"]:
            raise ProviderUnavailable(f"ZaloPay's create answer is not an order: {answer.get('return_code')}")
        return PaymentStart(provider=self.name, reference=str(body["app_trans_id"]), redirect_url=answer["order_url"])

    # --- what ZaloPay sends ------------------------------------------------------------

    def verify(self, body: bytes) -> PaymentNotice:
        """Check a callback's mac (key2) and read it; BadSignature / MalformedNotification else."""
        return notices.read_callback(body, self.app_id, self._key2)

    def read_notification(self, inbound: Inbound) -> PaymentNotice:
        """ZaloPay's callback comes as a JSON POST, its data signed with key2."""
        return self.verify(inbound.body)

    def answer(self, outcome: str | None, error: Exception | None = None) -> Answer:
        """Always 200 with ZaloPay's return_code: 1 taken, 2 already taken, -1 never valid, 0 retry (our fault)."""
        if error is None and outcome in (DUPLICATE, ALREADY_SETTLED):
            return Answer(200, notices.callback_answer(2, "already processed"))
        if error is None and outcome == UNKNOWN_ATTEMPT:
            return Answer(200, notices.callback_answer(-1, "no such order"))
        return Answer(200, notices.answer_for(error))

    def read_return(self, inbound: Inbound) -> ReturnResult:
        """The buyer's browser back from ZaloPay, its checksum checked: a hint for the page, never a payment."""
        result = self.verify_redirect(inbound.args)
        return ReturnResult(result.order_code, "succeeded" if result.paid else "pending")

    def verify_redirect(self, args: Mapping[str, str]) -> notices.RedirectResult:
        """Check the buyer's return query (checksum, key2) and read it: a hint, never a payment."""
        return notices.read_redirect(args, self.app_id, self._key2)

    # --- query -------------------------------------------------------------------------

    def status(self, app_trans_id: str) -> PaymentStatus:
        """`/v2/query`: whether ZaloPay has the money for this app_trans_id (paid / failed / processing).

        ProviderRefused when ZaloPay refused the query itself (a bad mac, another app): that is not
        a failed payment. ProviderUnavailable when it cannot be reached or answers something else.
        """
        body = {"app_id": self.app_id, "app_trans_id": app_trans_id}
        body["mac"] = signing.query_mac(self._key1, self.app_id, app_trans_id)
        answer = self._post("/v2/query", body)
        code = _whole(answer.get("return_code"))
        if code == FAILED and answer.get("sub_return_code") in REQUEST_REFUSALS:  # says nothing of the payment
            raise ProviderRefused(self.name, answer["sub_return_code"], str(answer.get("sub_return_message") or ""))
        if code not in (PAID, FAILED, PROCESSING):
            raise ProviderUnavailable(f"ZaloPay's query answered {answer.get('return_code')}")
        state = {PAID: "paid", FAILED: "failed", PROCESSING: "processing"}[code]
        if answer.get("is_processing") is True:
            state = "processing"
        amount = _whole(answer.get("amount"))
        if state == "paid" and (amount is None or _whole(answer.get("zp_trans_id")) is None):
            raise ProviderUnavailable("ZaloPay's query says paid without an amount or zp_trans_id")
        message = str(answer.get("sub_return_message") or answer.get("return_message") or "")
        return PaymentStatus(state, amount or 0, str(answer.get("zp_trans_id") or ""), code, message)

    # --- refund ------------------------------------------------------------------------

    def refundable(self, payment: PaymentNotice, amount_vnd: int) -> bool:
        """True when ZaloPay can return `amount_vnd` of `payment`: its zp_trans_id is known, at most what was paid."""
        zp_trans_id = str(payment.details.get("zp_trans_id") or "")
        return zp_trans_id.isdigit() and 1 <= amount_vnd <= payment.amount_vnd

    def refund_reference(self, payment: PaymentNotice, amount_vnd: int, refused_before: int = 0, part: str = "") -> str:
        """The m_refund_id of returning `amount_vnd` of `payment` (`part`: a returned parcel), asked today."""
        day = self._clock().astimezone(VIETNAM_TIME).date()
        return signing.refund_id(self.app_id, _zp_trans_id(payment), amount_vnd, day, refused_before, part)

    def refund_request(
        self, payment: PaymentNotice, amount_vnd: int, reason: str, request_id: str | None = None
    ) -> dict:
        """The signed body of `POST /v2/refund` returning `amount_vnd` of the payment `payment` names."""
        zp_trans_id = _zp_trans_id(payment)
        if not isinstance(amount_vnd, int) or isinstance(amount_vnd, bool) or not 1 <= amount_vnd <= payment.amount_vnd:
            raise ValueError("ZaloPay refunds a whole number of dong, up to what was paid")
        description = (reason.strip() or "Hoàn tiền")[:255]
        timestamp = int(self._clock().timestamp() * 1000)
        body: dict[str, object] = {
            "app_id": self.app_id,
            "m_refund_id": request_id or self.refund_reference(payment, amount_vnd),
            "zp_trans_id": zp_trans_id,
            "amount": amount_vnd,
            "timestamp": timestamp,
            "description": description,
        }
        body["mac"] = signing.refund_mac(self._key1, self.app_id, zp_trans_id, amount_vnd, description, timestamp)
        return body

    def refund(
        self, payment: PaymentNotice, amount_vnd: int, reason: str, request_id: str | None = None
    ) -> RefundOutcome:
        """Refund (part of) a ZaloPay payment, then read its outcome from `/v2/query_refund`.

        ZaloPay makes refunds asynchronously: its refund answer says it took the request
        (return_code 1 or 3), query_refund says when it is made. ProviderRefused for a refusal
        (the sub_return_code), or with code 3 when it is still being made after the polls (so
        `UNCONFIRMED_REFUND_CODES`: the office checks, never a new id); ProviderUnavailable when
        ZaloPay cannot be reached. The same m_refund_id asked again is the same refund.
        """
        body = self.refund_request(payment, amount_vnd, reason, request_id)
        answer = self._post("/v2/refund", body)
        code = _whole(answer.get("return_code"))
        if code == FAILED:
            raise ProviderRefused(self.name, answer.get("sub_return_code"), str(answer.get("sub_return_message") or ""))
        if code not in (PAID, PROCESSING):
            raise ProviderUnavailable(f"ZaloPay's refund answered {answer.get('return_code')}")
        refund_reference = str(answer.get("refund_id") or body["m_refund_id"])
        for poll in range(self._refund_polls):
            code, sub_code, message = self.refund_status(str(body["m_refund_id"]))
            if code == PAID:
                return RefundOutcome(provider=self.name, by_hand=False, reference=refund_reference, message=reason)
            if code == FAILED:
                raise ProviderRefused(self.name, sub_code, message)
            if poll + 1 < self._refund_polls:
                time.sleep(self._poll_seconds)
        raise ProviderRefused(self.name, PROCESSING, "ZaloPay is still making the refund")

    def refund_status(self, m_refund_id: str) -> tuple[int, object, str]:
        """`/v2/query_refund`: (return_code 1 made / 2 refused / 3 processing, sub_return_code, message)."""
        timestamp = int(self._clock().timestamp() * 1000)
        body = {"app_id": self.app_id, "m_refund_id": m_refund_id, "timestamp": timestamp}
        body["mac"] = signing.refund_query_mac(self._key1, self.app_id, m_refund_id, timestamp)
        answer = self._post("/v2/query_refund", body)
        code = _whole(answer.get("return_code"))
        if code not in (PAID, FAILED, PROCESSING):
            raise ProviderUnavailable(f"ZaloPay's query_refund answered {answer.get('return_code')}")
        return code, answer.get("sub_return_code"), str(answer.get("sub_return_message") or "")

    # --- HTTP --------------------------------------------------------------------------

    def _post(self, path: str, body: Mapping[str, object], attempts: int | None = None) -> dict:
        return post_for_json(self._session, self.api_base + path, provider="ZaloPay", timeout=self._timeout,
                             attempts=attempts or self._attempts, form=body)  # fmt: skip


def _zp_trans_id(payment: PaymentNotice) -> str:
    value = str(payment.details.get("zp_trans_id") or "")
    if not value.isdigit():
        raise ValueError("the ZaloPay payment's zp_trans_id is unknown: it cannot be refunded by API")
    return value


def from_config(config: Mapping) -> ZaloPay | None:
    """ZaloPay for ZALOPAY_APP_ID / ZALOPAY_KEY1 / ZALOPAY_KEY2 (ZALOPAY_API_BASE: the sandbox), or None."""
    settings = required_settings(config, *REQUIRED_SETTINGS)
    if settings is None:
        return None
    return ZaloPay(
        settings["ZALOPAY_APP_ID"],
        settings["ZALOPAY_KEY1"],
        settings["ZALOPAY_KEY2"],
        config.get("ZALOPAY_API_BASE") or SANDBOX_API_BASE,
    )
