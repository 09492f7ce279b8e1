"""Stamp sheets read by a real QR reader: each page rendered (pypdfium2) and decoded by zbarimg."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from catalogue.extensions import db
from catalogue.traceability import stamps
from tests.access_helpers import cast
from tests.conftest import require_service
from tests.traceability.traceability_helpers import a_lot

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])
BASE = "https://shop.test"


DPI = 150  # what an office printer's scan would give; pdfium renders these sheets reliably at this scale


def _decoded(*image_paths: Path) -> list[str]:
    """What zbarimg reads in the images, one URI per QR code found, in file order."""
    found = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", *map(str, image_paths)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return found.stdout.split()


def _labels_as_png(pdf: bytes, layout: stamps.SheetLayout, folder: Path) -> list[list[Path]]:
    """Each page rendered, then cut into its label cells (so every single label must decode on its own)."""
    import pypdfium2
    from reportlab.lib.pagesizes import A4

    document, scale = pypdfium2.PdfDocument(pdf), DPI / 72
    left = (A4[0] - layout.columns * layout.width) / 2
    top = (A4[1] - layout.rows * layout.height) / 2
    pages = []
    for index in range(len(document)):
        image = document[index].render(scale=scale).to_pil()
        cells = []
        for slot in range(layout.per_page):
            column, row = slot % layout.columns, slot // layout.columns
            x, y = left + column * layout.width, top + row * layout.height
            box = tuple(round(v * scale) for v in (x, y, x + layout.width, y + layout.height))
            path = folder / f"page-{index}-label-{slot}.png"
            image.crop(box).save(path)
            cells.append(path)
        pages.append(cells)
    return pages


@pytest.fixture
def lots(app):
    require_service(shutil.which("zbarimg") is not None, "stamp tests need zbarimg (apt-get install zbar-tools)")
    world = cast()
    product = world["product"]
    short = a_lot(product)
    other = world["other_product"]
    other.gtin = "8935049500018"
    db.session.commit()
    return short, a_lot(other, lot_number="L-26.11_A")


@pytest.mark.parametrize("size", ["small", "large"])
def test_every_label_of_a_sheet_decodes_to_the_lots_uri(lots, tmp_path, size):
    short, with_gtin = lots
    layout = stamps.SHEETS[size]

    sheets = {lot.id: stamps.stamp_sheet_pdf(lot, BASE, size, count=layout.per_page + 1) for lot in (short, with_gtin)}

    expected = {short.id: f"{BASE}/t/{short.code}", with_gtin.id: f"{BASE}/01/08935049500018/10/L-26.11_A"}
    for lot_id, pdf in sheets.items():
        reader = PdfReader(io.BytesIO(pdf))
        assert len(reader.pages) == 2  # one full page, and the extra label on a second
        text = reader.pages[0].extract_text()
        assert "Lô" in text
        decoded = [_decoded(*cells) for cells in _labels_as_png(pdf, layout, tmp_path)]
        assert decoded == [[expected[lot_id]] * layout.per_page, [expected[lot_id]]]  # the second page has one


def test_a_single_label_as_png_and_svg(lots, tmp_path):
    short, _ = lots
    png = tmp_path / "stamp.png"
    png.write_bytes(stamps.stamp_png(short, BASE))

    svg = stamps.stamp_svg(short, BASE).decode()

    assert _decoded(png) == [f"{BASE}/t/{short.code}"]
    assert svg.startswith("<svg") and "Miến dong Bình Liêu" in svg and "Lô L2611-01" in svg


LONG_NAME = (
    "Miến dong Bình Liêu loại đặc biệt sợi nhỏ đóng túi quà tặng cao cấp (gói 500 g, hộp giấy kraft thân thiện "
    "môi trường) phiên bản Tết 🍵"
)


@pytest.mark.parametrize("size", ["small", "large"])
def test_a_long_name_is_fitted_to_its_label_and_ends_in_an_ellipsis_and_no_emoji_is_drawn(app, size):
    # Given a product whose name does not fit a label even at the smallest size, with an emoji in it
    world = cast()
    world["product"].name = LONG_NAME
    db.session.commit()
    lot = a_lot(world["product"])

    sheet = stamps.stamp_sheet_pdf(lot, BASE, size, count=1)
    text = PdfReader(io.BytesIO(sheet)).pages[0].extract_text()
    layout = stamps.SHEETS[size]
    room = layout.width - layout.height - 4 * stamps.mm
    font_size, lines = stamps.name_lines(LONG_NAME, room, layout)

    # then it is set at the smallest size, every line within the label, the last ending in "…", no emoji
    assert font_size == stamps.NAME_SIZES[size][-1]
    assert all(stamps.pdfmetrics.stringWidth(line, stamps.FONT_NAME, font_size) <= room for line in lines)
    assert lines[-1].endswith("…") and len(lines) == stamps.NAME_LINES[size]
    assert "🍵" not in text and "Miến dong" in text and "…" in text


def test_a_name_that_fits_keeps_the_largest_size_and_every_word(app):
    layout = stamps.SHEETS["large"]
    size, lines = stamps.name_lines("Chè 🍵 hoa vàng", layout.width - layout.height - 4 * stamps.mm, layout)

    assert (size, lines) == (13, ["Chè hoa vàng"])


def test_the_png_label_draws_no_box_for_an_emoji(app):
    from PIL import Image

    world = cast()
    world["product"].name = "Chè hoa vàng 🍵🍵🍵🍵🍵🍵🍵🍵"
    db.session.commit()
    with_emoji = stamps.stamp_png(a_lot(world["product"]), BASE)
    world["product"].name = "Chè hoa vàng"
    db.session.commit()
    without = stamps.stamp_png(a_lot(world["product"], lot_number="L2611-02"), BASE)

    def text_part(png: bytes):
        image = Image.open(io.BytesIO(png)).convert("L")
        return image.crop((image.width - 520, 0, image.width, image.height // 2)).tobytes()

    assert text_part(with_emoji) == text_part(without)  # the name's half of the label: the emoji drew nothing
