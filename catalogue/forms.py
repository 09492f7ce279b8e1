"""The base of every HTML form: its messages are ours, Vietnamese first, English through the .po.

Validators are given explicit messages where they are declared. A few messages come from the
fields themselves ("Not a valid integer value." when a number box holds letters, "Not a valid
choice." for a tampered select); WTForms ships no Vietnamese catalogue, so `Form` hands the fields
a translator that answers those in our own words.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import Length

from catalogue.text import xml_safe

REQUIRED = _l("Vui lòng nhập thông tin này.")
CHOOSE = _l("Vui lòng chọn một mục trong danh sách.")
LENGTH_BETWEEN = _l("Cần từ %(min)d đến %(max)d ký tự.")
LENGTH_AT_MOST = _l("Tối đa %(max)d ký tự.")
LENGTH_AT_LEAST = _l("Cần ít nhất %(min)d ký tự.")

# What WTForms' fields say on their own (not their validators), in our words.
FIELD_MESSAGES = {
    "Not a valid integer value.": _l("Vui lòng nhập một số nguyên."),
    "Not a valid decimal value.": _l("Vui lòng nhập một số."),
    "Not a valid float value.": _l("Vui lòng nhập một số."),
    "Not a valid choice.": CHOOSE,
    "Invalid Choice: could not coerce.": CHOOSE,
    "Invalid choice(s): one or more data inputs could not be coerced.": CHOOSE,
    "'%(value)s' is not a valid choice for this field.": _l("“%(value)s” không có trong danh sách."),
    "'%(value)s' are not valid choices for this field.": _l("“%(value)s” không có trong danh sách."),
    "Not a valid date value.": _l("Vui lòng nhập một ngày hợp lệ."),
    "Not a valid datetime value.": _l("Vui lòng nhập ngày và giờ hợp lệ."),
    "Not a valid time value.": _l("Vui lòng nhập giờ hợp lệ."),
    "Not a valid week value.": _l("Vui lòng nhập tuần hợp lệ."),
}


def length(min: int = -1, max: int = -1) -> Length:  # noqa: A002 - WTForms' own argument names
    """A length check that says its limits in the reader's language."""
    if min > 0 and max > 0:
        message = LENGTH_BETWEEN
    elif max > 0:
        message = LENGTH_AT_MOST
    else:
        message = LENGTH_AT_LEAST
    return Length(min=min, max=max, message=message)


class FieldTranslations:
    """The translator WTForms fields use: our words for their own messages, the text itself otherwise."""

    def gettext(self, string: str) -> str:
        """The reader's wording of a field's own message."""
        message = FIELD_MESSAGES.get(string)
        return str(message) if message is not None else string

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """Plural messages (multi-selects): the same wording, whatever the count."""
        return self.gettext(singular if n == 1 else plural)


UNSTORABLE = _l(
    "Có ký tự không hợp lệ (ký tự điều khiển hoặc ký tự đặc biệt không in được). Vui lòng xoá ký tự đó và nhập lại."
)


class Form(FlaskForm):
    """A Flask-WTF form (CSRF on every post) whose every message is the shop's own.

    Every text field of every form is refused when it holds what XML cannot carry (controls,
    U+FFFE/U+FFFF, lone surrogates): stored, such text broke the feeds, the XLSX exports and the
    e-invoices later (tests/operations/test_xml_safe_text.py walks every form).
    """

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            return FieldTranslations()

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            texts = field.data if isinstance(field.data, list) else [field.data]
            if any(isinstance(text, str) and not xml_safe(text) for text in texts):
                field.errors = [*field.errors, str(UNSTORABLE)] if isinstance(field.errors, list) else [str(UNSTORABLE)]
                valid = False
        return valid
