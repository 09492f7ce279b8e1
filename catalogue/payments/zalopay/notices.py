"""What ZaloPay sends us: the server-to-server callback, the browser's redirect, and our answers.

ZaloPay calls back only when it took the money, with `{"data": "<JSON string>", "mac", "type"}`
and `mac = HMAC-SHA256(key2, data)`. Everything read from it comes out of `data`, after the
mac verified: the attempt from `app_trans_id`, the amount, ZaloPay's `zp_trans_id`. The
callback expects JSON back: return_code 1 (taken), -1 (bad mac: do not send it again) or 0
(ZaloPay retries, up to 3 times: for our own failures). The redirect brings the buyer back
with a key2 checksum; it is a hint for the page, never a payment (the callback or a query is).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from catalogue import json_input
from catalogue.payments.port import (
    BadSignature,
    MalformedNotification,
    NotificationRefused,
    PaymentNotice,
    order_code_of,
)
from catalogue.payments.zalopay.signing import (
    REDIRECT_FIELDS,
    attempt_reference_of,
    matches,
    redirect_checksum,
    verify_callback_mac,
)

NAME = "zalopay"
ORDER_CALLBACK = 1  # type 2 is an agreement (tokenised payments), which we never make


def callback_answer(return_code: int, message: str) -> dict:
    """The JSON body ZaloPay reads from our callback endpoint."""
    return {"return_code": return_code, "return_message": message}


ANSWER_OK = callback_answer(1, "success")
ANSWER_BAD_MAC = callback_answer(-1, "mac not equal")
ANSWER_RETRY = callback_answer(0, "try again")


def answer_for(error: BaseException | None) -> dict:
    """Our answer to a callback: success; -1 for one that will never verify or read; 0 (retry) for our failure."""
    if error is None:
        return ANSWER_OK
    if isinstance(error, BadSignature):
        return ANSWER_BAD_MAC
    if isinstance(error, NotificationRefused):  # signed but not ours or not readable: sending it again won't help
        return callback_answer(-1, "invalid data")
    return ANSWER_RETRY


def _whole(value: object) -> int | None:
    """A JSON whole number (not a boolean, not a string), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def read_callback(body: bytes, app_id: str, key2: str) -> PaymentNotice:
    """A verified callback as a succeeded PaymentNotice; BadSignature / MalformedNotification else."""
    try:
        envelope = json_input.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise MalformedNotification("the ZaloPay callback is not JSON") from error
    if not isinstance(envelope, dict) or not isinstance(envelope.get("mac"), str):
        raise BadSignature("the ZaloPay callback carries no mac")
    verify_callback_mac(key2, envelope.get("data"), envelope["mac"])
    if _whole(envelope.get("type")) != ORDER_CALLBACK:
        raise MalformedNotification("the ZaloPay callback is not an order's")
    try:
        data = json_input.loads(envelope["data"])
    except ValueError as error:
        raise MalformedNotification("the ZaloPay callback's data is not JSON") from error
    if not isinstance(data, dict):
        raise MalformedNotification("the ZaloPay callback's data is not an object")
    if str(data.get("app_id")) != app_id or isinstance(data.get("app_id"), bool):
        raise MalformedNotification("the ZaloPay callback is for another app")
    amount, zp_trans_id, server_time = (_whole(data.get(name)) for name in ("amount", "zp_trans_id", "server_time"))
    if amount is None or amount < 1 or zp_trans_id is None or zp_trans_id < 1 or server_time is None:
        raise MalformedNotification("amount, zp_trans_id or server_time is not a whole number")
    app_trans_id = data.get("app_trans_id")
    reference = attempt_reference_of(app_trans_id)
    details = {"app_trans_id": app_trans_id, "zp_trans_id": str(zp_trans_id), "server_time": str(server_time)}
    for name in ("channel", "discount_amount", "user_fee_amount"):
        value = _whole(data.get(name))
        details[name] = "" if value is None else str(value)
    return PaymentNotice(
        provider=NAME,
        reference=reference,
        order_code=order_code_of(reference),
        amount_vnd=amount,
        succeeded=True,  # ZaloPay calls back only once it has the money
        raw_id=str(zp_trans_id),
        message="",
        details=details,
    )


@dataclass(frozen=True)
class RedirectResult:
    """What the buyer's return from ZaloPay says, checksum verified: a hint for the return page."""

    app_trans_id: str
    reference: str  # the attempt reference
    order_code: str
    amount_vnd: int
    status: int  # 1: ZaloPay says it was paid
    paid: bool


def read_redirect(args: Mapping[str, str], app_id: str, key2: str) -> RedirectResult:
    """The redirect's query (appid, apptransid, pmcid, bankcode, amount, discountamount, status, checksum)."""
    values = {name: str(args.get(name, "")) for name in REDIRECT_FIELDS}
    if not matches(args.get("checksum"), redirect_checksum(key2, values)):
        raise BadSignature("the ZaloPay redirect's checksum does not verify")
    if values["appid"] != app_id:
        raise MalformedNotification("the ZaloPay redirect is for another app")
    status, amount = values["status"].lstrip("-"), values["amount"]
    if not status.isdigit() or not amount.isdigit():
        raise MalformedNotification("status or amount is not a whole number")
    reference = attempt_reference_of(values["apptransid"])
    code = int(values["status"])
    return RedirectResult(values["apptransid"], reference, order_code_of(reference), int(amount), code, code == 1)
