"""VAT rates by OCOP product set, the starting point the office corrects product by product.

Decisions (VAT Law 48/2024 and the 2 % cut of Decree 174/2025, in force through 2026): fresh or
only pre-processed farm and sea products sold by those who grow or catch them are not subject
to VAT (KCT), as are ornamental plants from their growers; medicinal herbs 5 %; spirits and
other alcoholic drinks 10 % (excise goods keep the full rate); everything else 8 % (the 10 %
rate cut by 2 %). A product's own `vat_rate`, set by the office, wins over this table.
"""

from __future__ import annotations

from catalogue.invoices.models import VAT_RATES

DEFAULT_RATE = "8%"
RATE_BY_PRODUCT_SET = {
    "thuc-pham-tuoi-song": "KCT",
    "thuc-pham-so-che": "KCT",
    "hoa-cay-canh": "KCT",
    "duoc-lieu": "5%",
    "ruou-trang": "10%",
    "do-uong-co-con-khac": "10%",
}


def rate_for_product_set(code: str) -> str:
    """The rate the seed gives products of this OCOP product set."""
    return RATE_BY_PRODUCT_SET.get(code, DEFAULT_RATE)


def rate_of(product) -> str:
    """The product's VAT rate: the office's, else its product set's."""
    return product.vat_rate or rate_for_product_set(product.category.code)


def is_rate(value: str) -> bool:
    """True for one of the rates an invoice may carry."""
    return value in VAT_RATES
