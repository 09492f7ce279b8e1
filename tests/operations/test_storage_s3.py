"""The shop on S3-compatible storage (moto's server, a real endpoint): photos, reports, certificates, migration."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from PIL import Image
from sqlalchemy import select

from catalogue.accounts.principal import SYSTEM
from catalogue.extensions import db
from catalogue.invoices import settings as invoice_settings
from catalogue.invoices import signing
from catalogue.products.models import ProductImage
from catalogue.storage import storage
from catalogue.storage.local import LocalStorage
from catalogue.storage.sealing import unseal
from catalogue.traceability import reports
from tests.access_helpers import cast, png_bytes, portal_client
from tests.invoices.invoice_helpers import HTX_TAX_CODE
from tests.storefront_helpers import csrf_token
from tests.traceability.traceability_helpers import a_lot, pdf_bytes

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])  # the files, not the database, are under test


def _bucket_keys(store) -> list[str]:
    return sorted([info.key for info in store.list()] + [f"private/{i.key}" for i in store.list(private=True)])


def _upload_photo(app, world):
    client = portal_client(app, world, "owner")
    product_id = world["product"].id
    response = client.post(
        f"/portal/products/{product_id}/images",
        data={"csrf_token": csrf_token(client), "image": (io.BytesIO(png_bytes((900, 600))), "photo.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    return client, db.session.scalars(select(ProductImage).where(ProductImage.product_id == product_id)).one()


def test_a_photo_uploaded_on_s3_is_served_streamed_and_cached_and_removed(s3_app, tmp_path):
    world = cast()
    client, image = _upload_photo(s3_app, world)

    served = client.get(f"/media/{image.path}")
    again = client.get(f"/media/{image.path}", headers={"If-None-Match": served.headers["ETag"]})

    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.data == storage().get(image.path)
    with Image.open(io.BytesIO(served.data)) as picture:
        assert (picture.format, picture.size) == ("JPEG", (900, 600))
    assert served.headers["Cache-Control"] == "public, max-age=86400"
    assert again.status_code == 304 and again.data == b""
    assert not (tmp_path / "media" / image.path).exists()  # nothing on this node's disk
    assert client.get("/media/products/none.jpg").status_code == 404

    client.post(
        f"/portal/products/{world['product'].id}/images/{image.id}/delete", data={"csrf_token": csrf_token(client)}
    )

    assert not storage().exists(image.path)
    assert client.get(f"/media/{image.path}").status_code == 404


def test_in_redirect_mode_a_photo_is_a_short_lived_signed_url(s3_app):
    s3_app.config.update(STORAGE_SERVE="redirect", STORAGE_URL_EXPIRES=120)
    client, image = _upload_photo(s3_app, cast())

    answer = client.get(f"/media/{image.path}")

    assert answer.status_code == 302 and "X-Amz-Expires=120" in answer.location
    assert answer.headers["Cache-Control"] == "private, max-age=60"
    assert requests.get(answer.location, timeout=5).content == storage().get(image.path)


def test_a_report_is_private_on_s3_and_reached_only_through_its_view(s3_app, s3_endpoint):
    world = cast()
    report = reports.add_report(SYSTEM, a_lot(world["product"]).id, "Phiếu kết quả", pdf_bytes(), "kq.pdf")
    client = s3_app.test_client()
    bucket = s3_app.config["STORAGE_URL"].removeprefix("s3://").split("/")[0]

    through_view = client.get(f"/lots/reports/{report.id}")

    assert through_view.status_code == 200 and through_view.data == storage().get(report.path, private=True)
    assert through_view.data.startswith(b"%PDF-") and through_view.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/media/{report.path}").status_code == 404
    assert client.get(f"/media/private/{report.path}").status_code == 404
    assert requests.get(f"{s3_endpoint}/{bucket}/media/private/{report.path}", timeout=5).status_code == 403
    with pytest.raises(Exception, match="Not a storage key"):
        storage().url_for(f"private/{report.path}")


def test_a_refused_report_leaves_nothing_in_the_bucket(s3_app):
    lot = a_lot(cast()["product"])

    with pytest.raises(reports.ReportRejected):
        reports.add_report(SYSTEM, lot.id, "Phiếu", png_bytes(), "phieu.pdf")

    assert _bucket_keys(storage()) == []


def _p12(password: str = "mật-khẩu") -> bytes:
    identity = signing.make_identity(HTX_TAX_CODE, "HTX MIEN DONG BINH LIEU")
    return pkcs12.serialize_key_and_certificates(
        b"t", identity.key, identity.certificate, None, serialization.BestAvailableEncryption(password.encode())
    )


def test_a_certificate_is_sealed_at_rest_in_the_bucket_and_still_signs(s3_app):
    world = cast()
    producer = world["owner_producer"]
    producer.tax_code = HTX_TAX_CODE
    db.session.commit()

    settings = invoice_settings.upload_certificate(SYSTEM, producer.id, _p12(), "mật-khẩu", datetime.now(UTC))

    raw = storage().get(f"invoice-certs/{settings.certificate_file}", private=True)
    password = invoice_settings.storage_password().encode()
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(raw, password)  # the bytes in the bucket are not a PKCS#12
    assert b"MST:" + HTX_TAX_CODE.encode() not in raw
    key, certificate, _ = pkcs12.load_key_and_certificates(unseal(raw), password)
    assert signing.tax_code_of(certificate) == HTX_TAX_CODE
    identity = invoice_settings.identity_for(settings, HTX_TAX_CODE)
    assert identity.certificate == certificate and not identity.is_test
    client = s3_app.test_client()
    assert client.get(f"/media/invoice-certs/{settings.certificate_file}").status_code == 404
    assert client.get(f"/media/private/invoice-certs/{settings.certificate_file}").status_code == 404


def _old_install(tmp_path):
    media, certs = tmp_path / "old-media", tmp_path / "old-certs"
    (media / "products/QN-1").mkdir(parents=True)
    (media / "placeholders").mkdir()
    (media / "reports").mkdir()
    certs.mkdir()
    (media / "products/QN-1/a.jpg").write_bytes(png_bytes())
    (media / "placeholders/qn-1.svg").write_text("<svg/>")
    (media / "reports/r.pdf").write_bytes(pdf_bytes())
    (media / ".upload-half").write_bytes(b"half")  # an interrupted write: never copied
    (certs / "producer-7.p12").write_bytes(b"PKCS12-ish bytes")
    return media, certs


def test_migrate_copies_an_old_install_once_and_a_second_run_changes_nothing(s3_app, tmp_path):
    media, certs = _old_install(tmp_path)
    runner = s3_app.test_cli_runner()
    arguments = ["storage", "migrate", "--from", str(media), "--certs", str(certs)]

    first = runner.invoke(args=arguments)
    contents = {key: _read(key) for key in _bucket_keys(storage())}
    second = runner.invoke(args=arguments)

    assert first.exit_code == 0, first.output
    assert "3 files copied, 0 moved to private, 0 already there" in first.output
    assert "1 certificates sealed, 0 already there" in first.output
    assert "0 files copied, 0 moved to private, 3 already there" in second.output
    assert "0 certificates sealed, 1 already there" in second.output
    assert sorted(contents) == [
        "placeholders/qn-1.svg",
        "private/invoice-certs/producer-7.p12",
        "private/reports/r.pdf",
        "products/QN-1/a.jpg",
    ]
    assert {key: _read(key) for key in _bucket_keys(storage())} == contents  # the sealed file was not rewritten
    assert contents["products/QN-1/a.jpg"] == png_bytes()
    assert unseal(contents["private/invoice-certs/producer-7.p12"]) == b"PKCS12-ish bytes"
    assert s3_app.test_client().get("/media/placeholders/qn-1.svg").data == b"<svg/>"


def test_migrate_into_the_default_folder_moves_old_reports_out_of_reach(app, tmp_path):
    media, certs = _old_install(tmp_path)
    app.extensions["catalogue.storage"] = LocalStorage(media)
    runner = app.test_cli_runner()

    first = runner.invoke(args=["storage", "migrate", "--from", str(media), "--certs", str(certs)])
    second = runner.invoke(args=["storage", "migrate", "--from", str(media), "--certs", str(certs)])

    assert "0 files copied, 1 moved to private, 2 already there" in first.output
    # the 3 files and the sealed certificate, all where the storage reads them
    assert "0 files copied, 0 moved to private, 4 already there" in second.output
    assert "0 certificates sealed, 1 already there" in second.output
    assert not (media / "reports/r.pdf").exists() and (media / "private/reports/r.pdf").exists()
    assert app.test_client().get("/media/reports/r.pdf").status_code == 404


def _read(key: str) -> bytes:
    if key.startswith("private/"):
        return storage().get(key.removeprefix("private/"), private=True)
    return storage().get(key)
