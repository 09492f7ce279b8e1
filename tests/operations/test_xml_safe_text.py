"""Text XML cannot carry (U+FFFE, U+FFFF, C0 controls but tab and newline, lone surrogates) is refused
on the way in, in every text field, and the invoice sweep goes on past an order it cannot invoice
(issue 22). Such text used to be stored, then broke the Google feed, the office's XLSX export and
e-invoicing of the order, and stopped `issue-missing` for every later order.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from catalogue import clock
from catalogue.extensions import db
from catalogue.invoices.models import Invoice, InvoiceSettings
from catalogue.orders.models import Order, OrderEvent
from tests.access_helpers import cast, paid_order
from tests.invoices.invoice_helpers import HTX_TAX_CODE
from tests.order_helpers import body

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])

BAD = ["Lan\ufffe", "Lan\uffff", "Lan\x01", "Lan\x0b", "Lan\x1f", "Lan\ud800", "Lan\udfff"]


# --- the sweep ------------------------------------------------------------------------------


def _paid_uninvoiced(product, code: str, name: str) -> Order:
    order = paid_order([(product, 1)], code)
    order.customer_name = name  # as an older row, stored before the refusal
    db.session.add(OrderEvent(order_id=order.id, from_status="pending_payment", to_status="paid", reason="test"))
    db.session.commit()
    return order


def test_the_sweep_isolates_an_order_it_cannot_invoice_and_goes_on(app):
    from catalogue.invoices.sweep import issue_missing

    world = cast()
    world["owner_producer"].tax_code = HTX_TAX_CODE
    db.session.add(
        InvoiceSettings(producer_id=world["owner_producer"].id, enabled=True, legal_name="HTX Miến dong",
                        address="Bình Liêu, Quảng Ninh", template="1", series="C26TAA", provider="none")
    )  # fmt: skip
    bad = _paid_uninvoiced(world["product"], "QN-BAD1-AAAA", "Lan\x01 Nguyễn")
    good = _paid_uninvoiced(world["product"], "QN-GOOD-BBBB", "Nguyễn Thị Lan")

    issued = issue_missing(clock.now())  # before: lxml's ValueError on the first order stopped the sweep

    assert issued == 1
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Invoice.id)).where(Invoice.order_id == good.id)) == 1
    assert db.session.scalar(select(func.count(Invoice.id)).where(Invoice.order_id == bad.id)) == 0


# --- on the way in -------------------------------------------------------------------------


@pytest.mark.parametrize("value", BAD)
def test_the_api_refuses_xml_incompatible_text_in_any_field(app, empty_client, value):
    world = cast()
    order = body((world["product"].id, 1))
    order["customer"]["name"] = value
    order["shipping_address"]["line1"] = "12 đường Hạ Long"

    raw = json.dumps(order)  # ASCII escapes: a lone surrogate travels as \\ud800, as an attacker sends it
    answer = empty_client.post("/api/v1/orders", data=raw, content_type="application/json")

    assert answer.status_code == 422, answer.get_json()
    assert "customer" in str(answer.get_json()["errors"])
    assert db.session.scalar(select(func.count(Order.id))) == 0


@pytest.mark.parametrize("value", BAD)
def test_the_shared_text_field_refuses_them(app, value):
    from marshmallow import Schema, ValidationError

    from catalogue.fields import Text

    class One(Schema):
        name = Text()

    with pytest.raises(ValidationError):
        One().load({"name": value})


def _string_fields(form) -> list:
    from wtforms import StringField

    return [field for field in form if isinstance(field, StringField) and field.type not in ("CSRFTokenField",)]


def test_every_form_refuses_them_in_every_text_field(app):
    """Walk every form class of the storefront and the portal: each text field gets the bad text."""
    import importlib
    import pkgutil

    import catalogue
    from catalogue.forms import Form

    for module in pkgutil.walk_packages(catalogue.__path__, "catalogue."):
        importlib.import_module(module.name)
    forms = set()
    pending = [Form]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            forms.add(sub)
            pending.append(sub)
    assert len(forms) >= 20
    checked = 0
    for form_class in sorted(forms, key=lambda cls: cls.__qualname__):
        with app.test_request_context("/", method="POST"):
            app.config["WTF_CSRF_ENABLED"] = False
            try:
                from werkzeug.datastructures import MultiDict

                blank = form_class(meta={"csrf": False})
                names = [field.name for field in _string_fields(blank)]
                if not names:
                    continue
                form = form_class(formdata=MultiDict({name: "Lan\ufffe" for name in names}), meta={"csrf": False})
                for field in form:
                    if getattr(field, "choices", False) is None:
                        field.choices = []
                form.validate()
            finally:
                app.config["WTF_CSRF_ENABLED"] = True
            for field in _string_fields(form):
                assert field.errors, f"{form_class.__qualname__}.{field.name} accepted U+FFFE"
                checked += 1
    assert checked >= 20


@pytest.mark.parametrize("value", ["Mô tả\ufffe", "x\x00y", "a\ud800"])
def test_every_api_text_argument_is_refused_even_plain_strings(app, value):
    from tests.access_helpers import auth

    world = cast()
    client = app.test_client()
    raw = json.dumps({"description": value})
    product = client.get(f"/api/v1/products/{world['product'].id}")

    answer = client.patch(
        f"/api/v1/products/{world['product'].id}",
        data=raw,
        content_type="application/json",
        headers={**auth(world["tokens"]["owner"]), "If-Match": product.headers.get("ETag", "*")},
    )
    query = client.get("/api/v1/products?q=" + quote(value.encode("utf-8", "surrogatepass")))

    assert answer.status_code == 422, answer.get_json()
    assert "description" in json.dumps(answer.get_json()["errors"])
    assert query.status_code == 422 or "\ud800" in value  # a URL cannot carry a lone surrogate: read as U+FFFD
