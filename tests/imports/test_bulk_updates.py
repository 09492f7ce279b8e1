"""A producer's bulk update (issue 26): download its range, edit, upload, preview every row, apply.

Only its own SKUs; each row carries the version it was downloaded at, so a row whose product was
edited meanwhile (a concurrent single edit) is refused as a conflict while the others land; a change
that needs the office's review goes there by the single edit's rule. Runs on SQLite and, when
CATALOGUE_TEST_POSTGRES_URL is set, PostgreSQL (the `app` fixture).
"""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from catalogue.accounts.principal import Principal
from catalogue.extensions import db
from catalogue.imports.exports import COLUMNS
from catalogue.products import editing
from catalogue.products.models import Product
from tests import factories
from tests.access_helpers import cast, portal_client
from tests.storefront_helpers import _TOKEN


@pytest.fixture
def world(app):
    made = cast()
    made["second"] = factories.product(
        "Chè Đường Hoa", made["owner_producer"], made["ref"]["processed"], price_vnd=150000, stock=5
    )
    made["product"].net_weight_g = 500
    db.session.commit()
    return made


def _owner(world) -> Principal:
    return Principal(None, "producer", world["owner_producer"].id, frozenset({"catalogue:write"}), "owner (test)")


def _download(client) -> load_workbook:
    answer = client.get("/portal/products/export.xlsx")
    assert answer.status_code == 200
    return load_workbook(io.BytesIO(answer.data))


def _edit(workbook, sku: str, **values) -> None:
    sheet = workbook.active
    headings = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == sku:
            for heading, value in values.items():
                row[headings.index(heading)].value = value
            return
    sheet.append([values.get(heading, sku if heading == "SKU" else None) for heading in headings])


def _bytes(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _upload(client, content: bytes, name: str = "san-pham.xlsx"):
    page = client.get("/portal/products/bulk").get_data(as_text=True)
    token = _TOKEN.search(page).group(1)
    return client.post(
        "/portal/products/bulk",
        data={"csrf_token": token, "sheet": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def _rows(html: str, attribute: str = "data-action") -> dict[str, str]:
    return dict((sku, action) for action, sku in re.findall(rf'<li {attribute}="(\w+)" data-sku="([^"]*)"', html))


def _apply(client, preview_html: str):
    token = _TOKEN.search(preview_html).group(1)
    plan = re.search(r'name="plan" type="hidden" value="([^"]+)"', preview_html).group(1)
    return client.post("/portal/products/bulk/apply", data={"csrf_token": token, "plan": plan})


def _state(product_id: int) -> tuple:
    db.session.expire_all()
    product = db.session.get(Product, product_id)
    state = (product.name, product.price_vnd, product.stock, product.net_weight_g, product.status, product.version)
    db.session.rollback()
    return state


def test_the_download_carries_weight_and_version(app, world):
    sheet = _download(portal_client(app, world, "owner")).active
    rows = list(sheet.iter_rows(values_only=True))

    assert list(rows[0]) == list(COLUMNS) and "Khối lượng (g)" in COLUMNS and COLUMNS[-1] == "Phiên bản"
    first = dict(zip(rows[0], [row for row in rows[1:] if row[0] == world["product"].sku][0], strict=True))
    assert first["Khối lượng (g)"] == 500 and first["Phiên bản"] == world["product"].version


def test_preview_shows_every_change_writes_nothing_then_apply_lands_them(app, world):
    owner = portal_client(app, world, "owner")
    workbook = _download(owner)
    product, second, other = world["product"], world["second"], world["other_product"]
    _edit(workbook, second.sku, **{"Giá (VND)": 165000, "Tồn kho": "12"})
    _edit(workbook, product.sku, **{"Khối lượng (g)": 450})  # what a rated listing is: back to review
    _edit(workbook, other.sku, **{"Giá (VND)": 1000, "Phiên bản": other.version})  # another producer's SKU
    before = (_state(product.id), _state(second.id), _state(other.id))

    preview = _upload(owner, _bytes(workbook))

    html = preview.get_data(as_text=True)
    assert preview.status_code == 200, html
    assert _rows(html) == {product.sku: "change", second.sku: "change", other.sku: "refused"}
    assert "150.000 ₫</del> → <ins>165.000 ₫" in html and "5</del> → <ins>12" in html
    assert "không có trong danh sách sản phẩm của bạn" in html
    assert "Sản phẩm sẽ chờ văn phòng OCOP duyệt lại." in html
    assert (_state(product.id), _state(second.id), _state(other.id)) == before

    result = _apply(owner, html)

    assert result.status_code == 200
    assert _rows(result.get_data(as_text=True), "data-outcome") == {product.sku: "applied", second.sku: "applied"}
    assert _state(second.id)[1:3] == (165000, 12)
    assert _state(product.id)[3] == 450
    assert _state(other.id) == before[2]
    db.session.expire_all()
    assert db.session.get(Product, product.id).review_status == "pending"  # the single edit's rule
    assert db.session.get(Product, second.id).review_status == "approved"  # a price change alone needs none


def test_a_row_edited_since_the_download_is_a_conflict_and_the_others_apply(app, world):
    owner = portal_client(app, world, "owner")
    workbook = _download(owner)
    product, second = world["product"], world["second"]
    _edit(workbook, product.sku, **{"Tồn kho": 99})
    _edit(workbook, second.sku, **{"Tồn kho": 7})
    # The producer's colleague changes the first product's price on its page meanwhile.
    editing.update_product(_owner(world), product.id, {"price_vnd": 90000}, None)

    html = _upload(owner, _bytes(workbook)).get_data(as_text=True)

    # The file still says 85 000 for that product: a change back, from a stale row.
    assert _rows(html) == {product.sku: "conflict", second.sku: "change"}
    assert "đã được sửa sau khi bạn tải file" in html
    _apply(owner, html)
    assert _state(product.id)[1:3] == (90000, 10)
    assert _state(second.id)[2] == 7


def test_an_edit_between_preview_and_apply_is_refused_as_a_conflict(app, world):
    owner = portal_client(app, world, "owner")
    workbook = _download(owner)
    product, second = world["product"], world["second"]
    _edit(workbook, product.sku, **{"Giá (VND)": 95000})
    _edit(workbook, second.sku, **{"Trạng thái": "Bản nháp"})
    html = _upload(owner, _bytes(workbook)).get_data(as_text=True)
    assert _rows(html) == {product.sku: "change", second.sku: "change"}
    editing.set_stock(_owner(world), product.id, 3)  # a single edit lands after the preview

    result = _apply(owner, html).get_data(as_text=True)

    assert _rows(result, "data-outcome") == {product.sku: "conflict", second.sku: "applied"}
    assert _state(product.id)[1:3] == (85000, 3)  # the single edit kept, the stale row not applied
    assert _state(second.id)[4] == "draft"


def test_bad_cells_are_refused_with_their_reason_and_a_csv_round_trips(app, world):
    owner = portal_client(app, world, "owner")
    answer = owner.get("/portal/products/export.csv")
    text = answer.data.decode("utf-8-sig")
    product, second = world["product"], world["second"]
    text = text.replace(f"{second.sku},", f"{second.sku.upper()}X,")  # an unknown SKU
    lines = text.splitlines()
    headings = lines[0].split(",")
    row = next(i for i, line in enumerate(lines) if line.startswith(product.sku))
    cells = next(__import__("csv").reader([lines[row]]))
    cells[headings.index("Tồn kho")] = "-4"
    cells[headings.index("Giá (VND)")] = "85.000 ₫"  # grouped as Vietnamese write it: the same price
    cells[headings.index("Trạng thái")] = "bán hết"
    lines[row] = ",".join(f'"{cell}"' for cell in cells)
    lines.append(lines[row])  # the same SKU twice

    html = _upload(owner, "\n".join(lines).encode("utf-8-sig"), "san-pham.csv").get_data(as_text=True)

    reasons = re.findall(r'data-testid="bulk-reason">([^<]+)<', html)
    assert any("Tồn kho là số nguyên từ 0" in reason and "Trạng thái là" in reason for reason in reasons), reasons
    assert "Giá là" not in html
    assert any("đã có ở dòng" in reason for reason in reasons)
    assert any("không có trong danh sách sản phẩm của bạn" in reason for reason in reasons)
    assert 'data-testid="bulk-apply"' not in html  # nothing to apply


def test_a_file_without_the_version_column_is_refused_whole(app, world):
    owner = portal_client(app, world, "owner")
    workbook = _download(owner)
    workbook.active.delete_cols(len(COLUMNS))

    answer = _upload(owner, _bytes(workbook))

    assert answer.status_code == 422
    assert "File thiếu cột Phiên bản" in answer.get_data(as_text=True)


def test_a_tampered_or_foreign_plan_changes_nothing(app, world):
    owner = portal_client(app, world, "owner")
    workbook = _download(owner)
    _edit(workbook, world["second"].sku, **{"Tồn kho": 1})
    html = _upload(owner, _bytes(workbook)).get_data(as_text=True)
    before = _state(world["second"].id)

    forged = html.replace('name="plan" type="hidden" value="', 'name="plan" type="hidden" value="x')
    assert _apply(owner, forged).status_code == 422
    other = portal_client(app, world, "other_producer")
    other_page = other.get("/portal/products/bulk").get_data(as_text=True)
    plan = re.search(r'name="plan" type="hidden" value="([^"]+)"', html).group(1)
    stolen = other.post(
        "/portal/products/bulk/apply", data={"csrf_token": _TOKEN.search(other_page).group(1), "plan": plan}
    )
    assert stolen.status_code == 403
    assert _state(world["second"].id) == before
    assert portal_client(app, world, "admin").get("/portal/products/bulk").status_code == 403
    assert db.session.scalar(select(Product.stock).where(Product.id == world["second"].id)) == 5
