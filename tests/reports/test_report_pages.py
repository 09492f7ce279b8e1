"""The office's dashboard and a producer's reports as pages: figures, charts that name themselves, exports, refusals."""

from __future__ import annotations

import base64
import csv
import io
import re
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook

from catalogue.accounts import services as accounts
from tests.access_helpers import enrol_two_factor, sign_in
from tests.reports.report_fixtures import province

PASSWORD = "mật khẩu đủ dài 123"
NOVEMBER = "period=month&month=2026-11"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module", params=["sqlite"])
def backend(request):
    """Pages read what the service computes (checked on both databases in test_reports): SQLite suffices."""
    return request.param


@pytest.fixture
def world(app):
    made = province()
    accounts.create_user("office@example.com", PASSWORD, "admin")
    enrol_two_factor("office@example.com")
    accounts.create_user("a@example.com", PASSWORD, "producer", made["a"].slug)
    return made


def signed_in(app, email: str):
    client = app.test_client()
    response = sign_in(client, email, PASSWORD)
    assert response.status_code == 303
    return client


def charts_of(html: str) -> dict[str, ElementTree.Element]:
    found = re.findall(r'<img src="data:image/svg\+xml;base64,([^"]+)" alt="[^"]+" data-chart="([a-z_]+)"', html)
    return {name: ElementTree.fromstring(base64.b64decode(data)) for data, name in found}


def texts(svg: ElementTree.Element, css_class: str) -> list[str]:
    return [node.text for node in svg.iter(f"{SVG}text") if css_class in (node.get("class") or "").split()]


def test_the_office_dashboard_shows_the_provinces_figures_with_named_charts_and_tables(app, world):
    client = signed_in(app, "office@example.com")

    response = client.get(f"/portal/admin/?{NOVEMBER}")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-figure="orders">5<' in html
    assert 'data-figure="revenue">1.105.000\xa0₫<' in html
    assert 'data-figure="cashless">100,0 %<' in html
    assert 'data-figure="invoiced">0,0 %<' in html  # none of the shop's three sold orders is invoiced yet
    assert "Kỳ báo cáo: 11/2026" in html
    charts = charts_of(html)
    assert set(charts) == {
        "sales_by_month", "sales_by_channel", "sales_by_rail", "sales_by_locality", "sales_by_stars",
        "sales_by_group", "top_products", "top_producers", "on_sale_by_stars", "on_sale_by_group",
        "on_sale_by_locality", "marketplace_coverage",
    }  # fmt: skip
    channel = charts["sales_by_channel"]
    assert channel.get("role") == "img"
    assert channel.find(f"{SVG}title").text == "Doanh thu theo kênh bán"
    assert channel.find(f"{SVG}desc").text == (
        "Cửa hàng OCOP: 730.000\xa0₫; Shopee: 255.000\xa0₫; Lazada: 120.000\xa0₫; TikTok Shop: 0\xa0₫"
    )
    # title, x and y axes: "Cửa hàng OCOP" is longer than a bar is wide, so the bars lie down, one name a row
    assert texts(channel, "title")[:3] == ["Doanh thu theo kênh bán", "Doanh thu", "Kênh"]
    assert "730.000\xa0₫" in texts(channel, "value")  # printed on its bar, no hovering needed
    assert "11/2026" in [node.text for node in charts["sales_by_month"].iter(f"{SVG}text")]  # the month axis
    # Every chart has its data table with a caption beside it.
    for name in charts:
        section = html.split(f'data-table="{name}"', 1)[1].split("</details>", 1)[0]
        assert "<caption>" in section and '<th scope="col"' in section
    assert f'<a href="/portal/admin/products/{world["p4"].id}">Chè Bình Liêu</a>' in html  # renew its certificate
    assert "HTX Chè Bình Liêu" in html.split('data-table="producers_without_sales"', 1)[1].split("</details>")[0]


def test_a_producers_report_holds_its_own_figures_only(app, world):
    client = signed_in(app, "a@example.com")

    response = client.get(f"/portal/reports?{NOVEMBER}")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-figure="orders">2<' in html and 'data-figure="revenue">425.000\xa0₫<' in html
    for others in ("Rượu mơ", "Trà hoa vàng", "Chè Bình Liêu", "Công ty Rượu Vân Đồn", "680.000", "1.105.000"):
        assert others not in html
    assert 'data-table="top_producers"' not in html and 'data-table="producers_without_sales"' not in html
    exported = client.get(f"/portal/reports/top_products.csv?{NOVEMBER}")
    assert exported.get_data(as_text=True) == "\ufeffSản phẩm,Đơn hàng,Số lượng,Doanh thu\r\nMiến dong,2,5,425000\r\n"


BAD_ASKS = [
    ("office", "/portal/admin/?period=month&month=2026-13", 422, "Tháng phải có dạng NNNN-TT"),
    ("office", "/portal/admin/?period=custom&from=2026-11-30&to=2026-11-01", 422, "không được trước ngày bắt đầu"),
    ("office", "/portal/admin/?period=decade", 422, "Kỳ báo cáo phải là"),
    ("office", "/portal/reports?producer=no-such-producer", 404, "Không tìm thấy trang"),
    ("office", "/portal/admin/reports/sales_by_channel.pdf", 404, ""),
    ("office", "/portal/admin/reports/weather.csv", 404, ""),
    ("a", "/portal/reports?producer=cong-ty-ruou-van-don", 403, "số liệu của chủ thể mình"),
    ("a", "/portal/reports/sales_by_channel.csv?producer=cong-ty-ruou-van-don", 403, "số liệu của chủ thể mình"),
    ("a", "/portal/reports/top_producers.csv", 404, ""),
    ("a", "/portal/reports?period=year&year=1999", 422, "trước năm 2013"),
    ("a", "/portal/admin/", 403, ""),
    ("a", "/portal/admin/reports/sales_by_channel.csv", 403, ""),
]


def test_bad_asks_are_refused_plainly(app, world):
    clients = {"office": signed_in(app, "office@example.com"), "a": signed_in(app, "a@example.com")}

    answers = [(who, path, clients[who].get(path)) for who, path, _, _ in BAD_ASKS]

    for (who, path, response), (_, _, status, message) in zip(answers, BAD_ASKS, strict=True):
        assert (who, path, response.status_code) == (who, path, status)
        assert message in response.get_data(as_text=True)
    assert clients["office"].get("/portal/reports").headers["Location"] == "/portal/admin/"


def test_exports_keep_the_filters_and_write_numbers(app, world):
    client = signed_in(app, "office@example.com")

    as_csv = client.get(f"/portal/admin/reports/sales_by_rail.csv?{NOVEMBER}")
    as_xlsx = client.get(f"/portal/admin/reports/sales_by_channel.xlsx?{NOVEMBER}")
    lapsing = client.get(f"/portal/admin/reports/lapsing_certificates.csv?{NOVEMBER}")
    office_asks_for_a = client.get(f"/portal/reports/sales_by_channel.csv?{NOVEMBER}&producer={world['a'].slug}")

    assert as_csv.headers["Content-Disposition"] == 'attachment; filename="sales_by_rail-2026-11-01-2026-11-30.csv"'
    assert list(csv.reader(io.StringIO(as_csv.get_data(as_text=True).lstrip("\ufeff")))) == [
        ["Cách thanh toán", "Đơn hàng", "Số lượng", "Doanh thu"],
        ["Chuyển khoản VietQR (mọi ngân hàng)", "1", "3", "290000"],
        ["VNPay", "1", "1", "200000"],
        ["Ví MoMo", "0", "0", "0"],
        ["Ví ZaloPay", "0", "0", "0"],
        ["Thẻ quốc tế (Visa/Mastercard)", "1", "2", "240000"],
        ["Sàn TMĐT (không rõ cách trả)", "2", "4", "375000"],
    ]
    sheet = load_workbook(io.BytesIO(as_xlsx.data)).active
    assert [[cell.value for cell in row] for row in sheet.iter_rows(min_row=4)] == [
        ["Kênh", "Đơn hàng", "Số lượng", "Doanh thu"],
        ["Cửa hàng OCOP", 3, 6, 730000],
        ["Shopee", 1, 3, 255000],
        ["Lazada", 1, 1, 120000],
        ["TikTok Shop", 0, 0, 0],
    ]
    assert sheet["A2"].value == "11/2026" and sheet["D5"].number_format == '#,##0 "₫"'
    number = world["p4"].current_certificate.certificate_no
    assert (
        lapsing.get_data(as_text=True).splitlines()[1] == f"Chè Bình Liêu,HTX Chè Bình Liêu,4,{number},2026-12-10,19,30"
    )
    assert office_asks_for_a.get_data(as_text=True).splitlines()[1:] == [
        "Cửa hàng OCOP,1,2,170000",
        "Shopee,1,3,255000",
        "Lazada,0,0,0",
        "TikTok Shop,0,0,0",
    ]
    with client.session_transaction() as session:
        session["lang"] = "en"
    in_english = client.get("/portal/admin/reports/sales_by_month.csv?period=year&year=2026")
    assert in_english.get_data(as_text=True).splitlines()[11] == "Nov 2026,5,10,1105000"
    assert in_english.get_data(as_text=True).splitlines()[0].startswith("\ufeffMonth,")
    assert "Revenue by channel" in client.get(f"/portal/admin/?{NOVEMBER}").get_data(as_text=True)
