"""A producer's photos in bulk: a ZIP of images named by SKU (`SKU.jpg`, `SKU-1.png`, `SKU-2.webp`…).

Each image goes through the single upload's service (catalogue.products.images.add_image: checked,
re-encoded without metadata, stored through the storage port, ownership checked again), so a bulk
photo is kept exactly as a single one would be. What only a ZIP can do wrong is refused here, before
anything is unpacked: too many files or too much unpacked data (a zip bomb is a few KB on the wire),
a name that climbs out of its folder or is absolute, an encrypted entry, a file that is no image, a
member whose header lies about its size (read with a cap, never whole). The report says, per file
and in Vietnamese, what became of it.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass

from sqlalchemy import select

from catalogue.accounts.principal import Principal
from catalogue.errors import InvalidInput, NotFound, PermissionDenied
from catalogue.extensions import db
from catalogue.products import images
from catalogue.products.models import Product

MAX_ZIP_BYTES = 50 * 1024 * 1024
MAX_ENTRIES = 300
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp")
IGNORED = ("__MACOSX/", ".DS_Store", "Thumbs.db", "desktop.ini")
_NUMBERED = re.compile(r"^(?P<sku>.+)-(?P<number>\d{1,3})$")
IMAGE_REASONS = {
    "type": "Không phải ảnh JPEG, PNG hay WebP.",
    "size": f"Ảnh lớn hơn {images.MAX_BYTES // (1024 * 1024)} MB.",
    "pixels": f"Ảnh quá lớn (trên {images.MAX_PIXELS // 1_000_000} megapixel).",
    "corrupt": "Tệp ảnh bị hỏng, không đọc được.",
    "empty": "Tệp trống.",
}


class ZipRefused(InvalidInput):
    """The whole archive is refused (not a ZIP, too many files, too large unpacked); nothing is kept."""


@dataclass
class PhotoOutcome:
    """One file of the archive: added (to `sku`) or refused (`reason` in Vietnamese)."""

    name: str
    outcome: str
    sku: str = ""
    reason: str = ""


def add_photos(principal: Principal, content: bytes) -> list[PhotoOutcome]:
    """Attach every good image of the ZIP to the producer's product of its SKU; a report per file.

    Runs outside any use case: each photo is its own (the images service's), so one bad file
    never loses the good ones.
    """
    if principal.is_admin or principal.producer_id is None or not principal.can("catalogue:write"):
        raise PermissionDenied("Only a producer adds photos to its own range in bulk.")
    members = _members(content)
    owned = db.session.execute(select(Product.sku, Product.id).where(Product.producer_id == principal.producer_id))
    own = {sku: product_id for sku, product_id in owned}
    db.session.rollback()  # a read: no transaction left open while the photos are stored
    planned, outcomes = [], []
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for info in members:
            refusal, sku, order = _check(info, own)
            if refusal:
                outcomes.append(PhotoOutcome(info.filename, "refused", sku, refusal))
            else:
                planned.append((sku, order, info))
        for sku, _, info in sorted(planned, key=lambda item: (item[0], item[1])):
            outcomes.append(_add(principal, archive, info, sku, own[sku]))
    return outcomes


def _members(content: bytes) -> list[zipfile.ZipInfo]:
    if not content:
        raise ZipRefused("Tệp trống.")
    if len(content) > MAX_ZIP_BYTES:
        raise ZipRefused(f"Tệp ZIP lớn hơn {MAX_ZIP_BYTES // (1024 * 1024)} MB: hãy chia thành nhiều tệp.")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise ZipRefused("Tệp không phải ZIP (không mở được): hãy nén các ảnh thành một tệp .zip.") from error
    files = [info for info in infos if not info.is_dir() and not _ignored(info.filename)]
    if not files:
        raise ZipRefused("Tệp ZIP không có ảnh nào.")
    if len(files) > MAX_ENTRIES:
        raise ZipRefused(f"Tệp ZIP có hơn {MAX_ENTRIES} tệp: hãy chia thành nhiều tệp ZIP.")
    if sum(info.file_size for info in infos) > MAX_UNPACKED_BYTES:
        raise ZipRefused(
            f"Tệp ZIP giải nén ra hơn {MAX_UNPACKED_BYTES // (1024 * 1024)} MB: hãy chia thành nhiều tệp ZIP."
        )
    return files


def _ignored(name: str) -> bool:
    return name.startswith("__MACOSX/") or posixpath.basename(name) in IGNORED


def _check(info: zipfile.ZipInfo, own: dict[str, int]) -> tuple[str, str, int]:
    """(refusal, sku, order): why the entry is refused ("" if not), the SKU it names, its number."""
    name = info.filename
    if name.startswith(("/", "\\")) or "\\" in name or ".." in name.split("/") or re.match(r"^[A-Za-z]:", name):
        return "Tên tệp không an toàn (đường dẫn ra ngoài thư mục): tệp bị bỏ qua.", "", 0
    if info.flag_bits & 0x1:
        return "Tệp có mật khẩu: hãy nén lại không đặt mật khẩu.", "", 0
    stem, extension = posixpath.splitext(posixpath.basename(name))
    if extension.lower() not in IMAGE_EXTENSIONS:
        return "Không phải ảnh: chỉ nhận tệp .jpg, .jpeg, .png hoặc .webp.", "", 0
    if info.file_size > images.MAX_BYTES:
        return IMAGE_REASONS["size"], "", 0
    sku, order = stem.strip(), 0
    if sku not in own:
        numbered = _NUMBERED.match(sku)
        if numbered and numbered["sku"] in own:
            sku, order = numbered["sku"], int(numbered["number"])
        else:
            return f"Không có sản phẩm mã SKU “{sku}” trong danh sách của bạn: đặt tên ảnh theo SKU.", sku, 0
    return "", sku, order


def _add(principal: Principal, archive: zipfile.ZipFile, info: zipfile.ZipInfo, sku: str, product_id: int):
    try:
        with archive.open(info) as member:
            data = member.read(images.MAX_BYTES + 1)  # never more than one photo's worth, whatever the header says
    except (zipfile.BadZipFile, NotImplementedError, OSError, RuntimeError, EOFError):
        return PhotoOutcome(info.filename, "refused", sku, "Tệp trong ZIP bị hỏng, không giải nén được.")
    if len(data) > images.MAX_BYTES:
        return PhotoOutcome(info.filename, "refused", sku, IMAGE_REASONS["size"])
    try:
        images.add_image(principal, product_id, data, posixpath.basename(info.filename))
    except images.ImageRejected as rejected:
        return PhotoOutcome(info.filename, "refused", sku, IMAGE_REASONS.get(rejected.reason, "Không dùng được ảnh."))
    except (PermissionDenied, NotFound):
        return PhotoOutcome(info.filename, "refused", sku, "Sản phẩm này không còn thuộc danh sách của bạn.")
    return PhotoOutcome(info.filename, "added", sku)
