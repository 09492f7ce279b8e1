"""Product photos: JPEG/PNG/WebP re-encoded without metadata and resized; everything else refused clearly."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from catalogue.accounts.models import AuditEntry
from catalogue.accounts.principal import SYSTEM
from catalogue.extensions import db
from catalogue.products import images
from catalogue.products.models import ProductImage
from tests.access_helpers import cast, png_bytes, portal_client
from tests.storefront_helpers import csrf_token


@pytest.fixture
def world(app):
    return cast()


def _jpeg_with_exif(size=(2400, 1200)) -> bytes:
    picture = Image.new("RGB", size, (10, 120, 60))
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"  # Make
    exif[0x0110] = "Model with a serial number"  # Model
    exif.get_ifd(0x8825)[2] = (21.0, 0.0, 0.0)  # GPSInfo: latitude
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", exif=exif)
    assert Image.open(io.BytesIO(buffer.getvalue())).getexif()
    return buffer.getvalue()


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_a_jpeg_is_re_encoded_without_exif_and_resized(app, world):
    product = world["product"]

    image = images.add_image(SYSTEM, product.id, _jpeg_with_exif(), "IMG_0001.JPG")

    stored = Path(app.config["MEDIA_ROOT"]) / image.path
    assert image.path.startswith(f"products/{product.sku}/") and image.path.endswith(".jpg")
    with Image.open(stored) as saved:
        assert saved.format == "JPEG"
        assert saved.size == (1600, 800)
        assert dict(saved.getexif()) == {}
        assert "exif" not in saved.info
    assert (image.width, image.height, image.alt) == (1600, 800, "Miến dong Bình Liêu")
    assert db.session.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc()).limit(1)) == "image.add"


def test_a_transparent_png_becomes_a_jpeg_on_white(app, world):
    buffer = io.BytesIO()
    Image.new("RGBA", (40, 30), (0, 0, 0, 0)).save(buffer, "PNG")

    image = images.add_image(SYSTEM, world["product"].id, buffer.getvalue(), "logo.png")

    with Image.open(Path(app.config["MEDIA_ROOT"]) / image.path) as saved:
        assert (saved.format, saved.size) == ("JPEG", (40, 30))
        assert saved.getpixel((5, 5)) == (255, 255, 255)


def _gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, "GIF")
    return buffer.getvalue()


def _huge_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (7000, 6000)).save(buffer, "PNG")  # 42 megapixels, a small file
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "reason", "message"),
    [
        (_gif, "type", "Chỉ nhận ảnh JPEG, PNG hoặc WebP."),
        (lambda: b"just some text, not a photo", "type", "Chỉ nhận ảnh JPEG, PNG hoặc WebP."),
        (lambda: b"\xff" * (images.MAX_BYTES + 1), "size", "Ảnh lớn hơn 5 MB. Vui lòng chọn ảnh nhỏ hơn."),
        (lambda: png_bytes((400, 300))[:200], "corrupt", "Tệp ảnh bị hỏng, không đọc được. Vui lòng chọn ảnh khác."),
        (_huge_png, "pixels", "Ảnh quá lớn (trên 40 megapixel). Vui lòng thu nhỏ ảnh."),
    ],
    ids=["gif", "text", "over-5-mb", "corrupt", "over-40-megapixels"],
)
def test_refused_uploads_say_why_and_change_nothing(app, world, content, reason, message):
    data = content()
    with pytest.raises(images.ImageRejected) as refused:
        images.add_image(SYSTEM, world["product"].id, data, "upload")
    assert refused.value.reason == reason
    assert list(refused.value.errors) == ["image"]
    client = portal_client(app, world, "owner")
    before = (_count(ProductImage), _count(AuditEntry))

    response = client.post(
        f"/portal/products/{world['product'].id}/images",
        data={"csrf_token": csrf_token(client), "image": (io.BytesIO(data), "upload.bin")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert (_count(ProductImage), _count(AuditEntry)) == before
    assert not (Path(app.config["MEDIA_ROOT"]) / "products").exists()


def test_uploading_without_a_file_asks_for_one(app, world):
    client = portal_client(app, world, "owner")

    response = client.post(
        f"/portal/products/{world['product'].id}/images",
        data={"csrf_token": csrf_token(client)},
        content_type="multipart/form-data",
    )

    assert response.status_code == 422
    assert "Chọn một ảnh." in response.get_data(as_text=True)


def test_an_uploaded_photo_shows_on_the_product_page_and_can_be_removed(app, world):
    client = portal_client(app, world, "owner")
    product_id = world["product"].id

    response = client.post(
        f"/portal/products/{product_id}/images",
        data={"csrf_token": csrf_token(client), "image": (io.BytesIO(png_bytes()), "photo.png")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 303
    image = db.session.scalars(select(ProductImage).where(ProductImage.product_id == product_id)).one()
    stored = Path(app.config["MEDIA_ROOT"]) / image.path
    assert client.get(f"/media/{image.path}").status_code == 200
    assert f'src="/media/{image.path}"' in client.get(f"/portal/products/{product_id}").get_data(as_text=True)

    response = client.post(
        f"/portal/products/{product_id}/images/{image.id}/delete", data={"csrf_token": csrf_token(client)}
    )

    assert response.status_code == 303
    assert _count(ProductImage) == 0
    assert not stored.exists()
