"""JPEG/PNG renditions: what og:image, the Google feed and the marketplaces get, never SVG.

Uploads are stored as JPEG already; the seeded placeholders are SVG (crisp and small on the
storefront), so the seed also draws each one as a JPEG beside it with Pillow. Pillow
cannot read SVG, so the picture is drawn again from the same facts (name, group colours).
"""

from __future__ import annotations

import io
from pathlib import Path

import font_source_sans_pro
from PIL import Image, ImageDraw, ImageFont

# What og:image, the Google feed and the marketplaces accept (Shopee refuses SVG; Google ignores it).
RASTER_SUFFIXES = (".jpg", ".jpeg", ".png")
PLACEHOLDER_SIZE = 800
# Source Sans Pro (SIL OFL, from PyPI) has every Vietnamese letter; Pillow's own font has none of ă, đ, ế…
PLACEHOLDER_FONT = font_source_sans_pro.font_files_ttf["SourceSansProSemibold"]


def raster_path(path: str) -> str:
    """The JPEG/PNG rendition of an image in the storage: itself, or the JPEG drawn beside an SVG placeholder."""
    if Path(path).suffix.lower() in RASTER_SUFFIXES:
        return path
    return Path(path).with_suffix(".jpg").as_posix()


def draw_placeholder(
    name: str, background: str, ink: str, caption: str = "OCOP Quảng Ninh · ảnh minh hoạ"
) -> Image.Image:
    """Our placeholder as a picture: the product's name on its OCOP group's colour, like the SVG one."""
    size = PLACEHOLDER_SIZE
    picture = Image.new("RGB", (size, size), background)
    draw = ImageDraw.Draw(picture)
    draw.ellipse((70, 70, size - 70, size - 70), outline=_blend(ink, background, 0.25), width=6)
    title = ImageFont.truetype(PLACEHOLDER_FONT, 60)
    rows = _wrapped(name, 18)[:4]
    top = 400 - 35 * len(rows)
    for index, row in enumerate(rows):
        draw.text((size / 2, top + 70 * index + 35), row, font=title, fill=ink, anchor="mm")
    small = ImageFont.truetype(PLACEHOLDER_FONT, 30)
    draw.text((size / 2, 710), caption, font=small, fill=_blend(ink, background, 0.7), anchor="mm")
    return picture


def placeholder_jpeg(name: str, background: str, ink: str) -> bytes:
    """The JPEG rendition of a placeholder (JPEG: ~2 ms and ~40 kB each, PNG is 25 times slower to encode)."""
    buffer = io.BytesIO()
    draw_placeholder(name, background, ink).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def _wrapped(text: str, width: int) -> list[str]:
    rows, row = [], ""
    for word in text.split():
        if row and len(row) + len(word) > width:
            rows.append(row)
            row = word
        else:
            row = f"{row} {word}".strip()
    return [*rows, row]


def _blend(ink: str, background: str, opacity: float) -> tuple[int, int, int]:
    """`ink` at `opacity` over `background` (both #rrggbb), as SVG's opacity= would paint it."""
    front, back = _rgb(ink), _rgb(background)
    return tuple(round(f * opacity + b * (1 - opacity)) for f, b in zip(front, back, strict=True))


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[index : index + 2], 16) for index in (1, 3, 5))
