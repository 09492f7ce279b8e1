"""A paid order gets one e-invoice per producer: its own lines and shipping share, totals right line by line."""

from __future__ import annotations

import pytest
from lxml import etree

from catalogue.invoices.jobs import process_order
from catalogue.orders.services import find_order
from tests.invoices.invoice_helpers import (
    assert_valid_and_signed,
    every_invoice_checked,  # noqa: F401 - the fixture
    invoices_of,
    invoicing_shelf,
    pay,
    place,
    use_rails,
)

pytestmark = [
    pytest.mark.parametrize("backend", ["sqlite"]),  # nothing here differs by database
    pytest.mark.usefixtures("every_invoice_checked"),  # every invoice issued follows the XSD and verifies
]


@pytest.fixture
def shelf(app):
    use_rails(app)
    return invoicing_shelf()


def _lines(invoice):
    return [(x.name, x.quantity, x.unit_price_vnd, x.amount_vnd, x.vat_rate, x.gross_vnd) for x in invoice.lines]


def test_a_paid_mixed_rate_order_gets_one_invoice_per_producer(app, empty_client, shelf, tmp_path):
    placed = place(empty_client, (shelf["mien"], 2), (shelf["ruou"], 1), (shelf["tuoi"], 3), (shelf["men_la"], 1))
    # Two parcels, each priced from its producer's province to Bãi Cháy (same province): 3 kg → 50 000, 500 g → 30 000.
    assert placed["shipping_fee_vnd"] == 80_000 and invoices_of(placed["code"]) == []
    assert [(p["producer"]["id"], p["weight_g"], p["fee_vnd"]) for p in placed["parcels"]] == [
        (shelf["htx"].id, 3000, 50_000),
        (shelf["home"].id, 500, 30_000),
    ]

    pay(empty_client, placed, 1)

    htx, home = invoices_of(placed["code"])
    assert (htx.producer_id, htx.template, htx.series, htx.number) == (shelf["htx"].id, "1", "C26TAA", 1)
    assert (home.producer_id, home.template, home.series, home.number) == (shelf["home"].id, "2", "C26TBB", 1)
    # Each invoice carries its own parcel's fee (no split by value): 50 000 for the HTX, 30 000 for the household.
    assert _lines(htx) == [
        ("Miến dong Bình Liêu", 2, 78_704, 157_408, "8%", 170_000),  # 170 000 / 1.08, +1 to meet the rate's total
        ("Rượu ba kích", 1, 227_273, 227_273, "10%", 250_000),  # 250 000 / 1.10
        ("Khoai môn tươi", 3, 33_333, 99_999, "KCT", 99_999),
        ("Phí vận chuyển", 1, 46_296, 46_296, "8%", 50_000),
    ]
    # 8 %: (170 000 + 50 000) / 1.08 = 203 704, tax 16 296; 10 %: 227 273, tax 22 727; KCT 99 999.
    assert (htx.before_tax_vnd, htx.tax_vnd, htx.total_vnd) == (530_976, 39_023, 569_999)
    assert htx.total_in_words == "Năm trăm sáu mươi chín nghìn chín trăm chín mươi chín đồng"
    assert _lines(home) == [
        ("Rượu men lá Vân Đồn", 1, 120_000, 120_000, "", 120_000),
        ("Phí vận chuyển", 1, 30_000, 30_000, "", 30_000),
    ]
    assert (home.before_tax_vnd, home.tax_vnd, home.total_vnd) == (150_000, 0, 150_000)
    assert htx.total_vnd + home.total_vnd == placed["total_vnd"]
    for invoice in (htx, home):
        assert_valid_and_signed(invoice, tmp_path)
        assert (invoice.status, invoice.is_test, invoice.buyer_name) == ("queued", True, "Nguyễn Thị Lan")


def test_the_xml_carries_the_rates_totals_and_words(app, empty_client, shelf):
    placed = place(empty_client, (shelf["mien"], 2), (shelf["ruou"], 1))
    pay(empty_client, placed, 2)

    (invoice,) = invoices_of(placed["code"])
    root = etree.fromstring(invoice.xml.encode())
    rates = [(r.findtext("TSuat"), r.findtext("ThTien"), r.findtext("TThue")) for r in root.iter("LTSuat")]
    # 10 %: 250 000 / 1.10; 8 %: (170 000 + 40 000 shipping, at the shipping rate 8 %) / 1.08
    assert rates == [("10%", "227273", "22727"), ("8%", "194444", "15556")]
    assert root.findtext("DLHDon/TTChung/KHHDon") == "C26TAA"
    assert root.findtext("DLHDon/TTChung/SHDon") == "1"
    assert root.findtext("DLHDon/NDHDon/NBan/MST") == "0100109106"
    assert root.findtext("DLHDon/NDHDon/TToan/TgTTTBSo") == "460000"
    assert root.findtext("DLHDon/NDHDon/TToan/TgTTTBChu") == "Bốn trăm sáu mươi nghìn đồng"
    assert "không có giá trị về thuế" in root.findtext("DLHDon/TTChung/TTKhac/TTin/DLieu")


def test_the_invoice_names_the_rail_that_paid_not_the_last_one_chosen(app, empty_client, shelf):
    # given a VietQR order the buyer switched to VNPay
    use_rails(app, vnpay_url="http://127.0.0.1:9/paymentv2/vpcpay.html")
    placed = place(empty_client, (shelf["mien"], 1))
    switched = empty_client.post(f"/api/v1/orders/{placed['code']}/payments", json={"payment_method": "vnpay"},
                                 headers={"Authorization": f"Bearer {placed['access_token']}"})  # fmt: skip
    assert switched.status_code == 201

    # when it is paid by bank transfer
    pay(empty_client, placed, 9)

    # then its invoice says bank transfer, not "Thẻ/VNPay"
    (invoice,) = invoices_of(placed["code"])
    assert etree.fromstring(invoice.xml.encode()).findtext("DLHDon/TTChung/HTTToan") == "Chuyển khoản"
    assert (find_order(placed["code"]).payment_method, find_order(placed["code"]).settled_by) == ("vnpay", "vietqr")


def test_issuing_again_issues_nothing_more(app, empty_client, shelf):
    placed = place(empty_client, (shelf["mien"], 1), (shelf["men_la"], 1))
    pay(empty_client, placed, 3)
    before = [(invoice.id, invoice.number) for invoice in invoices_of(placed["code"])]

    assert process_order(invoices_of(placed["code"])[0].order_id) == []

    assert [(invoice.id, invoice.number) for invoice in invoices_of(placed["code"])] == before
    assert len(before) == 2


def test_an_unpaid_order_has_no_invoice(app, empty_client, shelf):
    placed = place(empty_client, (shelf["mien"], 1))
    order_id = find_order(placed["code"]).id
    assert process_order(order_id) == []
    assert invoices_of(placed["code"]) == []


def test_with_a_broker_the_job_is_queued_and_a_lost_job_is_picked_up_by_the_sweep(
    app, empty_client, shelf, monkeypatch
):
    from catalogue import clock
    from catalogue.invoices import tasks
    from catalogue.invoices.sweep import issue_missing

    queued: list[int] = []

    def broker_down(order_id: int) -> None:
        queued.append(order_id)
        raise ConnectionError("broker unreachable")

    app.config["CELERY_BROKER_URL"] = "redis://127.0.0.1:1/0"
    monkeypatch.setattr(tasks.invoice_order, "delay", broker_down)
    placed = place(empty_client, (shelf["mien"], 1), (shelf["men_la"], 1))

    pay(empty_client, placed, 9)  # the payment is recorded whatever became of the job

    order_id = find_order(placed["code"]).id
    assert (queued, invoices_of(placed["code"])) == ([order_id], [])
    app.config["CELERY_BROKER_URL"] = None
    assert issue_missing(clock.now()) == 2
    assert [(i.series, i.number) for i in invoices_of(placed["code"])] == [("C26TAA", 1), ("C26TBB", 1)]
    assert issue_missing(clock.now()) == 0
