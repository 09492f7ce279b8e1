"""Hostile JSON bodies (nested 1 000 deep, integers of thousands of digits, lone surrogates) are a 4xx everywhere.

Each used to be a 500: RecursionError and the int-str limit's ValueError escape `json.loads`' callers,
and a lone surrogate parses into a str that fails only when the database writes it. The app fixture
raises unexpected errors (RAISE_UNEXPECTED_ERRORS), so a 500 fails these tests with its traceback.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest

from catalogue import json_input
from marketplace_sync import lazada, shopee, tiktok
from tests.fakes import WEBHOOK_SECRET
from tests.order_helpers import BUYER, body, shelf
from tests.payments.fakes_zalopay import ZALOPAY_TEST
from tests.payments.rail_helpers import CASSO_KEY, SEPAY_KEY, use_rails
from tests.sync.fakes_tiktok import TIKTOK
from tests.sync.marketplace_fakes import LAZADA, SHOPEE

DEEP_ARRAY = b"[" * 1000 + b"]" * 1000
DEEP_OBJECT = b'{"a":' * 1000 + b"1" + b"}" * 1000
HUGE_INTEGER = b'{"lines": [{"product_id": 1, "quantity": ' + b"9" * 5000 + b"}]}"
LONG_INTEGER = b'{"amount": ' + b"9" * 4000 + b"}"  # under Python's 4 300-digit limit: parses, then overflows
SURROGATE = b'{"customer": {"name": "\\ud800"}}'
HOSTILE = {
    "deep array": DEEP_ARRAY,
    "deep object": DEEP_OBJECT,
    "huge integer": HUGE_INTEGER,
    "long integer": LONG_INTEGER,
    "lone surrogate": SURROGATE,
}


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_the_parser_refuses_each_with_a_reason(body):
    with pytest.raises(json_input.UnreadableJson) as refused:
        json_input.loads(body)

    assert str(refused.value)


def test_the_parser_keeps_i_json_integers_unless_the_caller_bounds_each_field():
    """The API's schemas bound every integer (test_api_bounds.py) and name the field; other readers have no schema."""
    with pytest.raises(json_input.UnreadableJson):
        json_input.loads('{"id": 100000000000000000000}')

    assert json_input.loads('{"id": 100000000000000000000}', schema_bounded=True) == {"id": 10**20}
    with pytest.raises(json_input.UnreadableJson):
        json_input.loads('{"id": 1' + "0" * 40 + "}", schema_bounded=True)


def test_the_parser_reads_ordinary_json():
    assert json_input.loads('{"a": [1, -2, 3.5, "Hạ Long", null, true], "b": {"c": 9007199254740991}}') == {
        "a": [1, -2, 3.5, "Hạ Long", None, True],
        "b": {"c": 9007199254740991},
    }


UNREADABLE = {name: hostile for name, hostile in HOSTILE.items() if name != "lone surrogate"}


@pytest.mark.parametrize("body", UNREADABLE.values(), ids=UNREADABLE.keys())
def test_an_anonymous_order_with_a_hostile_body_is_400_json(empty_client, body):
    response = empty_client.post("/api/v1/orders", data=body, content_type="application/json")

    assert response.status_code == 400
    assert response.get_json()["code"] == 400
    assert response.get_json()["errors"]["json"]


def test_a_lone_surrogate_is_422_naming_the_field_not_a_database_error(app, empty_client):
    """Valid JSON syntax whose one value is not text: the API answers as for any text XML cannot carry
    (tests/operations/test_xml_safe_text.py), a 422 naming the field, so the client knows what to fix."""
    product = shelf()["mien"]
    order = json.dumps(body((product.id, 1), customer={**BUYER, "name": "SURROGATE"})).replace("SURROGATE", "\\udc00")
    assert json.loads(order)["customer"]["name"] == "\udc00"  # json.loads takes it: the shop must not

    response = empty_client.post("/api/v1/orders", data=order.encode(), content_type="application/json")

    assert response.status_code == 422, response.get_json()
    assert "lone surrogates" in response.get_json()["errors"]["customer.name"][0]

    response = empty_client.post("/api/v1/orders", data=SURROGATE, content_type="application/json")
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["customer.name"]


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_json_page_route_refuses_a_hostile_body(empty_client, body):
    """The storefront's card payment reads JSON through Flask's request.get_json: the same parser."""
    empty_client.application.config["WTF_CSRF_ENABLED"] = False
    response = empty_client.post("/orders/QN-NONE/pay", data=body, content_type="application/json")

    assert 400 <= response.status_code < 500


def _stripe(body: bytes) -> dict:
    moment = int(time.time())
    signature = hmac.new(WEBHOOK_SECRET.encode(), f"{moment}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={moment},v1={signature}"}


def _casso(body: bytes) -> dict:
    return {"X-Casso-Signature": f"t={int(time.time() * 1000)},v1=" + "0" * 128}


def _shopee(body: bytes) -> dict:
    return {"Authorization": shopee.push_signature(SHOPEE["partner_key"], "http://shop.test/webhooks/shopee", body)}


def _tiktok(body: bytes) -> dict:
    return {"Authorization": tiktok.push_signature(TIKTOK["app_key"], TIKTOK["app_secret"], body)}


def _lazada(body: bytes) -> dict:
    return {"Authorization": lazada.push_signature(LAZADA["app_key"], LAZADA["app_secret"], body)}


WEBHOOKS = {
    # Genuinely signed where the signature covers the raw body: the parse after it must hold too.
    "stripe, signed": ("/webhooks/stripe", _stripe),
    "sepay, right key": ("/webhooks/bank-transfer", lambda body: {"Authorization": f"Apikey {SEPAY_KEY}"}),
    # Casso, MoMo and ZaloPay sign fields inside the JSON: it must be read before, and safely.
    "casso, forged": ("/webhooks/bank-transfer", _casso),
    "momo, unsigned": ("/webhooks/momo", lambda body: {}),
    "zalopay, unsigned": ("/webhooks/zalopay", lambda body: {}),
    "shopee, signed": ("/webhooks/shopee", _shopee),
    "lazada, signed": ("/webhooks/lazada", _lazada),
    "tiktok, signed": ("/webhooks/tiktok", _tiktok),
}


@pytest.fixture
def every_webhook_on(app):
    use_rails(
        app,
        momo_url="http://127.0.0.1:9",
        ZALOPAY_APP_ID=ZALOPAY_TEST["app_id"],
        ZALOPAY_KEY1=ZALOPAY_TEST["key1"],
        ZALOPAY_KEY2=ZALOPAY_TEST["key2"],
        MARKETPLACE_SETTINGS={
            "SHOPEE_PARTNER_KEY": SHOPEE["partner_key"],
            "SHOPEE_PARTNER_ID": str(SHOPEE["partner_id"]),
            "LAZADA_APP_KEY": LAZADA["app_key"],
            "LAZADA_APP_SECRET": LAZADA["app_secret"],
            "TIKTOK_APP_KEY": TIKTOK["app_key"],
            "TIKTOK_APP_SECRET": TIKTOK["app_secret"],
        },
    )
    assert CASSO_KEY
    return app.test_client()


@pytest.mark.parametrize("webhook", WEBHOOKS.values(), ids=WEBHOOKS.keys())
@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_webhook_answers_a_hostile_body_without_a_server_error(every_webhook_on, webhook, body):
    path, headers = webhook

    response = every_webhook_on.post(path, data=body, headers=headers(body), content_type="application/json")

    assert 200 <= response.status_code < 500
    assert response.status_code != 200 or path in ("/webhooks/momo", "/webhooks/zalopay")  # their refusal format
