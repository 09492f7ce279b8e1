"""The OCOP office's forms to correct and to withdraw a certificate (each needs a reason)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired

from catalogue.forms import REQUIRED, Form, length

STAR_CHOICES = [("3", "3★"), ("4", "4★"), ("5", "5★")]
LEVEL_CHOICES = [("province", _l("Cấp tỉnh")), ("district", _l("Cấp huyện")), ("central", _l("Cấp trung ương"))]
NUMBER_CHECKS = [DataRequired(REQUIRED), length(max=80)]
REASON_CHECKS = [
    DataRequired(_l("Vui lòng ghi lý do (được lưu vào lịch sử giấy chứng nhận).")),
    length(max=1000),
]


class CorrectionForm(Form):
    stars = SelectField(_l("Số sao"), choices=STAR_CHOICES)
    certificate_no = StringField(_l("Số quyết định"), validators=NUMBER_CHECKS)
    issuing_level = SelectField(_l("Cấp công nhận"), choices=LEVEL_CHOICES)
    issued_on = DateField(_l("Ngày cấp"), validators=[InputRequired(REQUIRED)])
    reason = TextAreaField(_l("Lý do sửa"), validators=REASON_CHECKS)
    submit = SubmitField(_l("Sửa giấy chứng nhận"))


class WithdrawalForm(Form):
    reason = TextAreaField(_l("Lý do thu hồi"), validators=REASON_CHECKS)
    submit = SubmitField(_l("Thu hồi giấy chứng nhận"))
