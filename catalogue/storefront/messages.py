"""Shopper-facing wording of cart notices."""

from __future__ import annotations

from flask_babel import gettext

from catalogue.cart.services import CartNotice


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
