"""Storefront forms (Flask-WTF: CSRF on every post)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SubmitField
from wtforms.validators import AnyOf, DataRequired, InputRequired, NumberRange


class AddToCartForm(FlaskForm):
    product_id = IntegerField(validators=[DataRequired()])
    quantity = IntegerField(_l("Số lượng"), validators=[InputRequired(), NumberRange(min=1, max=99)], default=1)
    submit = SubmitField(_l("Thêm vào giỏ"))


class CartLineForm(FlaskForm):
    product_id = IntegerField(validators=[DataRequired()])
    quantity = IntegerField(_l("Số lượng"), validators=[InputRequired(), NumberRange(min=0, max=99)])
    update = SubmitField(_l("Cập nhật"))
    remove = SubmitField(_l("Xoá"))


class LanguageForm(FlaskForm):
    lang = HiddenField(validators=[AnyOf(("vi", "en"))])
