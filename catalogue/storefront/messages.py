"""Shopper-facing wording of cart notices."""

from __future__ import annotations

from flask_babel import gettext

from catalogue.cart.services import CartNotice, PricedCart
from catalogue.errors import Conflict
from catalogue.orders.services import MAX_LINES


def notice_text(notice: CartNotice) -> str:
    """The sentence a shopper reads for a cart notice."""
    if notice.kind == "limited":
        return gettext(
            "Chỉ còn %(count)d sản phẩm “%(name)s”: số lượng đã được điều chỉnh.",
            count=notice.available,
            name=notice.product_name,
        )
    if notice.kind == "sold_out":
        return gettext("“%(name)s” đã hết hàng và được bỏ khỏi giỏ.", name=notice.product_name)
    return gettext("Một sản phẩm trong giỏ không còn được bán và đã được bỏ ra.")


def _decline_texts() -> dict[str, str]:
    try_another = gettext("Thẻ bị từ chối. Vui lòng thử thẻ khác hoặc liên hệ ngân hàng phát hành thẻ.")
    check_details = gettext("Thông tin thẻ chưa đúng. Vui lòng kiểm tra số thẻ, ngày hết hạn và mã CVC.")
    too_many = gettext("Thẻ đã vượt hạn mức giao dịch. Vui lòng thử thẻ khác hoặc thử lại sau.")
    authentication = gettext("Ngân hàng chưa xác thực được giao dịch. Vui lòng thử lại hoặc dùng thẻ khác.")
    return {
        "card_declined": try_another,
        "generic_decline": try_another,
        "do_not_honor": try_another,
        "lost_card": try_another,
        "stolen_card": try_another,
        "fraudulent": try_another,
        "insufficient_funds": gettext("Thẻ không đủ số dư. Vui lòng dùng thẻ khác."),
        "expired_card": gettext("Thẻ đã hết hạn. Vui lòng dùng thẻ khác."),
        "incorrect_cvc": gettext("Mã CVC chưa đúng. Vui lòng kiểm tra 3 chữ số ở mặt sau thẻ."),
        "invalid_cvc": gettext("Mã CVC chưa đúng. Vui lòng kiểm tra 3 chữ số ở mặt sau thẻ."),
        "incorrect_number": check_details,
        "invalid_number": check_details,
        "invalid_expiry_month": check_details,
        "invalid_expiry_year": check_details,
        "processing_error": gettext("Có lỗi khi xử lý thẻ. Vui lòng thử lại sau ít phút."),
        "card_not_supported": gettext("Thẻ này không dùng được cho giao dịch trực tuyến. Vui lòng dùng thẻ khác."),
        "currency_not_supported": gettext("Thẻ này không thanh toán được bằng đồng Việt Nam. Vui lòng dùng thẻ khác."),
        "card_velocity_exceeded": too_many,
        "withdrawal_count_limit_exceeded": too_many,
        "authentication_required": authentication,
        "payment_intent_authentication_failure": authentication,
        "payment_not_retryable": gettext("Không thể thanh toán lại đơn hàng này. Vui lòng liên hệ cửa hàng."),
    }


def decline_text(code: str | None) -> str:
    """Why a card was refused, in the buyer's language, from the provider's reason code."""
    fallback = gettext("Thanh toán chưa thành công. Vui lòng thử lại hoặc dùng thẻ khác.")
    return _decline_texts().get(code or "", fallback)


def order_refusal_text(priced: PricedCart) -> str:
    """Why checkout refused the cart as a whole: too many kinds of product, or more than a card may pay."""
    if len(priced.lines) > MAX_LINES:
        return gettext("Một đơn hàng có tối đa %(count)d loại sản phẩm. Vui lòng chia làm nhiều đơn.", count=MAX_LINES)
    return gettext("Đơn hàng vượt quá hạn mức thanh toán thẻ (99.999.999 ₫). Vui lòng chia thành nhiều đơn nhỏ hơn.")


def sold_out_text(error: Conflict, priced: PricedCart) -> str:
    """Which product could not be reserved, by its name."""
    names = {line.product.id: line.product.name for line in priced.lines}
    for refused in (error.errors.get("lines") or {}).values():
        name = names.get(refused.get("product_id")) if isinstance(refused, dict) else None
        if name:
            return gettext("“%(name)s” vừa hết hàng hoặc không còn đủ số lượng. Vui lòng xem lại giỏ hàng.", name=name)
    return gettext("Một sản phẩm vừa hết hàng hoặc không còn đủ số lượng. Vui lòng xem lại giỏ hàng.")
