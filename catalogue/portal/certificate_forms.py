"""The OCOP office's forms to correct and to withdraw a certificate (each needs a reason)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from catalogue.portal.forms import REQUIRED

STAR_CHOICES = [("3", "3★"), ("4", "4★"), ("5", "5★")]
LEVEL_CHOICES = [("province", _l("Cấp tỉnh")), ("district", _l("Cấp huyện")), ("central", _l("Cấp trung ương"))]
NUMBER_CHECKS = [DataRequired(REQUIRED), Length(max=80, message=_l("Số quyết định dài tối đa 80 ký tự."))]
REASON_CHECKS = [
    DataRequired(_l("Vui lòng ghi lý do (được lưu vào lịch sử giấy chứng nhận).")),
    Length(max=1000, message=_l("Lý do dài tối đa %(count)d ký tự.", count=1000)),
]


class CorrectionForm(FlaskForm):
    stars = SelectField(_l("Số sao"), choices=STAR_CHOICES)
    certificate_no = StringField(_l("Số quyết định"), validators=NUMBER_CHECKS)
    issuing_level = SelectField(_l("Cấp công nhận"), choices=LEVEL_CHOICES)
    issued_on = DateField(_l("Ngày cấp"), validators=[InputRequired(REQUIRED)])
    reason = TextAreaField(_l("Lý do sửa"), validators=REASON_CHECKS)
    submit = SubmitField(_l("Sửa giấy chứng nhận"))


class WithdrawalForm(FlaskForm):
    reason = TextAreaField(_l("Lý do thu hồi"), validators=REASON_CHECKS)
    submit = SubmitField(_l("Thu hồi giấy chứng nhận"))
