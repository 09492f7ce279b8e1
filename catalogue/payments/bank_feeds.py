"""Bank-feed webhooks (SePay, Casso v2) verified and normalised to transfer records.

A VietQR transfer sends no callback of its own: a bank-feed service watches the shop's
account and posts each transaction. Both formats land on `POST /webhooks/bank-transfer`;
`verify_bank_webhook` tells them apart by their header. Banks rewrite the content (upper
case, separators dropped or added, prefixes like `MBVCB.1234.`), so `find_order_codes`
looks for an order code anywhere in it, ignoring case and separators.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from catalogue import json_input
from catalogue.payments.port import (
    VIETNAM_TIME,
    BadSignature,
    MalformedNotification,
    PaymentNotice,
    check_fresh,
    epoch_time,
    required_settings,
)
from catalogue.text import fold

ORDER_CODE_PREFIX = "QN"
ORDER_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # as catalogue/orders makes codes (a test checks)
ORDER_CODE_LENGTH = 8
_FEED_TIME = "%Y-%m-%d %H:%M:%S"  # both feeds send the bank's local time, GMT+7


@dataclass(frozen=True)
class BankTransfer:
    """One transaction on the shop's account, as a feed reported it."""

    feed: str  # "sepay" or "casso"
    id: str  # the feed's transaction id: deduplicate on (feed, id)
    amount_vnd: int  # always positive; `direction` says which way
    content: str
    direction: str  # "in" or "out"
    occurred_at: datetime
    account_no: str
    bank_reference: str = ""

    @property
    def incoming(self) -> bool:
        return self.direction == "in"


def same_account(account_no: str) -> str:
    """An account number as compared: letters and digits only, upper case, leading zeros dropped.

    Feeds write the same account as `0011 0042 99999`, `0011004299999` or, read as a number,
    `11004299999`; all three are one account. Empty when there is no number at all.
    """
    kept = re.sub(r"[^0-9A-Z]", "", str(account_no).upper())
    return kept.lstrip("0") or kept[:1]


# --- matching order codes -------------------------------------------------------------


def _squeeze(text: str) -> str:
    """Upper case ASCII letters and digits only: what survives every bank's rewriting."""
    return re.sub(r"[^0-9A-Z]", "", fold(text).upper())


def order_code_pattern(
    prefix: str = ORDER_CODE_PREFIX, alphabet: str = ORDER_CODE_ALPHABET, length: int = ORDER_CODE_LENGTH
) -> re.Pattern:
    """The pattern of a squeezed order code (`QN` + 8 code characters), overlapping matches allowed."""
    return re.compile(f"(?=({re.escape(prefix)}[{re.escape(alphabet)}]{{{length}}}))")


def find_order_codes(content: str, candidates_or_pattern: Iterable[str] | re.Pattern | None = None) -> list[str]:
    """Order codes found anywhere in a bank's transfer content, first seen first, each once.

    Given candidate codes, returns those whose letters and digits appear in the content. Given a
    pattern (default: ours), returns every squeezed match written back as `QN-ABCD-EFGH`; the
    caller keeps the ones that are real orders.
    """
    squeezed = _squeeze(content)
    found: list[str] = []
    if candidates_or_pattern is None or isinstance(candidates_or_pattern, re.Pattern):
        pattern = candidates_or_pattern or order_code_pattern()
        for match in pattern.finditer(squeezed):
            chars = match.group(1)[len(ORDER_CODE_PREFIX) :]
            code = f"{ORDER_CODE_PREFIX}-{chars[:4]}-{chars[4:]}"
            if code not in found:
                found.append(code)
        return found
    for code in candidates_or_pattern:
        if _squeeze(code) and _squeeze(code) in squeezed and code not in found:
            found.append(code)
    return found


def transfer_notice(transfer: BankTransfer, order_code: str | None) -> PaymentNotice:
    """The ledger's view of an incoming transfer (order_code None: unmatched, for the office to assign)."""
    return PaymentNotice(
        provider=f"bank:{transfer.feed}",
        reference=transfer.bank_reference or transfer.id,
        order_code=order_code,
        amount_vnd=transfer.amount_vnd,
        succeeded=transfer.incoming,
        raw_id=transfer.id,
        message=transfer.content,
    )


# --- SePay ------------------------------------------------------------------------------


def verify_sepay(headers: Mapping[str, str], body: bytes, api_key: str) -> BankTransfer:
    """Check `Authorization: Apikey <key>` (constant time) and read SePay's transaction JSON.

    SePay signs nothing and sends no time with its key, so a replayed SePay post cannot be told
    from a fresh one here; the ledger records each transaction id once, which makes a replay a no-op.
    """
    scheme, _, given = (_header(headers, "Authorization") or "").strip().partition(" ")
    if scheme.lower() != "apikey" or not hmac.compare_digest(given.strip().encode(), api_key.encode()):
        raise BadSignature("wrong or missing bank-webhook API key")
    data = _json_object(body)
    direction = data.get("transferType")
    if direction not in ("in", "out"):
        raise MalformedNotification("transferType is neither 'in' nor 'out'")
    return BankTransfer(
        feed="sepay",
        id=_text(data, "id"),
        amount_vnd=_amount(data.get("transferAmount"), allow_negative=False),
        content=str(data.get("content") or data.get("description") or ""),
        direction=direction,
        occurred_at=_feed_time(data.get("transactionDate")),
        account_no=str(data.get("accountNumber") or ""),
        bank_reference=str(data.get("referenceCode") or ""),
    )


# --- Casso webhook v2 -------------------------------------------------------------------


def casso_message(timestamp: str, data: object, ascii_escaped: bool = True) -> bytes:
    """What Casso signs: `t + "." + the body's JSON`, keys sorted recursively, compact.

    Casso's Python sample escapes non-ASCII (`json.dumps` default) and its JavaScript sample does
    not (`JSON.stringify`); both published vectors are plain ASCII, so the verifier accepts either.
    """
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=ascii_escaped)
    return f"{timestamp}.{text}".encode()


def casso_signature(key: str, timestamp: str, data: object) -> str:
    """Hex HMAC-SHA512 of `casso_message` with the webhook's key (what Casso puts in v1)."""
    return hmac.new(key.encode(), casso_message(timestamp, data), hashlib.sha512).hexdigest()


def verify_casso(headers: Mapping[str, str], body: bytes, key: str, now: datetime) -> list[BankTransfer]:
    """Check `X-Casso-Signature: t=…,v1=…` and read the transaction(s) in Casso's v2 body.

    `t` is when Casso signed (milliseconds in its published sample; seconds are read too); a genuine
    signature whose `t` is outside the freshness window is a replay, refused like a forged one.
    """
    parts = dict(
        part.strip().split("=", 1) for part in (_header(headers, "X-Casso-Signature") or "").split(",") if "=" in part
    )
    timestamp, given = parts.get("t", ""), parts.get("v1", "")
    if not timestamp.isdigit() or not given:
        raise BadSignature("missing or malformed X-Casso-Signature")
    data = _json_object(body)
    expected = [
        hmac.new(key.encode(), casso_message(timestamp, data, escaped), hashlib.sha512).hexdigest()
        for escaped in (True, False)
    ]
    if not any(hmac.compare_digest(given.lower().encode(), candidate.encode()) for candidate in expected):
        raise BadSignature("X-Casso-Signature does not verify")
    check_fresh(epoch_time(timestamp, "Casso's t"), now, "The Casso notification")
    if data.get("error") not in (0, None):
        raise MalformedNotification(f"Casso reports error {data.get('error')!r}")
    records = data.get("data")
    records = records if isinstance(records, list) else [records]
    return [_casso_transfer(record) for record in records]


def _casso_transfer(record: object) -> BankTransfer:
    if not isinstance(record, dict):
        raise MalformedNotification("Casso data is not an object")
    signed_amount = _amount(record.get("amount"), allow_negative=True)
    return BankTransfer(
        feed="casso",
        id=_text(record, "id"),
        amount_vnd=abs(signed_amount),
        content=str(record.get("description") or ""),
        direction="in" if signed_amount > 0 else "out",  # Casso sends money out as a negative amount
        occurred_at=_feed_time(record.get("transactionDateTime")),
        account_no=str(record.get("accountNumber") or ""),
        bank_reference=str(record.get("reference") or ""),
    )


# --- one entry point --------------------------------------------------------------------


def verify_bank_webhook(
    headers: Mapping[str, str], body: bytes, sepay_api_key: str | None, casso_key: str | None, now: datetime
) -> list[BankTransfer]:
    """Verify a `POST /webhooks/bank-transfer` in whichever format it came; BadSignature when neither fits."""
    if _header(headers, "X-Casso-Signature") is not None:
        if not casso_key:
            raise BadSignature("Casso webhooks are not configured (CASSO_WEBHOOK_KEY)")
        return verify_casso(headers, body, casso_key, now)
    if not sepay_api_key:
        raise BadSignature("SePay webhooks are not configured (BANK_WEBHOOK_API_KEY)")
    return [verify_sepay(headers, body, sepay_api_key)]


@dataclass(frozen=True)
class BankFeedKeys:
    """The keys `POST /webhooks/bank-transfer` checks; either may be unset."""

    sepay_api_key: str | None
    casso_key: str | None

    def verify(self, headers: Mapping[str, str], body: bytes, now: datetime) -> list[BankTransfer]:
        return verify_bank_webhook(headers, body, self.sepay_api_key, self.casso_key, now)


def from_config(config: Mapping) -> BankFeedKeys | None:
    """The configured feeds' keys (BANK_WEBHOOK_API_KEY, CASSO_WEBHOOK_KEY), or None when neither is set."""
    sepay = required_settings(config, "BANK_WEBHOOK_API_KEY")
    casso = required_settings(config, "CASSO_WEBHOOK_KEY")
    if not sepay and not casso:
        return None
    return BankFeedKeys(
        sepay_api_key=sepay["BANK_WEBHOOK_API_KEY"] if sepay else None,
        casso_key=casso["CASSO_WEBHOOK_KEY"] if casso else None,
    )


# --- small readers ----------------------------------------------------------------------


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def _json_object(body: bytes) -> dict:
    try:
        data = json_input.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise MalformedNotification("the body is not JSON") from error
    if not isinstance(data, dict):
        raise MalformedNotification("the body is not a JSON object")
    return data


def _text(data: Mapping, name: str) -> str:
    value = data.get(name)
    if value is None or isinstance(value, bool) or str(value).strip() == "":
        raise MalformedNotification(f"{name} is missing")
    return str(value).strip()


def _amount(value: object, allow_negative: bool) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise MalformedNotification("the amount is not a number")
    try:
        number = float(value)
    except ValueError as error:
        raise MalformedNotification("the amount is not a number") from error
    whole = math.isfinite(number) and number == int(number) and 0 < abs(number) <= 10**13
    if not whole or (number < 0 and not allow_negative):
        raise MalformedNotification("the amount is not a whole, non-zero number of dong")
    return int(number)


def _feed_time(value: object) -> datetime:
    try:
        return datetime.strptime(str(value), _FEED_TIME).replace(tzinfo=VIETNAM_TIME)
    except ValueError as error:
        raise MalformedNotification(f"the transaction time {value!r} is not 'YYYY-MM-DD HH:MM:SS'") from error
