"""VNPay's IPN answer: the RspCode contract (which notice gets which code: VNPay.answer and port.notice_refusal).

Split from catalogue.payments.vnpay (which re-exports it) so the adapter stays one screenful.
"""

from __future__ import annotations

from enum import Enum


class IpnAnswer(Enum):
    """VNPay's RspCode contract; the messages are those of VNPay's own IPN sample, word for word."""

    CONFIRMED = ("00", "Confirm Success")
    ORDER_NOT_FOUND = ("01", "Order not found")
    ALREADY_CONFIRMED = ("02", "Order already confirmed")
    INVALID_AMOUNT = ("04", "invalid amount")
    INVALID_CHECKSUM = ("97", "Invalid signature")
    UNKNOWN_ERROR = ("99", "Unknow error")

    def body(self) -> dict[str, str]:
        """The JSON VNPay reads."""
        return {"RspCode": self.value[0], "Message": self.value[1]}
