"""Product photos: checked, re-encoded and resized before they are kept.

An upload is never stored as sent. Pillow first `verify()`s it, then decodes it
again (verify leaves the image unusable) and writes a fresh JPEG: EXIF (GPS
position, camera serials) and any other metadata are left behind, and anything
that is not really a JPEG, PNG or WebP picture is refused. Ownership is checked
by `editing.editable_product`, as for every other product change.

The photo goes to the storage (catalogue.storage) between two short use cases — the
ownership check, then the row — so no transaction stays open while the store answers; a
row that is refused after the upload leaves no file behind.
"""

from __future__ import annotations

import io
import uuid
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from catalogue.accounts.principal import Principal
from catalogue.accounts.services import record
from catalogue.errors import InvalidInput, NotFound
from catalogue.extensions import db
from catalogue.products.editing import editable_product
from catalogue.products.models import ProductImage
from catalogue.storage import Storage, storage
from catalogue.transactions import use_case

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 1600
JPEG_QUALITY = 85


class ImageRejected(InvalidInput):
    """An upload that is not kept; `reason` is one of type, size, pixels, corrupt, empty."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message, {"image": [message]})
        self.reason = reason


def add_image(
    principal: Principal, product_id: int, file_bytes: bytes, filename: str, store: Storage | None = None
) -> ProductImage:
    """Check, re-encode (JPEG, no metadata, at most 1600 px) and attach a photo to the product."""
    store = store or storage()
    sku = _editable_sku(principal, product_id)
    picture = _decoded(file_bytes)
    picture.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    # A new image without `exif=` or `icc_profile=` carries no metadata at all.
    picture.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    key = f"products/{sku}/{uuid.uuid4().hex}.jpg"
    store.put(key, buffer.getvalue(), "image/jpeg")
    try:
        return _attach_image(principal, product_id, key, filename, picture.width, picture.height)
    except BaseException:
        store.delete(key)
        raise


@use_case
def _editable_sku(principal: Principal, product_id: int) -> str:
    """The SKU of a product this principal may change (refused before any work on the upload)."""
    return editable_product(principal, product_id).sku


@use_case
def _attach_image(principal: Principal, product_id: int, key: str, filename: str, width: int, height: int):
    product = editable_product(principal, product_id)
    position = max((image.position for image in product.images), default=-1) + 1
    image = ProductImage(product=product, position=position, path=key, alt=product.name, width=width, height=height)
    db.session.add(image)
    db.session.flush()
    record(principal, "image.add", "product", product.id, {"image": [None, image.path], "upload": [None, filename]})
    return image


def remove_image(principal: Principal, product_id: int, image_id: int, store: Storage | None = None) -> None:
    """Detach a photo from the product, then (once that is committed) delete its file."""
    path = _detach_image(principal, product_id, image_id)
    if path.startswith("products/"):  # seeded placeholders are shared; only uploads are deleted
        (store or storage()).delete(path)


@use_case
def _detach_image(principal: Principal, product_id: int, image_id: int) -> str:
    product = editable_product(principal, product_id)
    image = next((image for image in product.images if image.id == image_id), None)
    if image is None:
        raise NotFound(f"Product {product_id} has no image {image_id}.")
    path = image.path
    product.images.remove(image)
    record(principal, "image.remove", "product", product.id, {"image": [path, None]})
    return path


def _decoded(file_bytes: bytes) -> Image.Image:
    """The upload as an RGB image, or ImageRejected saying why not."""
    if not file_bytes:
        raise ImageRejected("empty", "The file is empty.")
    if len(file_bytes) > MAX_BYTES:
        raise ImageRejected("size", f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(file_bytes)) as probe:
                kind = probe.format
                if kind not in ACCEPTED_FORMATS:
                    raise ImageRejected("type", "Only JPEG, PNG or WebP photos are accepted.")
                if probe.width * probe.height > MAX_PIXELS:
                    raise ImageRejected("pixels", f"The photo has more than {MAX_PIXELS // 1_000_000} megapixels.")
                probe.verify()
            picture = Image.open(io.BytesIO(file_bytes))
            picture.load()
    except ImageRejected:
        raise
    except UnidentifiedImageError as error:
        raise ImageRejected("type", "Only JPEG, PNG or WebP photos are accepted.") from error
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageRejected("pixels", f"The photo has more than {MAX_PIXELS // 1_000_000} megapixels.") from error
    except (OSError, SyntaxError, ValueError) as error:  # what Pillow raises for truncated or broken files
        raise ImageRejected("corrupt", "The photo is damaged and cannot be read.") from error
    picture = ImageOps.exif_transpose(picture)  # keep the photo upright once its EXIF is gone
    if picture.mode != "RGB":
        picture = _flattened(picture)
    return picture


def _flattened(picture: Image.Image) -> Image.Image:
    """RGB on a white background (JPEG has no transparency)."""
    rgba = picture.convert("RGBA")
    background = Image.new("RGB", rgba.size, (255, 255, 255))
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background
