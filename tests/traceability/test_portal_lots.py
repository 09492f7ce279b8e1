"""The portal's lot pages: recording a lot, its page with stamps and scans, and the office's copied-stamp list."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from catalogue.extensions import db
from catalogue.traceability.models import Lot
from tests.access_helpers import cast, portal_client
from tests.storefront_helpers import csrf_token
from tests.traceability.traceability_helpers import a_lot, browser, flushed_scans

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])


@pytest.fixture
def world(app):
    return cast()


def test_a_producer_records_a_lot_then_prints_its_stamps(app, world):
    client = portal_client(app, world, "owner")
    product_id = world["product"].id
    form = {
        "lot_number": "L2611-05",
        "produced_on": "2026-11-05",
        "expires_on": "2027-05-05",
        "quantity": "200",
        "origin_ward": "Xã Bình Liêu",
    }

    bad = client.post(
        f"/portal/products/{product_id}/lots/new",
        data={
            **form,
            "expires_on": "2026-01-01",
            "csrf_token": csrf_token(client, f"/portal/products/{product_id}/lots/new"),
        },
    )
    made = client.post(
        f"/portal/products/{product_id}/lots/new",
        data={**form, "csrf_token": csrf_token(client, f"/portal/products/{product_id}/lots/new")},
    )
    lot = db.session.scalar(select(Lot).where(Lot.lot_number == "L2611-05"))
    page = client.get(made.headers["Location"]).get_data(as_text=True)
    sheet = client.get(f"/portal/products/{product_id}/lots/{lot.id}/stamps.pdf?size=large&count=3")
    svg = client.get(f"/portal/products/{product_id}/lots/{lot.id}/stamps.svg")
    odd = client.get(f"/portal/products/{product_id}/lots/{lot.id}/stamps.pdf?size=huge")
    product_page = client.get(f"/portal/products/{product_id}").get_data(as_text=True)

    assert bad.status_code == 422 and "Hạn sử dụng không được trước ngày sản xuất." in bad.get_data(as_text=True)
    assert made.status_code == 303
    assert f"http://shop.test/t/{lot.code}" in page and "Đã được quét 0 lần." in page
    assert sheet.status_code == 200 and sheet.mimetype == "application/pdf" and sheet.data.startswith(b"%PDF-")
    assert sheet.headers["Content-Disposition"] == f'attachment; filename="tem-{world["product"].sku}-L2611-05.pdf"'
    assert len(PdfReader(io.BytesIO(sheet.data)).pages) == 1
    assert svg.mimetype == "image/svg+xml" and b"L2611-05" in svg.data
    assert odd.status_code == 400 and "Cỡ tem chỉ là" in odd.get_data(as_text=True)
    assert "Lô L2611-05" in product_page


def test_the_office_sees_copied_stamps_and_the_producer_is_warned(app, world):
    lot = a_lot(world["product"], quantity=1)
    for network in range(4):  # four shoppers on four networks: more than 3 × 1 unit
        browser(app, address=f"198.51.100.{network + 1}").get(f"/t/{lot.code}")
    flushed_scans(lot.id)

    office = portal_client(app, world, "admin").get("/portal/admin/lots/suspected").get_data(as_text=True)
    owner = portal_client(app, world, "owner")
    lot_page = owner.get(f"/portal/products/{world['product'].id}/lots/{lot.id}").get_data(as_text=True)
    refused = portal_client(app, world, "owner").get("/portal/admin/lots/suspected")

    assert "Miến dong Bình Liêu" in office and "<td>4</td>" in office
    assert "được quét 4 lần, nhiều hơn hẳn 1 sản phẩm" in lot_page
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("size=huge", "Cỡ tem chỉ là"),
        ("size=large&count=0", "Số tem cần in là một số từ 1 đến 2000."),
        ("size=large&count=abc", "Số tem cần in là một số từ 1 đến 2000."),
        ("size=small&count=99999", "Số tem cần in là một số từ 1 đến 2000."),
    ],
)
def test_bad_stamp_parameters_are_a_400_that_says_what_to_fix(app, world, query, message):
    lot = a_lot(world["product"])
    client = portal_client(app, world, "owner")

    response = client.get(f"/portal/products/{world['product'].id}/lots/{lot.id}/stamps.pdf?{query}")

    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html and "ngừng bán" not in html


def test_the_stamp_form_asks_how_many_stamps(app, world):
    lot = a_lot(world["product"], quantity=30)
    client = portal_client(app, world, "owner")
    page = client.get(f"/portal/products/{world['product'].id}/lots/{lot.id}").get_data(as_text=True)

    form = re.search(r'<form method="get" action="([^"]+)"[^>]*data-testid="stamp-form">', page)
    sheet = client.get(form.group(1), query_string={"size": "large", "count": "30"})

    assert 'name="count" type="number"' in page and 'value="30"' in page
    assert sheet.status_code == 200 and len(PdfReader(io.BytesIO(sheet.data)).pages) == 4  # 8 a page
