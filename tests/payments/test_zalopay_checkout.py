"""ZaloPay through the shop: the checkout creates the order at the fake ZaloPay, whose pay page pays it,
calls our real callback (answered in ZaloPay's `return_code`) and sends the buyer back to the return page."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from tests.live import serving
from tests.order_helpers import body, shelf, stock_of
from tests.payments.fakes_zalopay import ZALOPAY_TEST, FakeZaloPay, zalopay_hmac
from tests.payments.rail_helpers import all_rows, ledger_of, status_of, use_rails
from tests.storefront_helpers import csrf_token

TOTAL = 200_000  # two packets of miến at 85 000 ₫ and 30 000 ₫ shipping


def zalopay_settings(api_base: str) -> dict:
    """The settings that turn ZaloPay on against a fake at `api_base`."""
    return {"ZALOPAY_APP_ID": ZALOPAY_TEST["app_id"], "ZALOPAY_KEY1": ZALOPAY_TEST["key1"],
            "ZALOPAY_KEY2": ZALOPAY_TEST["key2"], "ZALOPAY_API_BASE": api_base}  # fmt: skip


@pytest.fixture
def zalopay(app, empty_client):
    with FakeZaloPay() as fake, serving(app) as base:
        use_rails(app, PUBLIC_BASE_URL=base, **zalopay_settings(fake.url))
        products = shelf()
        placed = empty_client.post("/api/v1/orders", json=body((products["mien"].id, 2), payment_method="zalopay"))
        assert placed.status_code == 201, placed.get_json()
        yield {"fake": fake, "base": base, "client": empty_client, "product": products["mien"],
               "order": placed.get_json()}  # fmt: skip


def _answers(fake) -> list:
    return [(status, json.loads(text)) for status, text in fake.ipn_answers]


def _pay(zalopay) -> requests.Response:
    """Press "Thanh toán" on the fake's pay page: its callback to the shop, then the buyer's redirect."""
    token = zalopay["order"]["payment"]["redirect_url"].rpartition("=")[2]
    return requests.post(f"{zalopay['fake'].url}/pay", data={"order": token}, allow_redirects=False, timeout=30)


def test_checkout_creates_the_order_at_zalopay_and_answers_its_order_url(zalopay):
    # given an order placed with payment_method zalopay (fixture)
    order, fake = zalopay["order"], zalopay["fake"]

    # then the answer carries ZaloPay's order_url, and ZaloPay has the attempt with our callback and return page
    payment = order["payment"]
    [(app_trans_id, created)] = fake.orders.items()
    assert payment["provider"] == "zalopay"
    assert payment["reference"] == app_trans_id
    assert app_trans_id.endswith("_" + f"{order['code']}-1".replace("-", "_"))
    assert payment["redirect_url"] == f"{fake.url}/pay?order={created['token']}"
    assert (created["amount"], created["callback_url"]) == (str(TOTAL), f"{zalopay['base']}/webhooks/zalopay")
    assert json.loads(created["embed_data"]) == {"redirecturl": f"{zalopay['base']}/payments/zalopay/return"}
    assert ledger_of(order["code"]) == [("attempt", "started", "zalopay", TOTAL)]
    assert stock_of(zalopay["product"]) == 8


def test_paying_at_zalopay_pays_the_order_once_and_brings_the_buyer_back_to_it(zalopay):
    # given the order waiting at ZaloPay
    code = zalopay["order"]["code"]

    # when the buyer pays on ZaloPay's page and the browser follows its redirect to our return page
    paid = _pay(zalopay)
    back = zalopay["client"].get(urlsplit(paid.headers["Location"]).path,
                                 query_string=dict(parse_qsl(urlsplit(paid.headers["Location"]).query)))  # fmt: skip

    # then the callback was answered 1, the order is paid once, and the return page sends the buyer to the order
    assert _answers(zalopay["fake"]) == [(200, {"return_code": 1, "return_message": "success"})]
    assert status_of(code) == "paid"
    assert ledger_of(code) == [("attempt", "succeeded", "zalopay", TOTAL), ("payment", "received", "zalopay", TOTAL)]
    assert stock_of(zalopay["product"]) == 8
    assert paid.headers["Location"].startswith(f"{zalopay['base']}/payments/zalopay/return?")
    assert (back.status_code, back.headers["Location"]) == (303, f"/orders/{code}?payment=zalopay&result=succeeded")
    shown = zalopay["client"].get(
        f"/orders/{code}", query_string={"token": zalopay["order"]["access_token"]}, follow_redirects=True
    )  # ?token= is exchanged for the order's cookie (303)
    html = shown.get_data(as_text=True)
    assert "Đã nhận 200.000\xa0₫ qua Ví ZaloPay" in html  # the ledger story names the rail, not "zalopay"


def test_the_same_callback_again_is_answered_2_and_changes_nothing(zalopay):
    # given a paid order and the callback ZaloPay sent for it
    fake = zalopay["fake"]
    [created] = fake.orders.values()
    callback = fake.callback(created)
    first = requests.post(f"{zalopay['base']}/webhooks/zalopay", json=callback, timeout=30)
    rows = all_rows()

    # when ZaloPay sends it again
    again = requests.post(f"{zalopay['base']}/webhooks/zalopay", json=callback, timeout=30)

    # then it is "already processed" and nothing changed
    assert (first.status_code, first.json()) == (200, {"return_code": 1, "return_message": "success"})
    assert (again.status_code, again.json()) == (200, {"return_code": 2, "return_message": "already processed"})
    assert all_rows() == rows
    assert status_of(zalopay["order"]["code"]) == "paid"


def test_a_forged_callback_is_answered_minus_1_and_changes_nothing(zalopay):
    # given ZaloPay's callback signed with another key2
    zalopay["fake"].forge = True
    rows = all_rows()

    # when the buyer pays
    _pay(zalopay)

    # then the shop answered -1 and the order still waits, its ledger as it was
    assert _answers(zalopay["fake"]) == [(200, {"return_code": -1, "return_message": "mac not equal"})]
    assert status_of(zalopay["order"]["code"]) == "pending_payment"
    assert all_rows() == rows


def test_the_return_page_checks_the_checksum_and_records_nothing(zalopay):
    # given ZaloPay's redirect query for the order's attempt, not yet called back
    code = zalopay["order"]["code"]
    args = {"appid": ZALOPAY_TEST["app_id"], "apptransid": zalopay["order"]["payment"]["reference"], "pmcid": "38",
            "bankcode": "", "amount": str(TOTAL), "discountamount": "0", "status": "1"}  # fmt: skip
    args["checksum"] = zalopay_hmac(ZALOPAY_TEST["key2"], *args.values())
    rows = all_rows()

    # when the buyer's browser comes back with it, and with a tampered copy
    shown = zalopay["client"].get("/payments/zalopay/return", query_string=args)
    forged = zalopay["client"].get("/payments/zalopay/return", query_string={**args, "amount": "1000"})

    # then the genuine one leads to the order page, the tampered one is 400, and neither records anything
    assert (shown.status_code, shown.headers["Location"]) == (303, f"/orders/{code}?payment=zalopay&result=succeeded")
    assert forged.status_code == 400
    assert status_of(code) == "pending_payment"
    assert all_rows() == rows
    # and the order page reads ZaloPay's result as it does every rail that sends the buyer back, named by its labels
    token = zalopay["order"]["access_token"]
    page = zalopay["client"].get(f"/orders/{code}", query_string={"token": token, "payment": "zalopay",
                                                                  "result": "succeeded"},
                                 follow_redirects=True)  # fmt: skip
    assert page.history[0].headers["Location"] == f"/orders/{code}?payment=zalopay&result=succeeded"  # kept
    assert 'data-testid="provider-return">Ví ZaloPay báo giao dịch thành công.' in page.get_data(as_text=True)


def test_the_checkout_page_offers_zalopay_and_hands_the_buyer_to_its_order_url(zalopay):
    # given two packets of miến in a shopper's cart, ZaloPay on (it once made the checkout page a 500)
    client, fake = zalopay["client"], zalopay["fake"]
    token = csrf_token(client, f"/products/{zalopay['product'].slug}")
    client.post("/cart/add", data={"product_id": zalopay["product"].id, "quantity": 2, "csrf_token": token})

    # when the shopper opens the checkout and orders with ZaloPay
    page = client.get("/checkout")
    form = {"name": "Nguyễn Thị Lan", "email": "lan@example.com", "phone": "0912 345 678", "province": "Quảng Ninh",
            "ward": "Phường Bãi Cháy", "line1": "12 đường Hạ Long", "payment_method": "zalopay",
            "csrf_token": csrf_token(client, "/checkout")}  # fmt: skip
    placed = client.post("/checkout", data=form)

    # then ZaloPay is offered by its name and the 303 goes to ZaloPay's order_url for the new attempt
    assert page.status_code == 200
    assert 'value="zalopay"' in page.get_data(as_text=True) and "Ví ZaloPay" in page.get_data(as_text=True)
    assert len(fake.orders) == 2  # the fixture's order, then this one
    created = list(fake.orders.values())[-1]
    assert (placed.status_code, placed.headers["Location"]) == (303, f"{fake.url}/pay?order={created['token']}")
