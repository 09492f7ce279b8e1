"""GS1 Digital Link URIs: built and read back as the GS1 Digital Link standard's examples write them."""

import pytest

from catalogue.traceability.digital_link import (
    MalformedLink,
    ParsedLink,
    digital_link,
    ean13_of,
    gtin14,
    gtin_problem,
    new_code,
    parse_digital_link,
    short_link,
    valid_code,
)


def test_builds_the_standards_example_from_an_ean13_padded_to_gtin14():
    assert digital_link("https://id.gs1.org", "9520123456788", "ABC123") == (
        "https://id.gs1.org/01/09520123456788/10/ABC123"
    )
    assert digital_link("https://id.gs1.org/", "09520123456788") == "https://id.gs1.org/01/09520123456788"


@pytest.mark.parametrize(
    ("gtin", "padded"),
    [("9520123456788", "09520123456788"), ("95012346", "00000095012346"), ("614141123452", "00614141123452")],
)
def test_gtin14_left_pads_every_gtin_length(gtin, padded):
    assert gtin14(gtin) == padded


def test_a_lot_with_characters_outside_the_unreserved_set_is_percent_encoded_and_read_back():
    uri = digital_link("https://example.com", "8935049500018", "A/1&B")

    assert uri == "https://example.com/01/08935049500018/10/A%2F1%26B"
    assert parse_digital_link(uri.removeprefix("https://example.com")) == ParsedLink("08935049500018", "A/1&B")


@pytest.mark.parametrize(
    ("path", "parsed"),
    [
        ("/01/09520123456788/10/ABC123", ParsedLink("09520123456788", "ABC123")),
        ("/01/09520123456788", ParsedLink("09520123456788", None)),
        ("/01/09520123456788/10/ABC123/", ParsedLink("09520123456788", "ABC123")),  # a trailing slash tolerated
        ("/01/09520123456788/22/2A/10/ABC%26123/21/12345", ParsedLink("09520123456788", "ABC&123")),
        ("/01/09506000134352/10/ABC%2F123", ParsedLink("09506000134352", "ABC/123")),
    ],
)
def test_parses_the_standards_examples(path, parsed):
    assert parse_digital_link(path) == parsed


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/01/09520123456789/10/ABC123", "gtin"),  # wrong check digit
        ("/01/9520123456788/10/ABC123", "gtin"),  # 13 digits: a GTIN is always 14 in a URI (DL URI syntax 1.4)
        ("/01/abc/10/ABC123", "gtin"),
        ("/01/09520123456788/10/" + "A" * 21, "lot"),  # AI 10 is at most 20 characters
        ("/01/09520123456788/10/ABC%E2%98%83", "lot"),  # a snowman is not in GS1's character set 82
        ("/01/09520123456788/10", "path"),
        ("/01/09520123456788/10/A/22/B", "path"),  # qualifiers out of order
        ("/01/09520123456788/99/A", "path"),
    ],
)
def test_refuses_malformed_links_naming_the_part(path, reason):
    with pytest.raises(MalformedLink) as refused:
        parse_digital_link(path)
    assert refused.value.reason == reason


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("8935049500018", None),
        ("8935049500019", "check_digit"),
        ("9520123456788", "prefix"),
        ("893504950001", "length"),
        ("89350495000x8", "length"),
        ("", "length"),
    ],
)
def test_a_product_gtin_is_an_ean13_under_vietnams_prefix_with_its_check_digit(value, problem):
    assert gtin_problem(value) == problem


def test_short_links_and_codes():
    code = new_code()

    assert len(code) == 8 and valid_code(code)
    assert short_link("https://shop.test/", code) == f"https://shop.test/t/{code}"
    assert not valid_code("ABCDEFGHIJKLM") and not valid_code("AB-CD") and not valid_code("ILOU")
    assert ean13_of("08935049500018") == "8935049500018" and ean13_of("18935049500015") is None
