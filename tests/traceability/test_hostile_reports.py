"""Malformed PDF reports a producer (or a stolen producer account) uploads: refused in Vietnamese, never a 500.

pypdf refuses a page tree 150 deep and an object stream that inflates past its limit with
LimitReachedError, which is not a PdfReadError; both escaped the report check as a 500.
"""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from reportlab.pdfgen import canvas
from sqlalchemy import func, select

from catalogue.accounts.principal import SYSTEM
from catalogue.extensions import db
from catalogue.traceability import reports
from catalogue.traceability.models import LotReport
from tests.access_helpers import cast
from tests.traceability.traceability_helpers import a_lot


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF of these objects (numbered from 1, the first the catalogue) with a classic xref table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def deep_page_tree(depth: int = 150) -> bytes:
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    for level in range(depth):
        parent = b" /Parent %d 0 R" % (level + 1) if level else b""
        objects.append(b"<< /Type /Pages /Kids [%d 0 R] /Count 1%s >>" % (level + 3, parent))
    objects.append(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 10 10] >>" % (depth + 1))
    return _pdf(objects)


def object_stream_bomb(inflated: int = 200 * 1024 * 1024) -> bytes:
    """The page tree's root inside an object stream of 200 KB that inflates to 200 MB (a cross-reference stream)."""
    header = b"2 0 "
    squeezer = zlib.compressobj(9)
    data = squeezer.compress(header + b" " * inflated) + squeezer.flush()
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    catalog = out.tell()
    out.write(b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")
    stream = out.tell()
    out.write(b"3 0 obj\n<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\n" % (4, len(data)))
    out.write(b"stream\n" + data + b"\nendstream\nendobj\n")
    xref = out.tell()
    rows = b"".join(
        struct.pack(">BIH", *row) for row in [(0, 0, 65535), (1, catalog, 0), (2, 3, 0), (1, stream, 0), (1, xref, 0)]
    )
    out.write(b"4 0 obj\n<< /Type /XRef /Size 5 /W [1 4 2] /Root 1 0 R /Length %d >>\n" % len(rows))
    out.write(b"stream\n" + rows + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def many_pages(count: int) -> bytes:
    buffer = io.BytesIO()
    document = canvas.Canvas(buffer)
    for _ in range(count):
        document.showPage()
    document.save()
    return buffer.getvalue()


HOSTILE = {
    "page tree 150 deep": deep_page_tree(),
    "object-stream bomb": object_stream_bomb(),
    f"{reports.MAX_PDF_PAGES + 1} pages": many_pages(reports.MAX_PDF_PAGES + 1),
}


@pytest.mark.parametrize("data", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_pdf_is_refused_in_vietnamese_and_nothing_is_kept(app, data):
    lot = a_lot(cast()["product"])

    with pytest.raises(reports.ReportRejected) as refused:
        reports.add_report(SYSTEM, lot.id, "Phiếu kết quả", data, "phieu.pdf")

    assert refused.value.reason in ("corrupt", "size")
    assert refused.value.message.startswith("Tệp PDF")
    assert db.session.scalar(select(func.count(LotReport.id))) == 0


def test_a_pdf_at_the_page_limit_is_kept(app):
    lot = a_lot(cast()["product"])

    report = reports.add_report(SYSTEM, lot.id, "Phiếu", many_pages(reports.MAX_PDF_PAGES), "phieu.pdf")

    assert report.kind == "pdf"
