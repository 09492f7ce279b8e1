"""Stamps: a lot's QR label as SVG or PNG, and A4 sheets of them as PDF (reportlab).

Every label carries one QR code (segno, error correction M so a worn label still reads)
of the lot's stamp URI, with the product's name and the lot number beside it. The
sheets come in two sizes: `small` 3 × 8 labels of 70 × 37 mm, `large` 2 × 4 of 105 × 74 mm.
"""

from __future__ import annotations

import functools
import io
import unicodedata
from dataclasses import dataclass
from xml.sax.saxutils import escape

import font_source_sans_pro
import segno
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from catalogue.traceability.digital_link import digital_link, short_link
from catalogue.traceability.models import Lot

FONT_FILE = font_source_sans_pro.font_files_ttf["SourceSansProSemibold"]
FONT_NAME = "SourceSansPro-Semibold"  # has every Vietnamese letter (reportlab's Helvetica has not)
MAX_LABELS = 2000


@dataclass(frozen=True)
class SheetLayout:
    """A label grid on A4."""

    columns: int
    rows: int
    width: float
    height: float

    @property
    def per_page(self) -> int:
        return self.columns * self.rows


SHEETS = {
    "small": SheetLayout(columns=3, rows=8, width=70 * mm, height=37 * mm),
    "large": SheetLayout(columns=2, rows=4, width=105 * mm, height=74 * mm),
}


def stamp_uri(lot: Lot, base_url: str) -> str:
    """The URI a lot's stamp carries: its Digital Link when the product has a GTIN, else the short link."""
    if lot.product.gtin:
        return digital_link(base_url, lot.product.gtin, lot.lot_number)
    return short_link(base_url, lot.code)


def _qr(uri: str) -> segno.QRCode:
    return segno.make_qr(uri, error="m")


def stamp_svg(lot: Lot, base_url: str) -> bytes:
    """One label as SVG: the QR code, the product's name and the lot beside it."""
    qr = _qr(stamp_uri(lot, base_url))
    scale, border = 4, 2
    side = (qr.symbol_size(scale=scale, border=border))[0]
    inner = qr.svg_inline(scale=scale, border=border)
    name, number = escape(lot.product.name), escape(lot.lot_number)
    width = side + 260
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{side}" viewBox="0 0 {width} {side}">'
        f'<rect width="100%" height="100%" fill="#fff"/>{inner}'
        f'<text x="{side + 8}" y="{side // 2 - 6}" font-family="sans-serif" font-size="14">{name}</text>'
        f'<text x="{side + 8}" y="{side // 2 + 14}" font-family="sans-serif" font-size="13">Lô {number}</text>'
        "</svg>"
    ).encode()


def stamp_png(lot: Lot, base_url: str) -> bytes:
    """One label as PNG (for printers that take images): the QR code with the name and lot beside it."""
    buffer = io.BytesIO()
    _qr(stamp_uri(lot, base_url)).save(buffer, kind="png", scale=8, border=4)
    code = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    label = Image.new("RGB", (code.width + 520, code.height), "white")
    label.paste(code, (0, 0))
    draw = ImageDraw.Draw(label)
    room = label.width - code.width - 20
    name = printable(lot.product.name)
    for size in (30, 27, 24, 22):  # the largest size the name fits at; at the smallest, an ellipsis
        font = ImageFont.truetype(FONT_FILE, size)
        if draw.textlength(name, font=font) <= room:
            break
    else:
        while name and draw.textlength(name.rstrip() + ELLIPSIS, font=font) > room:
            name = name[:-1]
        name = name.rstrip() + ELLIPSIS
    small = ImageFont.truetype(FONT_FILE, 26)
    draw.text((code.width + 10, code.height // 2 - 40), name, fill="black", font=font)
    draw.text((code.width + 10, code.height // 2 + 4), printable(f"Lô {lot.lot_number}"), fill="black", font=small)
    out = io.BytesIO()
    label.save(out, "PNG")
    return out.getvalue()


def stamp_sheet_pdf(lot: Lot, base_url: str, size: str, count: int | None = None) -> bytes:
    """A4 pages of labels of the lot (one page full by default), each QR code drawn as vector squares."""
    layout = SHEETS[size]
    count = max(1, min(count or layout.per_page, MAX_LABELS))
    _register_font()
    uri = stamp_uri(lot, base_url)
    matrix = [[bool(cell) for cell in row] for row in _qr(uri).matrix_iter(scale=1, border=4)]
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(f"Tem truy xuất – {lot.product.name} – lô {lot.lot_number}")
    page_width, page_height = A4
    left = (page_width - layout.columns * layout.width) / 2
    top = page_height - (page_height - layout.rows * layout.height) / 2
    for index in range(count):
        slot = index % layout.per_page
        if index and slot == 0:
            pdf.showPage()
        column, row = slot % layout.columns, slot // layout.columns
        x, y = left + column * layout.width, top - (row + 1) * layout.height
        _label(pdf, matrix, x, y, layout, lot)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _label(pdf: canvas.Canvas, matrix: list[list[bool]], x: float, y: float, layout: SheetLayout, lot: Lot) -> None:
    side = layout.height - 4 * mm
    module = side / len(matrix)
    origin_x, origin_y = x + 2 * mm, y + 2 * mm
    pdf.setFillColorRGB(0, 0, 0)
    path = pdf.beginPath()
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):  # one rectangle per run of dark modules: no hairline seams between them
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            path.rect(
                origin_x + start * module, origin_y + side - (r + 1) * module, (c - start) * module, module * 1.02
            )
    pdf.drawPath(path, stroke=0, fill=1)
    text_x = origin_x + side + 2 * mm
    room = x + layout.width - text_x - 2 * mm
    font_size, lines = name_lines(lot.product.name, room, layout)
    line_y = y + layout.height / 2 + (len(lines) - 1) * font_size * 0.6
    pdf.setFont(FONT_NAME, font_size)
    for line in lines:
        pdf.drawString(text_x, line_y, line)
        line_y -= font_size * 1.2
    number = _fit_width(printable(f"Lô {lot.lot_number}"), room, font_size)
    pdf.drawString(text_x, line_y - font_size * 0.3, number)


# The name's type on a label: the largest size (down to the smallest still read at arm's length) at which it fits
# in its lines; at the smallest, what does not fit ends in an ellipsis. Never cut without one.
NAME_SIZES = {"small": (9, 8, 7, 6.5), "large": (13, 12, 11, 10, 9)}
NAME_LINES = {"small": 3, "large": 4}
ELLIPSIS = "…"


def name_lines(name: str, room: float, layout: SheetLayout) -> tuple[float, list[str]]:
    """The product's name set in `room` points of width: (font size, lines), only glyphs the font has."""
    kind = "small" if layout is SHEETS["small"] else "large"
    text, most = printable(name), NAME_LINES[kind]
    for size in NAME_SIZES[kind]:
        lines = _wrap(text, room, size)
        if len(lines) <= most and all(_width(line, size) <= room for line in lines):
            return size, lines
    size = NAME_SIZES[kind][-1]
    lines = _wrap(text, room, size)
    kept = [_fit_width(line, room, size) for line in lines[:most]]
    if len(lines) > most:  # more words than lines: the last line says the name goes on
        kept[-1] = _fit_width(kept[-1].rstrip(ELLIPSIS), room, size, always=True)
    return size, kept


def _width(text: str, size: float) -> float:
    _register_font()
    return pdfmetrics.stringWidth(text, FONT_NAME, size)


def _fit_width(text: str, room: float, size: float, always: bool = False) -> str:
    """`text` if it fits `room` (and `always` is false), else as much of it as fits followed by an ellipsis."""
    if not always and _width(text, size) <= room:
        return text
    body = text
    while body and _width(body.rstrip() + ELLIPSIS, size) > room:
        body = body[:-1]
    return body.rstrip() + ELLIPSIS


@functools.cache
def _glyphs() -> frozenset[int]:
    """The code points the label font draws (its cmap): anything else would print as a box."""
    return frozenset(TTFont(FONT_NAME, FONT_FILE).face.charToGlyph)


def printable(text: str) -> str:
    """`text` (NFC) with only the characters the label font has a glyph for; emoji and the like dropped."""
    kept = "".join(char for char in unicodedata.normalize("NFC", text) if ord(char) in _glyphs() or char.isspace())
    return " ".join(kept.split())


def _wrap(text: str, width: float, font_size: float) -> list[str]:
    lines, current = [], ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if _width(trial, font_size) <= width or not current:
            current = trial
        else:
            lines.append(current)
            current = word
    return [*lines, current] if current else lines


def _register_font() -> None:
    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT_NAME, FONT_FILE))
