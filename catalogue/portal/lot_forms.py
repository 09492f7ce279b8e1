"""Portal forms for lots and their reports (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, NumberRange

from catalogue.forms import Form, length
from catalogue.portal.forms import PLEASE_CHOOSE, REQUIRED


class LotForm(Form):
    lot_number = StringField(_l("Số lô"), validators=[DataRequired(REQUIRED), length(max=20)])
    produced_on = DateField(_l("Ngày sản xuất"), validators=[InputRequired(REQUIRED)])
    expires_on = DateField(_l("Hạn sử dụng"), validators=[InputRequired(REQUIRED)])
    quantity = IntegerField(
        _l("Số lượng sản phẩm của lô"),
        validators=[InputRequired(REQUIRED), NumberRange(min=1, max=10_000_000, message=_l("Từ 1 đến 10.000.000."))],
    )
    origin_ward = SelectField(_l("Nguyên liệu từ (phường, xã, đặc khu)"), validators=[DataRequired(REQUIRED)])
    submit = SubmitField(_l("Lưu lô sản xuất"))

    def with_wards(self, names: list[str]) -> LotForm:
        """Offer Quảng Ninh's current wards and communes."""
        self.origin_ward.choices = [PLEASE_CHOOSE, *((name, name) for name in names)]
        return self


class ReportForm(Form):
    title = StringField(
        _l("Tên phiếu (ví dụ: Phiếu kết quả thử nghiệm số 123)"), validators=[DataRequired(REQUIRED), length(max=200)]
    )
    report = FileField(_l("Tệp PDF hoặc ảnh"), validators=[FileRequired(REQUIRED)])
    submit = SubmitField(_l("Tải lên"))
