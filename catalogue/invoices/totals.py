"""An invoice's amounts, as a Vietnamese accountant checks them: integer VND, VAT per rate, total in words.

Shop prices include VAT (prices shown to consumers must), so what the buyer paid for a line is its
gross; per rate, the amount before tax is the rate's gross line totals divided by (1 + rate),
rounded once per rate, and the tax is the rest, so an invoice always adds up to what was paid.
Each line's amount before tax is its own share, the largest line of a rate taking the rounding.

A tax authority's validator checks every line's unit price × quantity = amount (DGia × SLuong =
ThTien). The amount is what is exact (it adds up to the rate's total); the unit price is worked
back from it: amount / quantity, written with the decimals the format allows (DGia is a number
with up to 6 decimal places, TT78 / QĐ 1450). When that quotient has no such decimal (3 jars for
236 111 ₫), the line is written as two lines of the same goods at whole-đồng unit prices one
đồng apart (1 × 78 703 + 2 × 78 704), so every product is exact and every total unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from num2words import num2words

VAT_PERCENT = {"0%": 0, "5%": 5, "8%": 8, "10%": 10, "KCT": 0, "KKKNT": 0}
RATE_ORDER = ("10%", "8%", "5%", "0%", "KCT", "KKKNT")
UNIT_PRICE_DECIMALS = 6  # DGia: Số(21,6)


@dataclass(frozen=True)
class Sale:
    """A line as sold: what the buyer paid for it (VAT included) and its VAT rate."""

    sku: str
    name: str
    unit: str
    quantity: int
    gross_vnd: int
    vat_rate: str


@dataclass(frozen=True)
class Line:
    """A line as invoiced: amount and unit price before tax (`unit_price` × quantity = amount exactly)."""

    position: int
    sku: str
    name: str
    unit: str
    quantity: int
    unit_price_vnd: int
    amount_vnd: int
    vat_rate: str
    gross_vnd: int

    @property
    def unit_price(self) -> Decimal:
        """The exact unit price before tax, amount / quantity: what DGia says (`unit_price_vnd` is it rounded)."""
        return unit_price_of(self.amount_vnd, self.quantity)


def has_exact_unit_price(amount_vnd: int, quantity: int) -> bool:
    """True when amount / quantity is a decimal of at most 6 places (what DGia can say exactly)."""
    return quantity > 0 and abs(amount_vnd) * 10**UNIT_PRICE_DECIMALS % quantity == 0


def unit_price_of(amount_vnd: int, quantity: int) -> Decimal:
    """amount / quantity as an exact decimal of at most 6 places; ValueError when it has none."""
    if not has_exact_unit_price(amount_vnd, quantity):
        raise ValueError(f"{amount_vnd} / {quantity} has no exact unit price of {UNIT_PRICE_DECIMALS} decimals")
    scaled = Decimal(abs(amount_vnd) * 10**UNIT_PRICE_DECIMALS // quantity).scaleb(-UNIT_PRICE_DECIMALS)
    return (-scaled if amount_vnd < 0 else scaled).normalize()


def plain_decimal(value: Decimal) -> str:
    """`78703.5`, `78704`: a decimal as the XML writes it (no exponent, no trailing zeros)."""
    return format(value.normalize(), "f")


@dataclass(frozen=True)
class RateTotal:
    """The lines of one VAT rate: before tax and its tax."""

    rate: str
    before_tax_vnd: int
    tax_vnd: int


@dataclass(frozen=True)
class Totals:
    """Lines, totals per rate and overall, and the total in Vietnamese words."""

    lines: tuple[Line, ...]
    by_rate: tuple[RateTotal, ...]
    before_tax_vnd: int
    tax_vnd: int
    total_vnd: int
    words: str


def _divide_rounded(amount: int, numerator: int, denominator: int) -> int:
    """amount × numerator / denominator, rounded half away from zero, in integers."""
    sign = -1 if amount < 0 else 1
    value = abs(amount) * numerator
    return sign * ((2 * value + denominator) // (2 * denominator))


def before_tax(gross_vnd: int, rate: str) -> int:
    """The part of a VAT-inclusive amount that is not tax."""
    percent = VAT_PERCENT[rate]
    return gross_vnd if percent == 0 else _divide_rounded(gross_vnd, 100, 100 + percent)


def in_words(amount_vnd: int) -> str:
    """`170000` → "Một trăm bảy mươi nghìn đồng" (num2words' Vietnamese)."""
    words = num2words(abs(amount_vnd), lang="vi")
    words = f"âm {words}" if amount_vnd < 0 else words
    return f"{words[0].upper()}{words[1:]} đồng"


def compute(sales: Sequence[Sale], vat_invoice: bool = True) -> Totals:
    """The invoice of these sales; a sales invoice (template 2) carries no VAT at all."""
    if not vat_invoice:
        lines = _exact_products([_line(index, sale, sale.gross_vnd, "") for index, sale in enumerate(sales, 1)])
        total = sum(sale.gross_vnd for sale in sales)
        return Totals(lines, (), total, 0, total, in_words(total))
    lines: list[Line] = []
    by_rate: list[RateTotal] = []
    for rate in sorted({sale.vat_rate for sale in sales}, key=RATE_ORDER.index):
        group = [(index, sale) for index, sale in enumerate(sales, 1) if sale.vat_rate == rate]
        gross = sum(sale.gross_vnd for _, sale in group)
        rate_before = before_tax(gross, rate)
        shares = [_line(index, sale, before_tax(sale.gross_vnd, rate), rate) for index, sale in group]
        shares = _absorb_rounding(shares, rate_before - sum(line.amount_vnd for line in shares))
        lines.extend(shares)
        by_rate.append(RateTotal(rate, rate_before, gross - rate_before))
    lines.sort(key=lambda line: line.position)
    before = sum(rate.before_tax_vnd for rate in by_rate)
    tax = sum(rate.tax_vnd for rate in by_rate)
    return Totals(_exact_products(lines), tuple(by_rate), before, tax, before + tax, in_words(before + tax))


def share_of(lines: Sequence[Line], amount_vnd: int) -> list[Sale]:
    """`amount_vnd` of an invoice's lines, as the sales that return it: each line's part in proportion to
    its gross (the rounding going to the largest remainders), so they add up to `amount_vnd` exactly."""
    total = sum(line.gross_vnd for line in lines)
    if total <= 0 or not 0 <= amount_vnd <= total:
        raise ValueError(f"{amount_vnd} is not a share of lines totalling {total}")
    shares = [line.gross_vnd * amount_vnd // total for line in lines]
    by_remainder = sorted(range(len(lines)), key=lambda i: (-(lines[i].gross_vnd * amount_vnd % total), i))
    for index in by_remainder[: amount_vnd - sum(shares)]:
        shares[index] += 1
    return [
        Sale(line.sku, line.name, line.unit, line.quantity, share, line.vat_rate)
        for line, share in zip(lines, shares, strict=True)
        if share
    ]


def negated(totals: Totals) -> Totals:
    """The adjustment that brings an invoice back to zero: every amount (and so unit price) with the opposite sign."""
    lines = _exact_products(  # an invoice issued before unit prices were exact gets exact lines here
        [replace(line, amount_vnd=-line.amount_vnd, gross_vnd=-line.gross_vnd) for line in totals.lines]
    )
    by_rate = tuple(
        replace(rate, before_tax_vnd=-rate.before_tax_vnd, tax_vnd=-rate.tax_vnd) for rate in totals.by_rate
    )
    return Totals(
        lines, by_rate, -totals.before_tax_vnd, -totals.tax_vnd, -totals.total_vnd, in_words(-totals.total_vnd)
    )


def _line(position: int, sale: Sale, amount_vnd: int, rate: str) -> Line:
    unit_price = _divide_rounded(amount_vnd, 1, sale.quantity) if sale.quantity else 0
    return Line(position, sale.sku, sale.name, sale.unit, sale.quantity, unit_price, amount_vnd, rate, sale.gross_vnd)


def _exact_products(lines: Sequence[Line]) -> tuple[Line, ...]:
    """Every line with an exact unit price: kept when amount / quantity has one, else split in two; numbered 1…n."""
    exact: list[Line] = []
    for line in lines:
        if has_exact_unit_price(line.amount_vnd, line.quantity):
            exact.append(replace(line, unit_price_vnd=_divide_rounded(line.amount_vnd, 1, line.quantity)))
        else:
            exact.extend(_split(line))
    return tuple(replace(line, position=position) for position, line in enumerate(exact, 1))


def _split(line: Line) -> list[Line]:
    """q units for amount a as (q - r) at a // q and r at a // q + 1 (r = a mod q): both whole đồng, same sum."""
    base, more = divmod(line.amount_vnd, line.quantity)
    gross_first = line.gross_vnd * (line.quantity - more) // line.quantity
    return [
        replace(line, quantity=line.quantity - more, unit_price_vnd=base, amount_vnd=base * (line.quantity - more),
                gross_vnd=gross_first),
        replace(line, quantity=more, unit_price_vnd=base + 1, amount_vnd=(base + 1) * more,
                gross_vnd=line.gross_vnd - gross_first),
    ]  # fmt: skip


def _absorb_rounding(lines: list[Line], difference: int) -> list[Line]:
    if not difference:
        return lines
    largest = max(range(len(lines)), key=lambda index: abs(lines[index].gross_vnd))
    lines[largest] = replace(lines[largest], amount_vnd=lines[largest].amount_vnd + difference)
    return lines


def split_shipping(fee_vnd: int, subtotals: dict[int, int]) -> dict[int, int]:
    """Each producer's share of the order's shipping, in proportion to its goods (largest remainders)."""
    total = sum(subtotals.values())
    if not fee_vnd or not total:
        return {producer: 0 for producer in subtotals}
    exact = {producer: fee_vnd * amount for producer, amount in subtotals.items()}
    shares = {producer: value // total for producer, value in exact.items()}
    left = fee_vnd - sum(shares.values())
    for producer in sorted(exact, key=lambda p: (-(exact[p] % total), p))[:left]:
        shares[producer] += 1
    return shares


def rates_in(lines: Iterable[Line]) -> list[str]:
    """The VAT rates present, in the order invoices list them."""
    return sorted({line.vat_rate for line in lines}, key=RATE_ORDER.index)
