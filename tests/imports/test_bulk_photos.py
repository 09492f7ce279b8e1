"""Photos in bulk (issue 26): a ZIP named by SKU, each image re-encoded like a single upload, own SKUs only;
zip bombs, climbing names and non-images refused with a report per file in Vietnamese."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from catalogue.extensions import db
from catalogue.imports import photo_zip
from catalogue.products.models import ProductImage
from tests.access_helpers import cast, png_bytes, portal_client
from tests.storefront_helpers import csrf_token


@pytest.fixture
def world(app):
    return cast()


def _zip(files: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _webp() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (30, 20), (0, 90, 200)).save(buffer, "WEBP")
    return buffer.getvalue()


def _upload(client, content: bytes):
    return client.post(
        "/portal/products/photos",
        data={"csrf_token": csrf_token(client, "/portal/products/photos"), "archive": (io.BytesIO(content), "anh.zip")},
        content_type="multipart/form-data",
    )


def _report(html: str) -> dict[str, str]:
    return {name: outcome for outcome, name in re.findall(r'<li data-outcome="(\w+)" data-file="([^"]*)"', html)}


def _images(product_id: int) -> list[ProductImage]:
    db.session.expire_all()
    found = db.session.scalars(
        select(ProductImage).where(ProductImage.product_id == product_id).order_by(ProductImage.position)
    ).all()
    return found


def test_good_photos_land_in_order_re_encoded_and_the_rest_are_refused_per_file(app, world):
    owner = portal_client(app, world, "owner")
    sku, other_sku = world["product"].sku, world["other_product"].sku
    content = _zip(
        {
            f"{sku}-2.webp": _webp(),
            f"anh/{sku}.jpg": png_bytes((2000, 1000)),  # a PNG under a .jpg name: the content decides, re-encoded
            f"{sku}-1.png": png_bytes(),
            f"{other_sku}.jpg": png_bytes(),  # another producer's product
            "../../etc/evil.jpg": png_bytes(),  # climbs out of its folder
            f"{sku}-3.jpg": b"not an image at all",
            "ghi-chu.txt": b"hello",
            "KHONG-CO-SKU.png": png_bytes(),
            "__MACOSX/._x.jpg": b"junk",
        }
    )

    answer = _upload(owner, content)

    html = answer.get_data(as_text=True)
    assert answer.status_code == 200, html
    report = _report(html)
    assert report == {
        f"anh/{sku}.jpg": "applied",
        f"{sku}-1.png": "applied",
        f"{sku}-2.webp": "applied",
        f"{other_sku}.jpg": "refused",
        "../../etc/evil.jpg": "refused",
        f"{sku}-3.jpg": "refused",
        "ghi-chu.txt": "refused",
        "KHONG-CO-SKU.png": "refused",
    }
    assert "Tên tệp không an toàn" in html and "Không phải ảnh JPEG, PNG hay WebP." in html
    assert f"Không có sản phẩm mã SKU “{other_sku}” trong danh sách của bạn" in html
    assert "chỉ nhận tệp .jpg" in html
    stored = _images(world["product"].id)
    assert [image.position for image in stored] == [0, 1, 2]
    first = Path(app.config["MEDIA_ROOT"]) / stored[0].path
    with Image.open(first) as saved:  # SKU.jpg first, re-encoded and resized as a single upload is
        assert (saved.format, saved.size) == ("JPEG", (1600, 800))
    assert _images(world["other_product"].id) == []


def test_a_zip_bomb_is_refused_whole_before_unpacking(app, world, monkeypatch):
    owner = portal_client(app, world, "owner")
    monkeypatch.setattr(photo_zip, "MAX_UNPACKED_BYTES", 1024 * 1024)
    bomb = _zip({f"{world['product'].sku}.jpg": b"\0" * (3 * 1024 * 1024)})
    assert len(bomb) < 20_000  # a few KB on the wire

    answer = _upload(owner, bomb)

    assert answer.status_code == 422
    assert "giải nén ra hơn 1 MB" in answer.get_data(as_text=True)
    assert db.session.scalar(select(func.count(ProductImage.id))) == 0


def test_too_many_files_or_not_a_zip_is_refused_whole(app, world, monkeypatch):
    owner = portal_client(app, world, "owner")
    monkeypatch.setattr(photo_zip, "MAX_ENTRIES", 3)
    many = _zip({f"{world['product'].sku}-{n}.png": png_bytes() for n in range(1, 5)})

    assert "có hơn 3 tệp" in _upload(owner, many).get_data(as_text=True)
    answer = _upload(owner, b"PK\x03\x04 this is no archive")
    assert answer.status_code == 422 and "không phải ZIP" in answer.get_data(as_text=True)
    assert db.session.scalar(select(func.count(ProductImage.id))) == 0


def test_a_member_whose_header_lies_about_its_size_is_read_no_further_than_one_photo(app, world, monkeypatch):
    owner = portal_client(app, world, "owner")
    monkeypatch.setattr(photo_zip.images, "MAX_BYTES", 2000)
    sku = world["product"].sku
    content = bytearray(_zip({f"{sku}.png": b"\0" * 50_000}))
    # Forge the central directory's uncompressed size (offset 24 of its entry) to claim 100 bytes.
    central = content.rfind(b"PK\x01\x02")
    content[central + 24 : central + 28] = (100).to_bytes(4, "little")

    html = _upload(owner, bytes(content)).get_data(as_text=True)

    assert _report(html) == {f"{sku}.png": "refused"}
    assert _images(world["product"].id) == []


def test_the_office_and_signed_out_people_have_no_photo_upload(app, world):
    assert portal_client(app, world, "admin").get("/portal/products/photos").status_code == 403
    assert app.test_client().get("/portal/products/photos").status_code in (302, 303)
