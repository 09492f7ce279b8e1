"""Storefront forms (CSRF on every post; every message the shop's own, see catalogue.forms)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, SubmitField
from wtforms.validators import AnyOf, DataRequired, InputRequired, NumberRange

from catalogue.forms import Form

MAX_QUANTITY = 99
LARGEST_ID = 2**63 - 1  # the databases' BIGINT: a larger id can name no product
QUANTITY_REQUIRED = _l("Vui lòng nhập số lượng.")
QUANTITY_RANGE = _l("Số lượng từ %(min)s đến %(max)s.")
UNKNOWN_PRODUCT = _l("Sản phẩm này không còn được bán.")


def _product_id():
    return IntegerField(
        validators=[DataRequired(UNKNOWN_PRODUCT), NumberRange(min=1, max=LARGEST_ID, message=UNKNOWN_PRODUCT)]
    )


class AddToCartForm(Form):
    product_id = _product_id()
    quantity = IntegerField(
        _l("Số lượng"),
        validators=[InputRequired(QUANTITY_REQUIRED), NumberRange(min=1, max=MAX_QUANTITY, message=QUANTITY_RANGE)],
        default=1,
    )
    submit = SubmitField(_l("Thêm vào giỏ"))


class CartLineForm(Form):
    product_id = _product_id()
    quantity = IntegerField(
        _l("Số lượng"),
        validators=[InputRequired(QUANTITY_REQUIRED), NumberRange(min=0, max=MAX_QUANTITY, message=QUANTITY_RANGE)],
    )
    update = SubmitField(_l("Cập nhật"))
    remove = SubmitField(_l("Xoá"))


class LanguageForm(Form):
    class Meta:
        csrf = False  # checked by its view, storefront.views.language: from this site, or a valid token

    lang = HiddenField(validators=[AnyOf(("vi", "en"), message=_l("Ngôn ngữ này chưa có."))])
