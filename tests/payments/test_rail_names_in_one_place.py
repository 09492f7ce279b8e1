"""A rail is named only by its own labels (issue 20): no code outside catalogue/payments spells a rail's name.

Nine tables once named the rails in five wordings, and adding one rail touched about 24 files;
the checkout, the order page, the payment policy page, invoices, reports and the office's pages
now read each rail's `RailLabels`. These tests read the source: every string literal in
catalogue/**/*.py outside catalogue/payments (docstrings aside) and every template, and list
where a domestic rail's name ("vietqr", "vnpay", "momo", "zalopay", any case, as a word) still
appears. Each such place must be in the allow-list below, with why; a new one fails here, and so
does an allow-list entry that no longer matches (the list stays exact).

Stripe is not searched: it is the card gateway with its own event path (contract §7), compared as
`registry.STRIPE` by the pages and as the literal "stripe" by its event handlers and settings.
Setting names (VNPAY_TMN_CODE, …) are not rail names: `\\b` does not split them at the underscore.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

from catalogue.invoices.issuing import payment_words
from catalogue.orders.models import Order
from catalogue.payments.registry import KNOWN, NAMES
from catalogue.storefront.pages import payment_rails

CATALOGUE = Path(__file__).resolve().parents[2] / "catalogue"
RAIL = re.compile(r"\b(vietqr|vnpay|momo|zalopay)\b", re.IGNORECASE)

# (file under catalogue/, the literal) -> how many times; each with why it may name a rail.
ALLOWED_LITERALS = {
    # The order's QR image route: a VietQR-only endpoint (the transfer's QR), not a wording.
    ("api/orders.py", "/vietqr.svg"): 1,
    ("storefront/checkout.py", "/orders/<code>/vietqr.svg"): 1,
}
# The bank feeds' transfers, a refund by hand when an order names no rail and the live page's QR all mean the
# bank-transfer rail: they say catalogue.payments.registry.BANK_TRANSFER, so none is listed here.
# Template -> the rail words it may carry (None: any): VietQR's own payment partial, included only
# for a VietQR attempt, and the checkout's demo-account notice, about VietQR's demo account.
ALLOWED_IN_TEMPLATES = {
    "checkout/_vietqr.html": None,
    "checkout/checkout.html": ["VietQR"],
}


def _docstrings(tree: ast.Module) -> set[int]:
    kinds = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, kinds) and node.body and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }  # fmt: skip


def rail_literals() -> Counter:
    """Every string literal outside catalogue/payments that names a domestic rail, counted by (file, literal)."""
    found: Counter = Counter()
    for path in sorted(CATALOGUE.rglob("*.py")):
        relative = path.relative_to(CATALOGUE).as_posix()
        if relative.startswith("payments/"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = _docstrings(tree)
        for node in ast.walk(tree):
            literal = node.value if isinstance(node, ast.Constant) and id(node) not in docstrings else None
            if isinstance(literal, str) and RAIL.search(literal):
                found[(relative, literal)] += 1
    return found


def rail_words_in_templates() -> dict[str, list[str]]:
    """Each template that names a domestic rail, and the words it uses, in the order they appear."""
    found = {}
    for path in sorted((CATALOGUE / "templates").rglob("*")):
        if path.is_file():
            words = RAIL.findall(path.read_text(encoding="utf-8"))
            if words:
                found[path.relative_to(CATALOGUE / "templates").as_posix()] = words
    return found


def test_no_code_outside_the_payments_package_names_a_rail_but_the_documented_places():
    # given the source of the shop outside catalogue/payments
    # when every string literal naming a rail is listed
    found = rail_literals()

    # then only the documented places remain
    assert dict(found) == ALLOWED_LITERALS


def test_no_template_names_a_rail_but_vietqrs_own_pages():
    # given every template (emails, checkout, order page, the office's pages)
    # when every rail name in them is listed
    found = rail_words_in_templates()

    # then only VietQR's own partial and its demo notice name a rail; the rest take it from a variable
    assert list(found) == list(ALLOWED_IN_TEMPLATES)
    assert {name: words for name, words in found.items() if ALLOWED_IN_TEMPLATES[name] is not None} == {
        name: words for name, words in ALLOWED_IN_TEMPLATES.items() if words is not None
    }


def test_the_search_finds_a_rail_named_in_code_or_a_template(tmp_path):
    # given a literal and a template line naming ZaloPay, and a setting name and a docstring that do not count
    source = 'def f():\n    """Pays with ZaloPay."""\n    return {"zalopay": "Ví ZaloPay", "k": "ZALOPAY_KEY1"}\n'
    tree = ast.parse(source)

    # when the same rules read them
    docstrings = _docstrings(tree)
    literals = [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)
                and isinstance(node.value, str) and id(node) not in docstrings and RAIL.search(node.value)]  # fmt: skip

    # then the rail's name and wording are caught, and nothing else
    assert literals == ["zalopay", "Ví ZaloPay"]
    assert RAIL.findall("{{ _('Thanh toán qua MoMo') }} {% include 'checkout/_vietqr.html' %}") == ["MoMo"]


def test_every_rail_the_registry_knows_is_on_the_payment_page_and_the_invoice_in_its_own_words(app):
    # given the registry's rails, ZaloPay among them
    assert NAMES == ("vietqr", "vnpay", "momo", "zalopay", "stripe")

    # when the payment page's descriptions and the invoice's payment words are read
    with app.test_request_context():
        described = payment_rails()
    words = {rail.name: payment_words(Order(payment_method=rail.name)) for rail in KNOWN}

    # then each is the rail's own labels, in the registry's order; an unknown rail is "Khác" on the invoice
    assert list(described) == list(NAMES)
    assert [(rail.title, rail.how, rail.refund) for rail in described.values()] == [
        (rail.labels.vi.name, rail.labels.vi.how, rail.labels.vi.refund) for rail in KNOWN
    ]
    assert words == {
        "vietqr": "Chuyển khoản", "vnpay": "Thẻ/VNPay", "momo": "Ví điện tử MoMo", "zalopay": "Ví điện tử ZaloPay",
        "stripe": "Thẻ",
    }  # fmt: skip
    assert payment_words(Order(payment_method="bitcoin")) == "Khác"
    assert payment_words(Order(payment_method="momo", settled_by="zalopay")) == "Ví điện tử ZaloPay"
