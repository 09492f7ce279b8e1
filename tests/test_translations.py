"""Every shopper-facing string has an English translation, compiled and current."""

from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
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
