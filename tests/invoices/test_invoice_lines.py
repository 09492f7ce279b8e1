"""Every invoice line's unit price × quantity is its amount exactly, and the totals still add up in whole đồng.

A tax authority's validator checks DGia × SLuong = ThTien on every line. Amounts before tax come
from VAT-inclusive prices (rounded once per rate), so the unit price is worked back from the
amount: a decimal when one of at most 6 places exists, else the line is written as two.
"""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from lxml import etree

from catalogue.invoices import xml
from catalogue.invoices.totals import (
    VAT_PERCENT,
    Line,
    RateTotal,
    Sale,
    Totals,
    compute,
    negated,
    share_of,
    unit_price_of,
)
from tests.invoices.invoice_helpers import every_invoice_checked, invoices_of, invoicing_shelf, pay, place, use_rails  # noqa: F401


def _random_sales(rng: random.Random) -> list[Sale]:
    sales = []
    for index in range(rng.randint(1, 6)):
        quantity = rng.choice([1, 1, 2, 3, 4, 5, 6, 7, 9, 11, 12, 13, 24, 37, 64, 99, 125, 1000])
        price = rng.choice([1, 7, 999, 33_333, 85_000, 99_999, 123_457, 1_500_000, rng.randint(1, 5_000_000)])
        sales.append(
            Sale(f"S{index}", f"Hàng {index}", "cái", quantity, price * quantity, rng.choice(list(VAT_PERCENT)))
        )
    if rng.random() < 0.7:  # the producer's share of shipping: one line at the shipping rate
        sales.append(Sale("", "Phí vận chuyển", "", 1, rng.randint(1, 90_000), rng.choice(["8%", "10%"])))
    return sales


def _check(totals, sales, vat_invoice: bool) -> None:
    for line in totals.lines:
        assert line.unit_price * line.quantity == line.amount_vnd, line
        assert line.unit_price.as_tuple().exponent >= -6, line  # DGia: at most 6 decimals
        assert line.unit_price_vnd == int(line.unit_price.to_integral_value(rounding="ROUND_HALF_UP")), line
    assert [line.position for line in totals.lines] == list(range(1, len(totals.lines) + 1))
    gross = sum(sale.gross_vnd for sale in sales)
    assert sum(line.gross_vnd for line in totals.lines) == gross
    assert sum(line.amount_vnd for line in totals.lines) == totals.before_tax_vnd
    assert totals.before_tax_vnd + totals.tax_vnd == totals.total_vnd == gross
    if vat_invoice:
        for rate in totals.by_rate:
            lines = [line for line in totals.lines if line.vat_rate == rate.rate]
            assert sum(line.amount_vnd for line in lines) == rate.before_tax_vnd
            assert rate.before_tax_vnd + rate.tax_vnd == sum(line.gross_vnd for line in lines)
            percent = VAT_PERCENT[rate.rate]
            exact = Decimal(rate.before_tax_vnd + rate.tax_vnd) * 100 / (100 + percent)
            assert abs(rate.before_tax_vnd - exact) <= Decimal("0.5")  # rounded once per rate


def test_every_line_multiplies_out_exactly_over_many_prices_quantities_and_rates():
    rng = random.Random(20)
    for _ in range(3000):
        sales = _random_sales(rng)
        vat_invoice = rng.random() < 0.8

        totals = compute(sales, vat_invoice=vat_invoice)

        _check(totals, sales, vat_invoice)
        back = negated(totals)
        for line in back.lines:
            assert line.unit_price * line.quantity == line.amount_vnd and line.amount_vnd <= 0
        assert (back.before_tax_vnd, back.tax_vnd, back.total_vnd) == (
            -totals.before_tax_vnd, -totals.tax_vnd, -totals.total_vnd)  # fmt: skip


def test_a_share_of_an_invoice_adds_up_to_the_amount_and_is_exact_line_by_line():
    """A returned parcel's adjustment when the order held less: the refund shared over the invoice's lines."""
    rng = random.Random(21)
    for _ in range(1500):
        vat_invoice = rng.random() < 0.8
        invoice = compute(_random_sales(rng), vat_invoice=vat_invoice)
        amount = rng.choice([1, invoice.total_vnd - 1, rng.randint(1, invoice.total_vnd)])
        if amount < 1:
            continue

        shares = share_of(invoice.lines, amount)

        assert sum(share.gross_vnd for share in shares) == amount
        gross = {(line.sku, line.name, line.vat_rate): 0 for line in invoice.lines}
        for line in invoice.lines:
            gross[(line.sku, line.name, line.vat_rate)] += line.gross_vnd
        for share in shares:
            assert 0 < share.gross_vnd <= gross[(share.sku, share.name, share.vat_rate)]
        _check(compute(shares, vat_invoice=vat_invoice), shares, vat_invoice)
    with pytest.raises(ValueError):
        share_of(invoice.lines, invoice.total_vnd + 1)


def test_the_issues_line_is_exact_now():
    # given 1 500 000 ₫ and 600 ₫ at 8 %: 1 388 888.89 and 555.56 before tax, rounded up both, while the
    # rate's 1 389 444.44 rounds down: the larger line takes the -1 (it read DGia 1388889 beside ThTien 1388888)
    totals = compute([Sale("A", "Rượu", "chai", 1, 1_500_000, "8%"), Sale("B", "Túi", "cái", 1, 600, "8%")])

    assert [(line.quantity, line.unit_price, line.unit_price_vnd, line.amount_vnd) for line in totals.lines] == [
        (1, Decimal("1388888"), 1_388_888, 1_388_888), (1, Decimal("556"), 556, 556)]  # fmt: skip
    assert (totals.by_rate[0].before_tax_vnd, totals.by_rate[0].tax_vnd) == (1_389_444, 111_156)


def test_a_quotient_with_decimals_is_written_with_them():
    (line,) = compute([Sale("M", "Miến", "gói", 2, 170_000, "8%")]).lines  # 157 407 before tax

    assert (line.quantity, line.unit_price, line.amount_vnd, line.unit_price_vnd) == (
        2, Decimal("78703.5"), 157_407, 78_704)  # fmt: skip


def test_a_quotient_with_no_exact_decimal_is_two_lines_one_dong_apart():
    # 3 packets, 255 000 ₫ at 8 %: 236 111 before tax, 78 703.666… a packet
    totals = compute([Sale("M", "Miến", "gói", 3, 255_000, "8%"), Sale("", "Phí vận chuyển", "", 1, 40_000, "8%")])

    assert [(line.position, line.name, line.quantity, line.unit_price, line.amount_vnd) for line in totals.lines] == [
        (1, "Miến", 1, Decimal("78703"), 78_703),
        (2, "Miến", 2, Decimal("78704"), 157_408),
        (3, "Phí vận chuyển", 1, Decimal("37037"), 37_037),
    ]
    assert (totals.before_tax_vnd, totals.tax_vnd, totals.total_vnd) == (273_148, 21_852, 295_000)
    with pytest.raises(ValueError):
        unit_price_of(236_111, 3)


@pytest.mark.parametrize("backend", ["sqlite"])  # nothing here differs by database
def test_the_issued_xml_says_exact_unit_prices(app, empty_client):
    # given a paid order of 2 and 3 packets (8 %) and a bottle (10 %)
    use_rails(app)
    shelf = invoicing_shelf()
    placed = place(empty_client, (shelf["mien"], 2), (shelf["ruou"], 3))
    pay(empty_client, placed, 1)

    # when its invoice is issued
    (invoice,) = invoices_of(placed["code"])

    # then every HHDVu multiplies out, and the XML follows the schema
    root = etree.fromstring(invoice.xml.encode())
    items = [(i.findtext("SLuong"), i.findtext("DGia"), i.findtext("ThTien")) for i in root.iter("HHDVu")]
    # 8 %: (170 000 + 50 000 shipping) / 1.08 = 203 704, the packets' line taking the rounding (157 408);
    # 10 %: 750 000 / 1.10 = 681 818, three bottles at 227 272.666… written as 1 × 227 272 + 2 × 227 273
    assert items == [("2", "78704", "157408"), ("1", "227272", "227272"), ("2", "227273", "454546"),
                     ("1", "46296", "46296")]  # fmt: skip
    assert all(Decimal(quantity) * Decimal(price) == Decimal(amount) for quantity, price, amount in items)
    xml.validate(invoice.xml.encode())


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_decimal_unit_price_reads_the_same_in_the_xml_the_api_and_the_printed_invoice(app, empty_client):
    # given a paid order of 2 packets (157 407 ₫ before tax at 8 %) and a bottle
    use_rails(app)
    shelf = invoicing_shelf()
    placed = place(empty_client, (shelf["mien"], 2), (shelf["ruou"], 1))
    pay(empty_client, placed, 2)
    (invoice,) = invoices_of(placed["code"])
    token = placed["access_token"]

    # when the buyer reads it three ways
    dgia = etree.fromstring(invoice.xml.encode()).findtext("DLHDon/NDHDon/DSHHDVu/HHDVu/DGia")
    api = empty_client.get(f"/api/v1/orders/{placed['code']}/invoices", headers={"Authorization": f"Bearer {token}"})
    page = empty_client.get(
        f"/orders/{placed['code']}/invoices/{invoice.id}?token={token}", follow_redirects=True
    ).get_data(as_text=True)

    # then each says 78 703.5 a packet, which × 2 is the line's 157 407
    line = api.get_json()["items"][0]["lines"][0]
    assert dgia == "78703.5"
    assert (line["quantity"], line["unit_price"], line["unit_price_vnd"], line["amount_vnd"]) == (
        2, "78703.5", 78_704, 157_407)  # fmt: skip
    assert '<td class="num">78.703,5\xa0₫</td>' in page


def test_an_adjustment_of_an_invoice_issued_with_a_rounded_unit_price_is_exact():
    # given an invoice issued before unit prices were exact: 3 × 78 704 beside 236 111
    issued = Totals(
        (Line(1, "M", "Miến", "gói", 3, 78_704, 236_111, "8%", 255_000),),
        (RateTotal("8%", 236_111, 18_889),), 236_111, 18_889, 255_000, "",
    )  # fmt: skip

    # when it is adjusted back to zero
    back = negated(issued)

    # then the adjustment's lines multiply out and add up to the opposite of the original
    lines = [(line.position, line.quantity, line.unit_price, line.amount_vnd, line.gross_vnd) for line in back.lines]
    assert lines == [(1, 2, Decimal("-78704"), -157_408, -170_000), (2, 1, Decimal("-78703"), -78_703, -85_000)]
    assert (back.before_tax_vnd, back.tax_vnd, back.total_vnd) == (-236_111, -18_889, -255_000)
