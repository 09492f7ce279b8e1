"""ZaloPay (v2 open API): one more redirect rail behind the payment port, like MoMo.

`ZaloPay` starts a payment (its order_url), verifies the callback (key2) and the buyer's
redirect, queries a payment and refunds it; `from_config` builds it from ZALOPAY_APP_ID,
ZALOPAY_KEY1, ZALOPAY_KEY2 (and ZALOPAY_API_BASE), or None when ZaloPay is off.
`answer_for` is what the callback endpoint answers.
"""

from catalogue.payments.zalopay.client import (
    REQUIRED_SETTINGS,
    UNCONFIRMED_REFUND_CODES,
    PaymentStatus,
    ZaloPay,
    from_config,
)
from catalogue.payments.zalopay.notices import (
    ANSWER_BAD_MAC,
    ANSWER_OK,
    ANSWER_RETRY,
    RedirectResult,
    answer_for,
)

__all__ = [
    "REQUIRED_SETTINGS",
    "ANSWER_BAD_MAC",
    "ANSWER_OK",
    "ANSWER_RETRY",
    "UNCONFIRMED_REFUND_CODES",
    "PaymentStatus",
    "RedirectResult",
    "ZaloPay",
    "answer_for",
    "from_config",
]
