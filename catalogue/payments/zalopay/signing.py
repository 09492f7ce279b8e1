"""ZaloPay v2's MACs and ids: what each request signs with key1, what ZaloPay signs with key2.

Every MAC is hex HMAC-SHA256 over `|`-joined values, in the order ZaloPay's API documents
(docs.zalopay.vn; the zalopay-oss/zalopay-nodejs OpenAPI spec): key1 signs what we send
(create, query, refund, query_refund), key2 signs what ZaloPay sends (the callback's `data`,
the browser's redirect). An attempt's `app_trans_id` is `yymmdd_` (Vietnam's date) + its
attempt reference with `_` for `-`: the signed callback carries it, so the order it pays is
read from signed data only and never from anything unsigned beside it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import date, datetime

from catalogue.payments.port import VIETNAM_TIME, BadSignature, MalformedNotification

MAX_APP_TRANS_ID = 40  # ZaloPay's limit
MAX_REFUND_ID = 45
_REFERENCE = re.compile(r"[0-9A-Za-z]+(-[0-9A-Za-z]+)*")
_APP_TRANS_ID = re.compile(r"(\d{6})_([0-9A-Za-z]+(?:_[0-9A-Za-z]+)*)")
REDIRECT_FIELDS = ("appid", "apptransid", "pmcid", "bankcode", "amount", "discountamount", "status")


def mac(key: str, *values: object) -> str:
    """Hex HMAC-SHA256 with `key` over the values joined by `|` (None as empty)."""
    data = "|".join("" if value is None else str(value) for value in values)
    return hmac.new(key.encode(), data.encode(), hashlib.sha256).hexdigest()


def create_mac(key1: str, order: Mapping[str, object]) -> str:
    """`/v2/create`: app_id|app_trans_id|app_user|amount|app_time|embed_data|item."""
    fields = ("app_id", "app_trans_id", "app_user", "amount", "app_time", "embed_data", "item")
    return mac(key1, *(order[name] for name in fields))


def callback_mac(key2: str, data: str) -> str:
    """A callback's `mac`: over its `data` string exactly as received."""
    return hmac.new(key2.encode(), data.encode(), hashlib.sha256).hexdigest()


def query_mac(key1: str, app_id: object, app_trans_id: str) -> str:
    """`/v2/query`: app_id|app_trans_id|key1 (ZaloPay's own odd choice: the key is in the text)."""
    return mac(key1, app_id, app_trans_id, key1)


def refund_mac(key1: str, app_id: object, zp_trans_id: object, amount: int, description: str, timestamp: int) -> str:
    """`/v2/refund` without a refund fee: app_id|zp_trans_id|amount|description|timestamp."""
    return mac(key1, app_id, zp_trans_id, amount, description, timestamp)


def refund_query_mac(key1: str, app_id: object, m_refund_id: str, timestamp: int) -> str:
    """`/v2/query_refund`: app_id|m_refund_id|timestamp."""
    return mac(key1, app_id, m_refund_id, timestamp)


def redirect_checksum(key2: str, args: Mapping[str, object]) -> str:
    """The redirect's checksum: appid|apptransid|pmcid|bankcode|amount|discountamount|status, key2."""
    return mac(key2, *(args.get(name, "") for name in REDIRECT_FIELDS))


def matches(given: object, expected: str) -> bool:
    """A hex MAC compared in constant time, any case; False for anything not a string."""
    return isinstance(given, str) and hmac.compare_digest(given.lower().encode(), expected.encode())


def verify_callback_mac(key2: str, data: object, given: object) -> None:
    """BadSignature unless `given` is key2's MAC of `data`."""
    if not isinstance(data, str) or not matches(given, callback_mac(key2, data)):
        raise BadSignature("the ZaloPay callback's mac does not verify")


# --- ids -------------------------------------------------------------------------------


def vietnam_day(moment: datetime) -> str:
    """`yymmdd` of `moment` in Vietnam (GMT+7), as ZaloPay reconciles by Vietnam's date."""
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is needed")
    return moment.astimezone(VIETNAM_TIME).strftime("%y%m%d")


def app_trans_id(attempt_reference: str, now: datetime) -> str:
    """`yymmdd_QN_ABCD_EFGH_2` for attempt `QN-ABCD-EFGH-2` created at `now`."""
    if not _REFERENCE.fullmatch(attempt_reference):
        raise ValueError("an attempt reference is letters and digits joined by '-'")
    value = f"{vietnam_day(now)}_{attempt_reference.replace('-', '_')}"
    if len(value) > MAX_APP_TRANS_ID:
        raise ValueError(f"ZaloPay's app_trans_id is at most {MAX_APP_TRANS_ID} characters")
    return value


def attempt_reference_of(value: str) -> str:
    """The attempt reference inside an `app_trans_id` made by `app_trans_id`; MalformedNotification else."""
    match = _APP_TRANS_ID.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise MalformedNotification(f"{value!r} is not one of our app_trans_ids")
    return match.group(2).replace("_", "-")


def refund_id(
    app_id: object, zp_trans_id: object, amount_vnd: int, on: date, refused_before: int = 0, part: str = ""
) -> str:
    """`yymmdd_appid_xxx`: the refund's m_refund_id, the same for the same payment, amount and day.

    ZaloPay wants the date of the day it is asked; `xxx` is the payment's zp_trans_id, the amount
    on 10 digits and the refusals so far on 2, so asking again is the same refund (ZaloPay makes
    it once) and only a refund ZaloPay refused is asked anew under another id.
    """
    zp = str(zp_trans_id)
    if not zp.isdigit() or not 0 <= refused_before < 100 or not 0 < amount_vnd < 10**10:
        raise ValueError("a refund id needs ZaloPay's transaction id and an amount")
    value = f"{on.strftime('%y%m%d')}_{app_id}_{zp}{amount_vnd:010d}{refused_before:02d}"
    value += re.sub(r"[^0-9A-Za-z]", "", part)  # a partial refund's part (a returned parcel, P12)
    if len(value) > MAX_REFUND_ID:
        raise ValueError("the refund id is too long")
    return value
