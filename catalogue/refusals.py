"""How pages word a domain's refusal, by its code (catalogue.errors.DomainError.code), Vietnamese first.

The services refuse in English for the JSON API; a person reading a page gets these words in their
language (Flask-Babel: Vietnamese the default, English translated). A code not listed here keeps the
service's message.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

WORDS = {
    # orders
    "order.not_found": _l("Không tìm thấy đơn hàng này."),
    "order.not_cancellable": _l(
        "Đơn hàng đã được thanh toán nên bạn không tự huỷ được; vui lòng liên hệ cửa hàng để huỷ và hoàn tiền."
    ),  # fmt: skip
    "order.not_payable": _l("Đơn hàng này không còn chờ thanh toán."),
    "order.out_of_stock": _l("Có sản phẩm không còn đủ hàng; không có gì được giữ chỗ. Vui lòng giảm số lượng."),
    "order.too_large": _l(
        "Đơn hàng vượt quá mức một lần thanh toán bằng thẻ (99.999.999 ₫); hãy tách thành nhiều đơn nhỏ hơn."
    ),  # fmt: skip
    "order.invalid_transition": _l("Đơn hàng đang ở trạng thái khác; vui lòng tải lại trang."),
    "order.busy": _l(
        "Đang có nhiều người đặt hàng cùng lúc nên đơn của bạn chưa được đặt, hàng chưa được giữ. "
        "Trang sẽ tự gửi lại sau vài giây; bạn cũng có thể bấm “Đặt hàng và thanh toán” lần nữa."
    ),  # fmt: skip
    # payments
    "payment.declined": _l("Thẻ bị từ chối; bạn có thể thử lại bằng thẻ khác."),
    "payment.unavailable": _l("Cổng thanh toán tạm thời không phản hồi; vui lòng thử lại sau vài phút."),
    "payment.method_unavailable": _l("Phương thức thanh toán này không có ở cửa hàng."),
    "payment.refund_refused": _l("Cổng thanh toán từ chối hoàn tiền; đơn hàng chưa thay đổi."),
    "payment.wrong_amount": _l("Số tiền thanh toán không khớp với đơn hàng."),
}


def refusal_words(code: str | None) -> str | None:
    """The page's words for refusal `code` in the current language; None when it has none."""
    words = WORDS.get(code or "")
    return str(words) if words is not None else None
