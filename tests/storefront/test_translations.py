"""Every shopper-facing string has an English translation, compiled and current."""

import inspect
import re
from html.parser import HTMLParser
from pathlib import Path

import wtforms.fields.choices
import wtforms.fields.core
import wtforms.fields.datetime
import wtforms.fields.numeric
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask_babel.speaklater import LazyString
from jinja2 import Environment
from wtforms.fields.core import UnboundField
from wtforms.validators import Optional

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "catalogue" / "translations"


def test_every_template_and_code_string_is_translated(tmp_path):
    pot = tmp_path / "messages.pot"
    CommandLineInterface().run(
        [
            "pybabel",
            "-q",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "-o",
            str(pot),
            str(ROOT / "catalogue"),
        ],
    )
    extracted = {message.id for message in read_po(pot.open("rb")) if message.id}
    with open(TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po", "rb") as handle:
        english = {message.id: message.string for message in read_po(handle) if message.id}

    assert extracted
    assert sorted(extracted - {msgid for msgid, text in english.items() if text}) == []


def test_compiled_catalogue_matches_the_po_file():
    with open(TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po", "rb") as handle:
        source = {message.id: message.string for message in read_po(handle) if message.id}
    with open(TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.mo", "rb") as handle:
        compiled = {message.id: message.string for message in read_mo(handle) if message.id}
    assert compiled == source


# --- Every text a person reads is wrapped for translation -------------------------------------------

TEMPLATES = ROOT / "catalogue" / "templates"
# Names, not wording: the shop's name, the API, file formats offered as download links, and each language's
# name in its own language.
NAMES = ("OCOP", "Quảng Ninh", "API", "XLSX", "CSV", "English", "Tiếng Việt")
VISIBLE_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label"}
WORD = re.compile(r"[^\W\d_]{2,}")


class _VisibleText(HTMLParser):
    """Text a reader sees: element text outside script/style, and the attributes read aloud or shown."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        self._hidden += tag in ("script", "style")
        self.texts += [value for name, value in attrs if name in VISIBLE_ATTRIBUTES and value]

    def handle_endtag(self, tag):
        self._hidden -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._hidden:
            self.texts.append(data)


def untranslated_text(source: str, html: bool) -> list[str]:
    """The words of a template written outside any `{{ … }}`/`{% … %}` (so outside `_()`), names aside."""
    lexer = Environment(extensions=["jinja2.ext.i18n"])
    literal = "".join(value if kind == "data" else " " for _, kind, value in lexer.lex(source))
    if html:
        parser = _VisibleText()
        parser.feed(literal)
        texts = parser.texts
    else:
        texts = [literal]
    found = []
    for text in texts:
        for line in text.splitlines():
            for name in NAMES:
                line = line.replace(name, " ")
            if WORD.search(line):
                found.append(line.strip())
    return found


def test_the_walker_finds_text_outside_translation_calls():
    source = '<p title="Xem thêm">{{ _("Giỏ hàng") }} Đơn hàng {{ count }}</p><script>var x = "ok";</script>OCOP'

    assert untranslated_text(source, html=True) == ["Xem thêm", "Đơn hàng"]


def test_every_template_wraps_its_visible_text_in_a_translation_call():
    templates = sorted(path for path in TEMPLATES.rglob("*") if path.suffix in (".html", ".txt"))
    found = {
        str(path.relative_to(TEMPLATES)): untranslated_text(path.read_text(encoding="utf-8"), path.suffix == ".html")
        for path in templates
    }

    assert len(templates) > 20
    assert {name: words for name, words in found.items() if words} == {}


# --- Every form message is the shop's own, Vietnamese first -----------------------------------------


def _english() -> dict[str, str]:
    with open(TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return {message.id: message.string for message in read_po(handle) if message.id}


def _all_forms() -> list[type]:
    import catalogue.portal.forms
    import catalogue.storefront.checkout
    import catalogue.storefront.forms  # noqa: F401 - imported for their form classes
    from catalogue.forms import Form

    found, waiting = [], [Form]
    while waiting:
        for subclass in waiting.pop().__subclasses__():
            found.append(subclass)
            waiting.append(subclass)
    return found


def _msgid(text) -> str | None:
    """The Vietnamese msgid behind a lazy translation, or None when the text is not one."""
    return text._args[0] if isinstance(text, LazyString) else None


def test_every_form_validator_has_a_vietnamese_message_with_an_english_translation():
    english = _english()
    forms = _all_forms()
    problems = []
    for form in forms:
        for name, unbound in vars(form).items():
            if not isinstance(unbound, UnboundField):
                continue
            validators = unbound.kwargs.get("validators") or (unbound.args[1] if len(unbound.args) > 1 else [])
            for validator in validators:
                if isinstance(validator, Optional) or inspect.isfunction(validator):
                    continue  # Optional says nothing; our function validators raise gettext() text
                msgid = _msgid(getattr(validator, "message", None))
                if msgid is None or not english.get(msgid):
                    problems.append(f"{form.__name__}.{name}: {type(validator).__name__}")
    names = {form.__name__ for form in forms}

    assert {"CheckoutForm", "AddToCartForm", "CartLineForm", "ProductCreateForm", "CertificateForm"} <= names
    assert problems == []


def test_every_message_a_field_says_itself_is_ours_and_translated():
    english = _english()
    from catalogue.forms import FIELD_MESSAGES

    fields_own = {
        message
        for module in (wtforms.fields.core, wtforms.fields.numeric, wtforms.fields.choices, wtforms.fields.datetime)
        for message in re.findall(r'gettext\(\s*"([^"]+)"', inspect.getsource(module))
    } - {"Choices cannot be None."}  # a programming error, never shown

    assert sorted(fields_own - FIELD_MESSAGES.keys()) == []
    assert [msgid for msgid in map(_msgid, FIELD_MESSAGES.values()) if not english.get(msgid)] == []
