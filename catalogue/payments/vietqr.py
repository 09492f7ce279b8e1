"""VietQR: a dynamic EMVCo merchant-presented QR for a NAPAS 247 transfer to the shop's account.

The payload is short TLV (field id, 2-digit length, value) closed by a CRC-16/CCITT-FALSE; we
write it here (the PyPI encoders are single-release ports with no validation) and the tests
decode it with an independent decoder and check the CRC against the vietqr.io example. The QR
is drawn on the server as SVG by segno. A transfer QR sends no callback: the money is learnt
from the bank feed (`bank_feeds`), so `refund` is always by hand.
"""

from __future__ import annotations

import binascii
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass

import segno

from catalogue.payments.port import (
    OrderFacts,
    PaymentNotice,
    PaymentStart,
    RailLabels,
    RailText,
    RefundOutcome,
    TransferInstructions,
)
from catalogue.text import fold

NAPAS_GUID = "A000000727"
TO_ACCOUNT = "QRIBFTTA"  # QRIBFTTC would be to a card number
CURRENCY_VND = "704"
MAX_CONTENT = 25
MAX_AMOUNT_DIGITS = 13
_BIN = re.compile(r"\d{6}")
_ACCOUNT = re.compile(r"[0-9A-Za-z]{1,19}")
_PLAIN = re.compile(r"[ -~]*")  # printable ASCII: what every banking app keeps


REQUIRED_SETTINGS = ("VIETQR_BANK_BIN", "VIETQR_ACCOUNT_NO", "VIETQR_ACCOUNT_NAME")  # all of them turn the rail on


@dataclass(frozen=True)
class BankAccount:
    """The account buyers transfer to; `is_demo` marks the development account no one should pay."""

    bank_bin: str
    account_no: str
    account_name: str
    is_demo: bool = False


# For `make run` with no settings: a well-formed payload to a Vietcombank BIN with an account
# number that is all zeros, so a newcomer sees the whole flow. Never send money to it.
DEMO_ACCOUNT = BankAccount(
    bank_bin="970436", account_no="0000000000", account_name="TAI KHOAN DEMO - KHONG CHUYEN TIEN", is_demo=True
)


def _field(field_id: str, value: str) -> str:
    if len(value) > 99:
        raise ValueError(f"EMVCo field {field_id} is {len(value)} characters; at most 99")
    return f"{field_id}{len(value):02d}{value}"


def crc16(data: str) -> str:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) as 4 upper-case hex digits; binascii's crc_hqx is it."""
    return f"{binascii.crc_hqx(data.encode('ascii'), 0xFFFF):04X}"


def plain_content(text: str) -> str:
    """Transfer content banks keep: no diacritics (đ→d), upper case, at most 25 characters."""
    folded = fold(text).upper()
    folded = re.sub(r"[^0-9A-Z ]+", " ", folded)
    return " ".join(folded.split())[:MAX_CONTENT]


def transfer_content(order_code: str) -> str:
    """The content we ask the buyer to send: the order code without separators (`QNABCDEFGH`).

    Banks drop the separators anyway; `bank_feeds.find_order_codes` finds it in whatever they leave.
    """
    return re.sub(r"[^0-9A-Z]", "", order_code.upper())


def emvco_payload(bank_bin: str, account_no: str, amount_vnd: int, content: str) -> str:
    """The dynamic VietQR payload for one transfer of `amount_vnd` with `content`."""
    if not _BIN.fullmatch(bank_bin):
        raise ValueError("the bank BIN is 6 digits")
    if not _ACCOUNT.fullmatch(account_no):
        raise ValueError("the account number is 1 to 19 letters or digits")
    if not isinstance(amount_vnd, int) or amount_vnd < 1 or len(str(amount_vnd)) > MAX_AMOUNT_DIGITS:
        raise ValueError("the amount is a whole number of dong, at least 1")
    if len(content) > MAX_CONTENT or not _PLAIN.fullmatch(content):
        raise ValueError("the transfer content is at most 25 plain ASCII characters")
    beneficiary = _field("00", bank_bin) + _field("01", account_no)
    merchant = _field("00", NAPAS_GUID) + _field("01", beneficiary) + _field("02", TO_ACCOUNT)
    body = (
        _field("00", "01")
        + _field("01", "12")  # dynamic: carries an amount
        + _field("38", merchant)
        + _field("53", CURRENCY_VND)
        + _field("54", str(amount_vnd))
        + _field("58", "VN")
        + (_field("62", _field("08", content)) if content else "")
        + "6304"
    )
    return body + crc16(body)


def qr_svg(payload: str, scale: int = 5) -> str:
    """The QR of `payload` as a standalone SVG document (white quiet zone, black modules)."""
    buffer = io.BytesIO()
    qr = segno.make_qr(payload, error="m")
    qr.save(
        buffer,
        kind="svg",
        scale=scale,
        border=4,
        dark="#000",
        light="#fff",
        xmldecl=False,
        svgclass="vietqr",
        title="VietQR",
    )
    return buffer.getvalue().decode("ascii")


class VietQRProvider:
    """Bank transfer by VietQR to one account."""

    name = "vietqr"
    labels = RailLabels(
        brand="VietQR",
        vi=RailText(
            name="Chuyển khoản VietQR (mọi ngân hàng)",
            description="Quét mã QR bằng ứng dụng ngân hàng; đơn tự xác nhận khi tiền về.",
            how="Sau khi đặt hàng, trang đơn hàng hiện mã VietQR kèm số tài khoản, số tiền và nội dung chuyển "
            "khoản (mã đơn hàng). Quét mã bằng ứng dụng của bất kỳ ngân hàng nào; xin giữ nguyên số tiền và "
            "nội dung. Đơn được xác nhận tự động khi ngân hàng báo tiền đã vào tài khoản của cửa hàng.",
            refund="Cửa hàng chuyển khoản hoàn lại vào tài khoản ngân hàng đã dùng để thanh toán.",
            short="Chuyển khoản VietQR",
        ),
        en=RailText(
            name="VietQR bank transfer (any bank)",
            description="Scan the QR code with your banking app; the order confirms itself when the money arrives.",
            how="After you order, the order page shows a VietQR code with the account number, the amount and the "
            "transfer reference (the order code). Scan it with any bank's app; please keep the amount and the "
            "reference as they are. The order is confirmed automatically when the bank reports the money in the "
            "shop's account.",
            refund="The shop transfers the money back to the bank account you paid from.",
            short="VietQR bank transfer",
        ),
        invoice="Chuyển khoản",
    )
    starts_online = False  # the QR is drawn here
    pays_by_transfer = True  # every attempt is the same transfer content; the bank feeds report the money

    def __init__(self, account: BankAccount):
        self.account = account

    def start(self, order: OrderFacts) -> PaymentStart:
        """The QR and the same facts as text, for the order's full amount (or what is still due)."""
        content = transfer_content(order.order_code)
        payload = emvco_payload(self.account.bank_bin, self.account.account_no, order.amount_vnd, content)
        return PaymentStart(
            provider=self.name,
            reference=content,
            transfer=TransferInstructions(
                bank_bin=self.account.bank_bin,
                account_no=self.account.account_no,
                account_name=self.account.account_name,
                amount_vnd=order.amount_vnd,
                content=content,
                payload=payload,
                svg=qr_svg(payload),
                is_demo=self.account.is_demo,
            ),
        )

    def refund(self, notice: PaymentNotice, amount_vnd: int, reason: str) -> RefundOutcome:
        """A bank transfer cannot be refunded by API: the office returns it by hand."""
        return RefundOutcome(provider=self.name, by_hand=True, reference=notice.raw_id, message=reason)


def from_config(config: Mapping, allow_demo: bool = False) -> VietQRProvider | None:
    """The provider for VIETQR_BANK_BIN / VIETQR_ACCOUNT_NO / VIETQR_ACCOUNT_NAME, the demo one, or None."""
    bank_bin, account_no, account_name = ((config.get(name) or "").strip() for name in REQUIRED_SETTINGS)
    if bank_bin and account_no and account_name:
        if not _BIN.fullmatch(bank_bin) or not _ACCOUNT.fullmatch(account_no):
            raise ValueError("VIETQR_BANK_BIN is 6 digits and VIETQR_ACCOUNT_NO 1 to 19 letters or digits")
        return VietQRProvider(BankAccount(bank_bin, account_no, account_name))
    return VietQRProvider(DEMO_ACCOUNT) if allow_demo else None
