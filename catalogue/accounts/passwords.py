"""Which passwords are refused: too short, on the shipped list of common ones, or easy to guess.

Three checks, cheapest first:

1. at least MIN_PASSWORD_LENGTH characters;
2. not one of the 10 000 most common passwords (common_passwords.txt beside this file, from
   zxcvbn's own frequency list, MIT; regenerate with
   `python -c "from zxcvbn.frequency_lists import FREQUENCY_LISTS as F; print(*F['passwords'][:10000], sep='\\n')"`),
   compared without case and without the spaces around it;
3. zxcvbn's estimate (Dropbox's algorithm, maintained as the `zxcvbn` package) of at least
   MIN_SCORE out of 4: it catches what a list cannot (`aaaaaaaaaa`, `1234567890`, keyboard rows,
   the user's own email, the shop's name followed by a year).

`problem()` says which rule a password breaks (a code), `WeakPassword` carries it, and the
portal and the CLI word it in Vietnamese with what to do instead (`advice()`).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from flask_babel import gettext
from zxcvbn import zxcvbn

from catalogue.errors import InvalidInput

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
# zxcvbn's 3: "safely unguessable: moderate protection from offline slow-hash scenario" (≥ 10^8 guesses).
MIN_SCORE = 3
# zxcvbn's cost grows with length; what it estimates past this many characters changes nothing here.
ESTIMATED_CHARACTERS = 100
COMMON_LIST = Path(__file__).with_name("common_passwords.txt")
# Words that make a password guessable here whatever zxcvbn's dictionaries hold.
SITE_WORDS = ("ocop", "quangninh", "quang ninh", "quảng ninh", "catalogue", "portal")

SHORT, COMMON, GUESSABLE, LONG = "short", "common", "guessable", "long"
ENGLISH = {
    SHORT: f"At least {MIN_PASSWORD_LENGTH} characters.",
    COMMON: "This is one of the most common passwords.",
    GUESSABLE: "Too easy to guess.",
    LONG: f"At most {MAX_PASSWORD_LENGTH} characters.",
}


class WeakPassword(InvalidInput):
    """A password the rules refuse; `reason` is one of SHORT, COMMON, GUESSABLE, LONG."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"Password refused: {ENGLISH[reason]}", {"password": [ENGLISH[reason]]})
        self.reason = reason


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_LIST.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("# "))


def problem(password: str, email: str = "") -> str | None:
    """The rule `password` breaks for the user with `email`, or None when it is good enough."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return SHORT
    if len(password) > MAX_PASSWORD_LENGTH:
        return LONG
    if password.strip().lower() in common_passwords():
        return COMMON
    local, _, domain = email.lower().partition("@")
    hints = [word for word in (email.lower(), local, domain, *SITE_WORDS) if word]
    if zxcvbn(password[:ESTIMATED_CHARACTERS], user_inputs=hints)["score"] < MIN_SCORE:
        return GUESSABLE
    return None


def check(password: str, email: str = "") -> None:
    """Raise WeakPassword when `password` breaks a rule."""
    reason = problem(password, email)
    if reason is not None:
        raise WeakPassword(reason)


def advice(reason: str) -> str:
    """What the user should do instead, in the user's language (Vietnamese first)."""
    return {
        SHORT: gettext(
            "Mật khẩu cần ít nhất %(count)d ký tự. Hãy dùng một câu ngắn dễ nhớ.", count=MIN_PASSWORD_LENGTH
        ),
        LONG: gettext("Mật khẩu dài tối đa %(count)d ký tự.", count=MAX_PASSWORD_LENGTH),
        COMMON: gettext(
            "Mật khẩu này nằm trong danh sách mật khẩu phổ biến bị lộ. Hãy chọn mật khẩu khác, "
            "ví dụ một câu gồm vài từ không liên quan."
        ),
        GUESSABLE: gettext(
            "Mật khẩu này quá dễ đoán (dãy số, ký tự lặp, bàn phím hoặc email của bạn). "
            "Hãy dùng một câu gồm vài từ không liên quan, có thể thêm số."
        ),
    }[reason]
