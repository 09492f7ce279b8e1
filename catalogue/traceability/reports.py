"""Test and inspection reports of a lot: a PDF or an image, checked before it is kept.

A file must be what its name claims: a `.pdf` must start as a PDF and parse (pypdf) with
at least one page; a `.jpg`/`.jpeg`/`.png` must open as that image (Pillow) and is
re-encoded, leaving its metadata behind. Anything else, too big, or damaged is refused.

Reports are private files of the storage (catalogue.storage): no /media URL reaches them,
only the report view (catalogue.storefront.resolver) reads them.
"""

from __future__ import annotations

import io
import uuid
import warnings
from datetime import date
from pathlib import Path

from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from catalogue.accounts.principal import Principal
from catalogue.accounts.services import record
from catalogue.errors import InvalidInput, NotFound
from catalogue.extensions import db
from catalogue.products.certificates import gettext
from catalogue.products.editing import may_edit
from catalogue.products.models import Product
from catalogue.products.services import publicly_listed
from catalogue.storage import Storage, storage
from catalogue.storage.layout import REPORTS
from catalogue.traceability.models import LotReport
from catalogue.traceability.services import editable_lot
from catalogue.transactions import use_case

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_PDF_PAGES = 200  # a test report is a few pages; more is refused before anything reads them
MAX_TITLE = 200
IMAGE_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG"}
MEDIA_TYPES = {"pdf": "application/pdf", "JPEG": "image/jpeg", "PNG": "image/png"}


class ReportRejected(InvalidInput):
    """An upload that is not kept; `reason` is one of empty, size, type, corrupt, title."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message, {"report": [message]})
        self.reason = reason


def add_report(
    principal: Principal, lot_id: int, title: str, data: bytes, filename: str, store: Storage | None = None
) -> LotReport:
    """Check a report file against what its name claims and attach it to the lot."""
    store = store or storage()
    _editable_lot_id(principal, lot_id)
    title = (title or "").strip()
    if not title or len(title) > MAX_TITLE:
        raise ReportRejected(
            "title", gettext("Vui lòng đặt tên cho phiếu kết quả (tối đa %(count)d ký tự).", count=MAX_TITLE)
        )
    suffix = Path(filename or "").suffix.lower()
    kind, media_type, stored = _checked(data, suffix)
    key = f"{REPORTS}/{uuid.uuid4().hex}{'.pdf' if kind == 'pdf' else suffix.replace('jpeg', 'jpg')}"
    store.put(key, stored, media_type, private=True)
    try:
        return _attach_report(principal, lot_id, title, kind, media_type, key, len(stored))
    except BaseException:
        store.delete(key, private=True)
        raise


@use_case
def _editable_lot_id(principal: Principal, lot_id: int) -> int:
    """Refuse before any work on the upload when the principal may not change the lot."""
    return editable_lot(principal, lot_id).id


@use_case
def _attach_report(
    principal: Principal, lot_id: int, title: str, kind: str, media_type: str, key: str, size: int
) -> LotReport:
    lot = editable_lot(principal, lot_id)
    report = LotReport(lot=lot, title=title, kind=kind, media_type=media_type, path=key, size_bytes=size)
    db.session.add(report)
    db.session.flush()
    record(
        principal, "lot.report.add", "product", lot.product_id, {"report": [None, title], "lot": [None, lot.lot_number]}
    )
    return report


def _checked(data: bytes, suffix: str) -> tuple[str, str, bytes]:
    """(kind, media type, bytes to keep), or ReportRejected saying why not."""
    if not data:
        raise ReportRejected("empty", gettext("Tệp trống."))
    if len(data) > MAX_BYTES:
        raise ReportRejected("size", gettext("Tệp lớn hơn %(size)d MB.", size=MAX_BYTES // (1024 * 1024)))
    if suffix == ".pdf":
        return "pdf", MEDIA_TYPES["pdf"], _checked_pdf(data)
    if suffix in IMAGE_FORMATS:
        return "image", MEDIA_TYPES[IMAGE_FORMATS[suffix]], _checked_image(data, IMAGE_FORMATS[suffix])
    raise ReportRejected("type", gettext("Chỉ nhận tệp PDF, JPEG hoặc PNG."))


def _checked_pdf(data: bytes) -> bytes:
    if not data.startswith(b"%PDF-"):
        raise ReportRejected("type", gettext("Tệp này không phải là PDF."))
    # pypdf bounds its own work (page tree depth, inflated sizes) and says so with LimitReachedError; every
    # refusal of its own is a PyPdfError. RecursionError: a structure nested past Python's stack.
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        pages = len(reader.pages)
        if pages < 1:
            raise ReportRejected("corrupt", gettext("Tệp PDF không có trang nào."))
        if pages > MAX_PDF_PAGES:
            raise ReportRejected(
                "size",
                gettext("Tệp PDF có %(pages)d trang, nhiều hơn %(most)d trang.", pages=pages, most=MAX_PDF_PAGES),
            )
        reader.pages[0].mediabox  # noqa: B018 - reading the first page proves it parses
    except ReportRejected:
        raise
    except (PyPdfError, RecursionError, ValueError, KeyError, TypeError, OSError, MemoryError) as error:
        raise ReportRejected(
            "corrupt", gettext("Tệp PDF bị hỏng hoặc quá phức tạp, không đọc được. Hãy xuất lại tệp rồi tải lên.")
        ) from error
    return data


def _checked_image(data: bytes, expected: str) -> bytes:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format != expected:
                    raise ReportRejected("type", gettext("Nội dung tệp không đúng với đuôi tên tệp."))
                if probe.width * probe.height > MAX_PIXELS:
                    raise ReportRejected("size", gettext("Ảnh quá lớn."))
                probe.verify()
            picture = Image.open(io.BytesIO(data))
            picture.load()
    except ReportRejected:
        raise
    except UnidentifiedImageError as error:
        raise ReportRejected("type", gettext("Tệp này không phải là ảnh JPEG hoặc PNG.")) from error
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ReportRejected("size", gettext("Ảnh quá lớn.")) from error
    except (OSError, SyntaxError, ValueError) as error:
        raise ReportRejected("corrupt", gettext("Ảnh bị hỏng, không đọc được.")) from error
    if picture.mode not in ("RGB", "L"):
        picture = picture.convert("RGB")
    buffer = io.BytesIO()
    picture.save(buffer, expected)  # a fresh file: no EXIF, no trailing bytes
    return buffer.getvalue()


def report_for_download(report_id: int, principal: Principal | None, today: date) -> tuple[LotReport, bool]:
    """A report and whether it is public, under the lot listing's rule (see `reports_visible`).

    Ids are sequential, so a report nobody may read answers exactly like one that does not exist.
    """
    report = db.session.get(LotReport, report_id)
    if report is None:
        raise NotFound(f"No report {report_id}.")
    product = report.lot.product
    public = _on_sale(product.id, today)
    if not public and not (principal is not None and may_edit(principal, product.producer_id)):
        raise NotFound(f"No report {report_id}.")
    return report, public


def reports_visible(product_id: int, producer_id: int, principal: Principal | None, today: date) -> bool:
    """The lot listing's rule: anyone while the product is on sale, else its producer or the office."""
    return _on_sale(product_id, today) or (principal is not None and may_edit(principal, producer_id))


def _on_sale(product_id: int, today: date) -> bool:
    return db.session.scalar(publicly_listed(today, Product.id).where(Product.id == product_id)) is not None
