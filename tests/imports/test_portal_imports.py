"""The office's import page: upload, dry run then import, the mapping remembered, a long file in the background."""

from __future__ import annotations

import io
import json
import time

import pytest
from sqlalchemy import func, select

from catalogue.accounts import services as accounts
from catalogue.extensions import db
from catalogue.geography.models import Locality
from catalogue.imports.mappings import saved_mapping
from catalogue.imports.models import ImportJob
from catalogue.products.models import Product
from tests.access_helpers import ADDRESSES, EMAILS, PASSWORD, enrol_two_factor, sign_in
from tests.imports.spreadsheet_helpers import fixture_bytes, reference_data
from tests.storefront_helpers import csrf_token

OTHER_HEADINGS = {
    "name": "Tên SP",
    "producer": "Tên chủ thể",
    "tax_code": "MST",
    "locality": "Huyện/TP",
    "category": "Bộ sản phẩm",
    "stars": "Số sao",
    "decision_no": "QĐ số",
    "decision_date": "Ngày QĐ",
    "price": "Giá bán",
    "unit": "ĐVT",
    "stock": "SL tồn",
}


@pytest.fixture
def office(app):
    reference_data()
    accounts.create_user(EMAILS["admin"], PASSWORD, "admin")
    db.session.commit()
    return _signed_in(app, "admin")


def _signed_in(app, role: str):
    """Signed in through the pages, the office with its second factor."""
    if role == "admin":
        enrol_two_factor(EMAILS[role])
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ADDRESSES[role]
    assert sign_in(client, EMAILS[role], PASSWORD).status_code == 303
    return client


def _upload(client, name: str, content: bytes, dry_run: bool, mapping: dict | None = None, remember=True):
    form = {"csrf_token": csrf_token(client, "/portal/admin/imports"), "sheet": (io.BytesIO(content), name)}
    if dry_run:
        form["dry_run"] = "y"
    if remember:
        form["remember"] = "y"
    for field, heading in (mapping or {}).items():
        form[f"column_{field}"] = heading
    return client.post("/portal/admin/imports", data=form, content_type="multipart/form-data")


def _products() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Product.id)))


def test_a_dry_run_then_the_real_import_from_its_report(app, office):
    dry = _upload(office, "quyet-dinh-2022.csv", fixture_bytes("quyet-dinh-2022.csv"), dry_run=True)
    assert dry.status_code == 303 and _products() == 0

    report = office.get(dry.headers["Location"]).get_data(as_text=True)
    assert "Chạy thử, chưa ghi gì:" in report and "6 thêm mới" in report
    assert "Thêm sản phẩm (chủ thể mới), 4 sao theo quyết định 1457/QĐ-UBND." in report

    job_id = int(dry.headers["Location"].rsplit("/", 1)[1])
    button = {"csrf_token": csrf_token(office, dry.headers["Location"])}
    real = office.post(f"/portal/admin/imports/{job_id}/apply", data=button)
    assert real.status_code == 303 and _products() == 6
    assert "Đã nhập:" in office.get(real.headers["Location"]).get_data(as_text=True)
    jobs = db.session.execute(select(ImportJob.dry_run, ImportJob.state, ImportJob.content.is_(None))).all()
    assert jobs == [(True, "done", False), (False, "done", True)]  # the real run's file is not kept


def test_a_refused_file_is_said_on_the_page_and_imports_nothing(app, office):
    response = _upload(office, "anh.csv", b"\x89PNG\r\n\x1a\n\x00\x00", dry_run=False)

    assert response.status_code == 422
    assert "File bị từ chối, không nhập gì: File không phải bảng tính XLSX hay CSV." in response.get_data(as_text=True)
    assert (_products(), db.session.scalar(select(func.count(ImportJob.id)))) == (0, 0)


def test_the_mapping_is_given_once_and_remembered(app, office):
    content = fixture_bytes("quyet-dinh-ten-cot-khac.xlsx")
    refused = _upload(office, "khac.xlsx", content, dry_run=False)
    assert refused.status_code == 422 and "Thiếu cột: Tên sản phẩm" in refused.get_data(as_text=True)

    mapped = _upload(office, "khac.xlsx", content, dry_run=True, mapping=OTHER_HEADINGS)
    assert mapped.status_code == 303
    assert saved_mapping() == OTHER_HEADINGS

    page = office.get("/portal/admin/imports").get_data(as_text=True)
    assert 'value="Tên SP"' in page  # the form comes back filled
    again = _upload(office, "khac.xlsx", content, dry_run=False, mapping=saved_mapping())
    assert again.status_code == 303 and _products() == 5


def test_a_producer_cannot_reach_the_import_page(app, office):
    from tests.factories import producer

    maker = producer("HTX Thử", db.session.scalar(select(Locality).limit(1)))
    accounts.create_user(EMAILS["owner"], PASSWORD, "producer", maker.slug)
    db.session.commit()
    client = _signed_in(app, "owner")

    assert client.get("/portal/admin/imports").status_code == 403
    token = csrf_token(client, "/portal/")
    assert client.post("/portal/admin/imports", data={"csrf_token": token}).status_code == 403


def test_a_long_file_runs_in_the_background_with_progress(app, office, monkeypatch):
    app.config["IMPORT_INLINE_ROWS"] = 5
    monkeypatch.setattr("catalogue.imports.importing.CHUNK_ROWS", 40)
    heading = "Tên sản phẩm;Chủ thể;Mã số thuế;Địa phương;Nhóm sản phẩm;Hạng sao;Số quyết định;Ngày quyết định\n"
    rows = "".join(f"Sản phẩm {n};HTX Thử;;Bình Liêu;Gia vị;3;1/QĐ-UBND;01/02/2025\n" for n in range(150))

    response = _upload(office, "dai.csv", (heading + rows).encode(), dry_run=False)

    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    for _ in range(1200):
        db.session.expire_all()
        job = db.session.get(ImportJob, job_id)
        if job.state in ("done", "failed"):
            break
        time.sleep(0.1)
    assert (job.state, job.total_rows, job.done_rows) == ("done", 150, 150)
    assert json.loads(job.summary) == {"create": 150, "update": 0, "unchanged": 0, "refused": 0}
    assert _products() == 150
