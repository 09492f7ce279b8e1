"""What the portal says when a service refuses input: in the user's language, on the field."""

from __future__ import annotations

from flask_babel import gettext

from catalogue.accounts.passwords import SHORT, WeakPassword, advice
from catalogue.errors import InvalidInput


def _field_messages() -> dict[str, str]:
    return {
        "certificate_no": gettext("Đây không phải giấy chứng nhận OCOP còn hiệu lực của cơ sở."),
        "category": gettext("Không có bộ sản phẩm này."),
        "producer": gettext("Không có chủ thể này."),
        "locality": gettext("Không có địa phương này."),
        "status": gettext("Trạng thái không hợp lệ."),
        "tracking_number": gettext("Mã vận đơn gồm 4–60 chữ cái, chữ số, dấu chấm hoặc gạch ngang."),
        "tax_code": gettext("Mã số thuế gồm 10 chữ số, hoặc 13 dạng 0101234567-001, và chưa được đăng ký."),
        "email": gettext("Email này đã có tài khoản hoặc chưa đúng."),
        "password": advice(SHORT),
        "stars": gettext("Chỉ 3, 4 hoặc 5 sao."),
        "issuing_level": gettext("Cấp công nhận không hợp lệ."),
        "name": gettext("Tên cần từ 3 đến 200 ký tự."),
        "gtin": gettext("Mã GTIN là 13 chữ số bắt đầu bằng 893, đúng số kiểm tra, chưa thuộc sản phẩm khác."),
    }


def field_errors(form, error: InvalidInput) -> None:
    """Put a service's refusal on the form's fields (or on the first field when it names none of them).

    A service words its refusals in English for the API; the portal reads the field's Vietnamese
    message here, or a general one for a field it has no words for.
    """
    messages = _field_messages()
    if isinstance(error, WeakPassword):
        messages["password"] = advice(error.reason)
    unknown = gettext("Thông tin này chưa hợp lệ. Vui lòng kiểm tra lại.")
    placed = False
    for name in error.errors:
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, messages.get(name, unknown)]
            placed = True
    if not placed:
        first = next(iter(form))
        if first.name == "csrf_token":
            first = next(field for field in form if field.name != "csrf_token")
        first.errors = [*first.errors, unknown]


def image_error(reason: str) -> str:
    """Why a photo was refused, and what to do instead."""
    return {
        "type": gettext("Chỉ nhận ảnh JPEG, PNG hoặc WebP."),
        "size": gettext("Ảnh lớn hơn 5 MB. Vui lòng chọn ảnh nhỏ hơn."),
        "pixels": gettext("Ảnh quá lớn (trên 40 megapixel). Vui lòng thu nhỏ ảnh."),
        "corrupt": gettext("Tệp ảnh bị hỏng, không đọc được. Vui lòng chọn ảnh khác."),
        "empty": gettext("Tệp trống. Vui lòng chọn một ảnh."),
    }.get(reason, gettext("Không dùng được ảnh này."))


# The sync worker records a listing's problem in English, for its log (marketplace_sync/mapping.py):
# the producer reads what it means and what to do, keyed by how the worker's sentence starts.
_LISTING_PROBLEMS = (
    ("No image", "image"),
    ("No net weight", "weight"),
    ("No price", "price"),
    ("Will retry", "retry"),
    ("Not offered", "not_offered"),
)


def listing_problem(error: str | None, marketplace: str) -> str:
    """Why a marketplace did not take a product, and what the producer can do, in the reader's language."""
    shown = marketplace.capitalize()
    kind = next((kind for start, kind in _LISTING_PROBLEMS if (error or "").startswith(start)), "other")
    return {
        "image": gettext(
            "%(marketplace)s cần ít nhất một ảnh sản phẩm: hãy tải ảnh lên ở trang sản phẩm.", marketplace=shown
        ),
        "weight": gettext(
            "%(marketplace)s cần khối lượng tịnh để tính phí giao hàng: "
            "hãy nhập “Khối lượng tịnh (g)” ở trang sản phẩm.",
            marketplace=shown,
        ),
        "price": gettext("%(marketplace)s cần giá bán: hãy nhập giá ở trang sản phẩm.", marketplace=shown),
        "retry": gettext(
            "Tạm thời chưa gửi được lên %(marketplace)s; hệ thống sẽ tự thử lại, bạn không cần làm gì.",
            marketplace=shown,
        ),
        "not_offered": gettext("nhóm sản phẩm này chưa có ngành hàng trên sàn; không phải lỗi, không cần sửa"),
        "other": gettext(
            "%(marketplace)s chưa nhận sản phẩm này. Hãy kiểm tra tên, ảnh và mô tả; nếu vẫn lỗi sau lần đồng bộ "
            "tiếp theo, hãy liên hệ văn phòng OCOP.",
            marketplace=shown,
        ),
    }[kind]
