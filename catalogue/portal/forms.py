"""Portal forms (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from marshmallow import ValidationError as MarshmallowValidationError
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, NumberRange, Optional, ValidationError

from catalogue.forms import Form, length
from catalogue.orders.schemas import vietnamese_phone
from catalogue.products.schemas import MAX_PRICE_VND
from catalogue.tax_codes import valid_tax_code

REQUIRED = _l("Vui lòng nhập thông tin này.")
CHOOSE = _l("Vui lòng chọn một mục.")
# A select's empty first option: nothing is chosen for the user.
PLEASE_CHOOSE = ("", _l("— Chọn —"))
# The producer says so explicitly when a listing has no certificate yet (it then stays off the shop).
NO_CERTIFICATE = "none"
STOCK_RANGE = _l("Từ 0 đến 1.000.000.")


class LoginForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(REQUIRED), length(max=200)])
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(REQUIRED), length(max=200)])
    submit = SubmitField(_l("Đăng nhập"))


class TwoFactorForm(Form):
    code = StringField(
        _l("Mã xác thực"), validators=[DataRequired(REQUIRED), length(max=20)], filters=[lambda v: (v or "").strip()]
    )
    submit = SubmitField(_l("Xác nhận"))


class ForgotPasswordForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(REQUIRED), length(max=200)])
    submit = SubmitField(_l("Gửi liên kết đặt lại mật khẩu"))


def _same_as_password(form, field) -> None:
    if field.data != form.password.data:
        raise ValidationError(_l("Hai mật khẩu chưa giống nhau. Vui lòng nhập lại."))


class NewPasswordForm(Form):
    password = PasswordField(_l("Mật khẩu mới"), validators=[DataRequired(REQUIRED), length(max=200)])
    confirm = PasswordField(_l("Nhập lại mật khẩu mới"), validators=[DataRequired(REQUIRED), _same_as_password])
    submit = SubmitField(_l("Đặt mật khẩu mới"))


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(_l("Mật khẩu hiện tại"), validators=[DataRequired(REQUIRED), length(max=200)])
    submit = SubmitField(_l("Đổi mật khẩu"))


class ButtonForm(Form):
    """A form that is only a button (log out, archive, remove, revoke): the CSRF token is its content."""

    submit = SubmitField()


class ProductForm(Form):
    name = StringField(_l("Tên sản phẩm"), validators=[DataRequired(REQUIRED), length(min=3, max=200)])
    category = SelectField(_l("Bộ sản phẩm OCOP"), validators=[DataRequired(REQUIRED)])
    unit = StringField(_l("Đơn vị bán"), validators=[DataRequired(REQUIRED), length(max=60)])
    net_weight_g = IntegerField(
        _l("Khối lượng tịnh (g)"),
        validators=[Optional(), NumberRange(min=1, max=100_000, message=_l("Từ 1 đến 100.000 g."))],
    )
    price_vnd = IntegerField(
        _l("Giá (đồng)"),
        validators=[
            InputRequired(REQUIRED),
            NumberRange(min=1000, message=_l("Giá tối thiểu 1.000 ₫.")),
            NumberRange(max=MAX_PRICE_VND, message=_l("Giá tối đa 1.000.000.000.000 ₫.")),
        ],
    )
    description = TextAreaField(_l("Mô tả"), validators=[Optional(), length(max=5000)])
    status = SelectField(
        _l("Trạng thái"), choices=[("draft", _l("Bản nháp")), ("active", _l("Đang bán"))], default="draft"
    )


class ProductCreateForm(ProductForm):
    """A new listing: the category, the certificate and the status are the user's choice, never a default."""

    category = SelectField(_l("Bộ sản phẩm OCOP"), validators=[DataRequired(CHOOSE)], default="")
    status = SelectField(
        _l("Trạng thái"),
        choices=[PLEASE_CHOOSE, ("draft", _l("Bản nháp: chưa bán")), ("active", _l("Đang bán"))],
        validators=[DataRequired(CHOOSE)],
        default="",
    )
    stock = IntegerField(
        _l("Tồn kho"),
        validators=[InputRequired(REQUIRED), NumberRange(min=0, max=1_000_000, message=STOCK_RANGE)],
        default=0,
    )
    certificate_no = SelectField(_l("Giấy chứng nhận OCOP"), validators=[DataRequired(CHOOSE)], default="")
    producer = SelectField(_l("Chủ thể OCOP"), validators=[DataRequired(CHOOSE)], default="")
    submit = SubmitField(_l("Thêm sản phẩm"))


class ProductEditForm(ProductForm):
    gtin = StringField(_l("Mã GTIN (EAN-13)"), validators=[Optional(), length(max=13)])
    version = HiddenField()
    submit = SubmitField(_l("Lưu thay đổi"))


class StockForm(Form):
    stock = IntegerField(
        _l("Tồn kho"), validators=[InputRequired(REQUIRED), NumberRange(min=0, max=1_000_000, message=STOCK_RANGE)]
    )
    submit = SubmitField(_l("Cập nhật tồn kho"))


class ImageForm(Form):
    image = FileField(_l("Ảnh sản phẩm"), validators=[FileRequired(_l("Chọn một ảnh."))])
    submit = SubmitField(_l("Tải ảnh lên"))


class ShipForm(Form):
    tracking_number = StringField(_l("Mã vận đơn"), validators=[DataRequired(REQUIRED), length(max=60)])
    submit = SubmitField(_l("Đã giao cho đơn vị vận chuyển"))


class TokenForm(Form):
    name = StringField(_l("Dùng cho"), validators=[Optional(), length(max=100)])
    scopes = SelectField(
        _l("Quyền"),
        choices=[
            ("catalogue:write", _l("Sửa sản phẩm của cơ sở")),
            ("orders:read", _l("Xem đơn hàng")),
            ("both", _l("Cả hai")),
        ],
        default="catalogue:write",
    )
    submit = SubmitField(_l("Tạo khoá API"))


def _phone(form, field) -> None:
    """A Vietnamese phone, as checkout reads a buyer's (stored as 0xxxxxxxxx)."""
    if not (field.data or "").strip():
        return
    try:
        field.data = vietnamese_phone(field.data)
    except MarshmallowValidationError as error:  # the API's wording; the form speaks Vietnamese
        raise ValidationError(gettext("Số điện thoại Việt Nam, ví dụ 0912345678 hoặc 02033123456.")) from error


def _tax_code(form, field) -> None:
    """A tax code whose check digit holds, as checkout checks a company buyer's."""
    if (field.data or "").strip() and valid_tax_code(field.data.strip()) is None:
        raise ValidationError(
            gettext("Mã số thuế chưa đúng: 10 chữ số (hoặc 10 chữ số - 3 chữ số) với chữ số kiểm tra hợp lệ.")
        )


class ProducerForm(Form):
    name = StringField(_l("Tên chủ thể"), validators=[DataRequired(REQUIRED), length(min=3, max=200)])
    legal_form = SelectField(
        _l("Loại hình"),
        choices=[
            ("cooperative", _l("Hợp tác xã")),
            ("company", _l("Doanh nghiệp")),
            ("household", _l("Hộ kinh doanh")),
        ],
    )
    locality = SelectField(_l("Địa phương"), validators=[DataRequired(REQUIRED)])
    tax_code = StringField(_l("Mã số thuế"), validators=[Optional(), length(max=14), _tax_code])
    address = StringField(_l("Địa chỉ"), validators=[Optional(), length(max=300)])
    phone = StringField(_l("Điện thoại"), validators=[Optional(), length(max=20), _phone])
    email = EmailField(_l("Email"), validators=[Optional(), Email(_l("Email chưa đúng.")), length(max=200)])
    # Shown only when a producer of the same name is already registered in the locality.
    confirm_duplicate = BooleanField(_l("Vẫn thêm: đây là một chủ thể khác, trùng tên"))
    submit = SubmitField(_l("Thêm chủ thể"))


class UserForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(REQUIRED), Email(_l("Email chưa đúng.")), length(max=200)])
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(REQUIRED), length(max=200)])
    role = SelectField(_l("Vai trò"), choices=[("producer", _l("Chủ thể OCOP")), ("admin", _l("Văn phòng OCOP"))])
    producer = SelectField(_l("Chủ thể OCOP"), validators=[Optional()])
    submit = SubmitField(_l("Thêm người dùng"))


class CertificateForm(Form):
    stars = SelectField(_l("Số sao"), choices=[("3", "3★"), ("4", "4★"), ("5", "5★")], default="4")
    certificate_no = StringField(_l("Số quyết định"), validators=[DataRequired(REQUIRED), length(max=80)])
    issuing_level = SelectField(
        _l("Cấp công nhận"),
        choices=[("province", _l("Cấp tỉnh")), ("district", _l("Cấp huyện")), ("central", _l("Cấp trung ương"))],
    )
    issued_on = DateField(_l("Ngày cấp"), validators=[InputRequired(REQUIRED)])
    submit = SubmitField(_l("Ghi giấy chứng nhận"))


class StatusForm(Form):
    status = SelectField(
        _l("Trạng thái"),
        choices=[("active", _l("Đang bán")), ("draft", _l("Bản nháp")), ("archived", _l("Đã lưu trữ"))],
    )
    submit = SubmitField(_l("Đổi trạng thái"))


class RejectForm(Form):
    """The office refuses a listing, and says why (its producer reads it)."""

    reason = TextAreaField(
        _l("Lý do không duyệt"),
        validators=[DataRequired(REQUIRED), length(max=1000)],
    )
    submit = SubmitField(_l("Không duyệt"))


BUFFER_RANGE = _l("Từ 0 đến 100.000.")


class BufferForm(Form):
    """Units each marketplace listing keeps back of the one stock (the shop sells to 0)."""

    shopee = IntegerField(
        "Shopee", validators=[InputRequired(REQUIRED), NumberRange(min=0, max=100_000, message=BUFFER_RANGE)]
    )
    lazada = IntegerField(
        "Lazada", validators=[InputRequired(REQUIRED), NumberRange(min=0, max=100_000, message=BUFFER_RANGE)]
    )
    tiktok = IntegerField(
        "TikTok Shop", validators=[InputRequired(REQUIRED), NumberRange(min=0, max=100_000, message=BUFFER_RANGE)]
    )
    submit = SubmitField(_l("Lưu mức giữ lại"))
