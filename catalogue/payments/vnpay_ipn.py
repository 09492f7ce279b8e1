"""VNPay's IPN answer: the RspCode contract and the decision table, in the order VNPay checks.

Split from catalogue.payments.vnpay (which re-exports it) so the adapter stays one screenful.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from catalogue.payments.port import PaymentNotice


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


@dataclass(frozen=True)
class AttemptState:
    """What the order knows about the attempt an IPN names."""

    amount_due_vnd: int  # what this attempt asked VNPay for
    already_confirmed: bool  # this attempt's result is recorded, or the order is already paid


@dataclass(frozen=True)
class IpnDecision:
    answer: IpnAnswer
    record: bool  # True: the caller records the notice (paid or failed) in the same transaction

    def body(self) -> dict[str, str]:
        return self.answer.body()


def decide_ipn(notice: PaymentNotice | None, attempt: AttemptState | None) -> IpnDecision:
    """The IPN decision table, in VNPay's order: checksum, order, amount, already confirmed, record.

    `notice` is None when `verify` raised BadSignature; a malformed but signed IPN is the
    caller's `UNKNOWN_ERROR`. A failed payment is recorded and confirmed too (`00`): VNPay
    only wants to know that we have its result.
    """
    if notice is None:
        return IpnDecision(IpnAnswer.INVALID_CHECKSUM, record=False)
    if attempt is None:
        return IpnDecision(IpnAnswer.ORDER_NOT_FOUND, record=False)
    if notice.amount_vnd != attempt.amount_due_vnd:
        return IpnDecision(IpnAnswer.INVALID_AMOUNT, record=False)
    if attempt.already_confirmed:
        return IpnDecision(IpnAnswer.ALREADY_CONFIRMED, record=False)
    return IpnDecision(IpnAnswer.CONFIRMED, record=True)
