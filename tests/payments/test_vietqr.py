"""VietQR: the EMVCo payload against published vectors and an independent decoder, the QR read back by zbar."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from qr_pay import QRPay  # napas-qr-python: an independent decoder, not our encoder

from catalogue.payments import vietqr
from catalogue.payments.port import OrderFacts, PaymentNotice
from tests.conftest import require_service

# vietqr.io's "API tạo mã QR" example (970415 / 113366668888, 79.000 ₫, "Ung Ho Quy Vac Xin").
VIETQR_IO_EXAMPLE = (
    "00020101021238560010A0000007270126000697041501121133666688880208QRIBFTTA"
    "53037045405790005802VN62220818Ung Ho Quy Vac Xin63043ACF"
)
STATIC_EXAMPLE = "00020101021138560010A0000007270126000697041501121133666688880208QRIBFTTA53037045802VN6304F443"


def test_the_payload_is_the_published_vietqr_io_example_to_the_character():
    payload = vietqr.emvco_payload("970415", "113366668888", 79_000, "Ung Ho Quy Vac Xin")

    assert payload == VIETQR_IO_EXAMPLE
    assert payload.endswith("3ACF")


def test_the_crc_is_ccitt_false_on_the_published_static_example_too():
    assert vietqr.crc16(STATIC_EXAMPLE[:-4]) == "F443"
    assert vietqr.crc16("123456789") == "29B1"  # the CRC-16/CCITT-FALSE check value


def test_an_independent_decoder_reads_back_every_field_and_accepts_the_crc():
    payload = vietqr.emvco_payload("970436", "0011004299999", 1_250_000, "QNABCDEFGH")

    decoded = QRPay.decode(payload, verify_crc=True)

    assert (decoded.payload_format_indicator, decoded.point_of_initiation_method) == ("01", "12")
    assert (decoded.global_uuid, decoded.bin_id, decoded.consumer_id) == ("A000000727", "970436", "0011004299999")
    assert decoded.service_code == "QRIBFTTA"
    assert (decoded.transaction_currency, decoded.transaction_amount, decoded.country_code) == ("704", "1250000", "VN")
    assert decoded.purpose_of_transaction == "QNABCDEFGH"
    assert decoded.crc == payload[-4:]


def test_a_payload_with_one_changed_character_fails_the_independent_crc_check():
    tampered = VIETQR_IO_EXAMPLE.replace("5405790005802", "5405890005802")

    with pytest.raises(ValueError, match="CRC"):
        QRPay.decode(tampered, verify_crc=True)


@pytest.mark.parametrize(
    ("bank_bin", "account_no", "amount", "content"),
    [
        ("97041", "113366668888", 1000, "QNABCDEFGH"),  # BIN is 6 digits
        ("970415", "1" * 20, 1000, "QNABCDEFGH"),  # account ≤ 19
        ("970415", "113366668888", 0, "QNABCDEFGH"),
        ("970415", "113366668888", 10**13, "QNABCDEFGH"),  # 14 digits
        ("970415", "113366668888", 1000, "X" * 26),  # content ≤ 25
        ("970415", "113366668888", 1000, "Đơn hàng"),  # no diacritics
    ],
)
def test_out_of_spec_values_are_refused_rather_than_encoded(bank_bin, account_no, amount, content):
    with pytest.raises(ValueError):
        vietqr.emvco_payload(bank_bin, account_no, amount, content)


def test_content_is_folded_to_what_banks_keep():
    assert vietqr.plain_content("Thanh toán đơn hàng QN-ABCD-EFGH nhé!") == "THANH TOAN DON HANG QN AB"
    assert vietqr.transfer_content("QN-ABCD-EFGH") == "QNABCDEFGH"


def test_start_gives_the_qr_and_the_same_facts_as_text():
    provider = vietqr.VietQRProvider(vietqr.BankAccount("970436", "0011004299999", "HTX OCOP HA LONG"))

    start = provider.start(
        OrderFacts(
            order_code="QN-5ED9-BAZ9",
            amount_vnd=85_000,
            attempt_reference="QN-5ED9-BAZ9-1",
            description="Don hang QN-5ED9-BAZ9",
        )
    )

    transfer = start.transfer
    assert (start.provider, start.reference, start.redirect_url) == ("vietqr", "QN5ED9BAZ9", None)
    assert (transfer.bank_bin, transfer.account_no, transfer.account_name) == (
        "970436",
        "0011004299999",
        "HTX OCOP HA LONG",
    )
    assert (transfer.amount_vnd, transfer.content, transfer.is_demo) == (85_000, "QN5ED9BAZ9", False)
    assert transfer.payload == vietqr.emvco_payload("970436", "0011004299999", 85_000, "QN5ED9BAZ9")
    assert transfer.svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')


def test_the_svg_served_is_read_back_to_the_same_payload_by_zbar(tmp_path):
    executable = shutil.which("zbarimg")
    require_service(executable is not None, "the QR reader test needs Debian's zbar-tools (apt-get install zbar-tools)")
    try:
        import cairosvg
    except OSError as error:  # cairosvg is installed but the system's libcairo2 is not
        require_service(False, f"rendering the SVG needs libcairo2: {error}")
    payload = vietqr.emvco_payload("970436", "0011004299999", 1_250_000, "QNABCDEFGH")
    svg = vietqr.qr_svg(payload)
    png = tmp_path / "vietqr.png"
    png.write_bytes(cairosvg.svg2png(bytestring=svg.encode(), scale=2))

    read = subprocess.run([executable, "--quiet", "--raw", str(png)], capture_output=True, text=True, timeout=30)

    assert read.returncode == 0, read.stderr
    assert read.stdout.strip() == payload


def test_a_bank_transfer_is_refunded_by_hand():
    provider = vietqr.VietQRProvider(vietqr.DEMO_ACCOUNT)
    notice = PaymentNotice("bank:sepay", "FT1", "QN-5ED9-BAZ9", 90_000, True, raw_id="92704")

    outcome = provider.refund(notice, 5_000, "surplus")

    assert (outcome.provider, outcome.by_hand, outcome.reference, outcome.message) == (
        "vietqr",
        True,
        "92704",
        "surplus",
    )


def test_from_config_is_off_without_settings_and_offers_the_marked_demo_account_only_when_asked():
    assert vietqr.from_config({}) is None
    half_set = {"VIETQR_BANK_BIN": "970436", "VIETQR_ACCOUNT_NO": "", "VIETQR_ACCOUNT_NAME": "X"}
    assert vietqr.from_config(half_set) is None

    demo = vietqr.from_config({}, allow_demo=True)

    assert demo.account == vietqr.DEMO_ACCOUNT
    assert demo.account.is_demo is True
    assert "DEMO" in demo.account.account_name


def test_from_config_builds_the_configured_account_and_refuses_a_malformed_one():
    configured = vietqr.from_config(
        {"VIETQR_BANK_BIN": "970436", "VIETQR_ACCOUNT_NO": "0011004299999", "VIETQR_ACCOUNT_NAME": "HTX OCOP"},
        allow_demo=True,
    )

    assert configured.account == vietqr.BankAccount("970436", "0011004299999", "HTX OCOP", is_demo=False)
    with pytest.raises(ValueError, match="VIETQR_BANK_BIN"):
        vietqr.from_config({"VIETQR_BANK_BIN": "VCB", "VIETQR_ACCOUNT_NO": "1", "VIETQR_ACCOUNT_NAME": "X"})
