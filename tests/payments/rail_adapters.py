"""How the rail contract (tests/payments/test_rail_contract.py) drives each rail: one adapter a rail.

An adapter knows what its rail's start answers, how its provider words a notice for an order's
attempt (genuine, forged, for another amount, for another account, signed too long ago) and what
the shop answers it in that provider's own format. Notices are written by the fakes' own signing
code (tests/fakes.py, payment_fakes.py, fakes_zalopay.py, rail_helpers.py), never the adapters'.
Each delivery goes through the app's real webhook route with the Flask test client.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from catalogue.payments.bank_feeds import casso_signature
from tests.fakes import intent_event, signed
from tests.payments.fakes_zalopay import ZALOPAY_TEST, zalopay_hmac
from tests.payments.payment_fakes import VNPAY_TEST, vnpay_hash
from tests.payments.rail_helpers import CASSO_KEY, SEPAY_KEY, VIETQR, casso_body, sepay_body

OTHER_ACCOUNT_NO = "0071000999999"  # a bank account that is not the shop's
_numbers = itertools.count(700_001)


@dataclass(frozen=True)
class Delivery:
    """One notice as its provider sends it: the request to replay byte for byte."""

    method: str
    path: str
    options: dict = field(default_factory=dict)  # for the test client's `open`: data, headers, query_string, json

    def send(self, client) -> tuple[int, object]:
        """Deliver it; the shop's answer as (HTTP status, JSON body or text)."""
        response = client.open(self.path, method=self.method, **self.options)
        return response.status_code, response.get_json() if response.is_json else response.get_data(as_text=True)


def _error(status: int, message: str) -> tuple[int, dict]:
    """The shop's error shape for a refused notice (catalogue.errors)."""
    names = {400: "Bad Request", 401: "Unauthorized"}
    return status, {"code": status, "status": names[status], "message": message, "errors": {}}


class RailAdapter:
    """The contract's view of one rail; subclasses fill in their provider's words."""

    name: str  # the test id
    method: str  # payment_method at checkout
    stale_not_applicable: str | None = None  # why this rail has no freshness rule (None: it has one)
    attempt_when_paid = "succeeded"  # the attempt row once its money came (VietQR's attempt stays "started")

    def __init__(self, fakes: dict) -> None:
        self.fakes = fakes

    # what the start gives the buyer
    def check_start(self, order: dict, total: int) -> None:
        raise NotImplementedError

    # notices
    def genuine(self, order: dict, total: int) -> Delivery:
        raise NotImplementedError

    def forged(self, order: dict, total: int) -> Delivery:
        raise NotImplementedError

    def wrong_amount(self, order: dict, amount: int) -> Delivery:
        raise NotImplementedError

    def wrong_account(self, order: dict, total: int) -> Delivery:
        raise NotImplementedError

    def stale(self, order: dict, total: int) -> Delivery:
        raise NotImplementedError

    # what the shop answers, in the provider's format
    def answer(self, outcome: str) -> tuple[int, object]:
        raise NotImplementedError

    def refusal(self) -> tuple[int, object]:
        """The answer to a forged (or stale) notice."""
        raise NotImplementedError

    def wrong_amount_rows(self, total: int, amount: int) -> list[tuple]:
        """The order's ledger after a notice for `amount`: kept as rejected, the attempt still open."""
        return [("attempt", "started", self.method, total), ("payment", "rejected", self.method, amount)]

    def wrong_account_rows(self, total: int) -> list[tuple]:
        """The order's ledger after a notice for another account: refused before anything is recorded."""
        return [("attempt", "started", self.method, total)]

    wrong_account_kept = 0  # rows a notice for another account leaves anywhere (kept for the office to see)

    def refunds_made(self) -> int | None:
        """Refunds the provider made by its API; None for a rail the office refunds by hand."""
        return None


# --- Stripe ------------------------------------------------------------------------------------


class StripeRail(RailAdapter):
    name = method = "stripe"

    def check_start(self, order, total):
        payment = order["payment"]
        assert payment["provider"] == "stripe"
        assert payment["payment_intent_id"].startswith("pi_fake_")
        assert payment["client_secret"] == f"{payment['payment_intent_id']}_secret_x"
        assert payment["publishable_key"] == "pk_test_fake"

    def _event(self, order, amount, intent=None, **sign_options) -> Delivery:
        event = intent_event(f"evt_contract_{next(_numbers)}", "succeeded",
                             intent or order["payment"]["payment_intent_id"], order["code"], amount=amount)  # fmt: skip
        data, signature = signed(event, **sign_options)
        headers = {"Stripe-Signature": signature, "Content-Type": "application/json"}
        return Delivery("POST", "/webhooks/stripe", {"data": data, "headers": headers})

    def genuine(self, order, total):
        return self._event(order, total)

    def forged(self, order, total):
        return self._event(order, total, secret="whsec_forged")

    def wrong_amount(self, order, amount):
        return self._event(order, amount)

    def wrong_account(self, order, total):
        return self._event(order, total, intent="pi_of_another_checkout")  # names the order, not its PaymentIntent

    def stale(self, order, total):
        return self._event(order, total, timestamp=int(time.time()) - 301)

    wrong_account_kept = 1

    def wrong_account_rows(self, total):
        # Genuine and signed: kept as rejected on the order it names, so Stripe's retries are answered the same.
        return [("attempt", "started", "stripe", total), ("payment", "rejected", "stripe", total)]

    def answer(self, outcome):
        outcome = {"wrong_amount": "rejected", "wrong_account": "rejected"}.get(outcome, outcome)
        return 200, {"received": True, "outcome": outcome}

    def refusal(self):
        return _error(400, "Invalid Stripe-Signature: the event was not applied.")

    def refunds_made(self):
        return sum(call[0] == "refund" for call in self.fakes["stripe"].calls)


# --- VietQR, reported by SePay or Casso -------------------------------------------------------


class _BankFeedRail(RailAdapter):
    method = "vietqr"
    attempt_when_paid = "started"  # the transfer content stays the same whatever pays it

    def check_start(self, order, total):
        payment = order["payment"]
        assert payment["provider"] == "vietqr"
        assert (payment["bank_bin"], payment["account_no"], payment["account_name"]) == (
            VIETQR["VIETQR_BANK_BIN"], VIETQR["VIETQR_ACCOUNT_NO"], VIETQR["VIETQR_ACCOUNT_NAME"])  # fmt: skip
        assert payment["content"] == payment["reference"] == order["code"].replace("-", "")
        assert payment["amount_vnd"] == total
        assert payment["qr_payload"].startswith("000201010212")  # EMVCo, dynamic: it carries the amount
        assert f"54{len(str(total)):02d}{total}" in payment["qr_payload"]

    def answer(self, outcome):
        outcome = {"wrong_amount": "partly_paid", "wrong_account": "other_account"}.get(outcome, outcome)
        return 200, {"success": True, "outcomes": [outcome]}

    def refusal(self):
        return _error(401, "Invalid bank-webhook key or signature: nothing was recorded.")

    wrong_account_kept = 1  # kept as rejected with the account it went to, on no order (wt/reconcile)

    def wrong_amount_rows(self, total, amount):
        # A short transfer is the buyer's money on the order: held as partly paid, the rest still due.
        return [("attempt", "started", "vietqr", total), ("payment", "received", "vietqr", amount)]


class SePayRail(_BankFeedRail):
    name = "vietqr-sepay"
    stale_not_applicable = "SePay signs nothing and sends no time with its key: a replay is told by its id only"

    def _post(self, body: dict, key: str = SEPAY_KEY) -> Delivery:
        headers = {"Authorization": f"Apikey {key}", "Content-Type": "application/json"}
        return Delivery("POST", "/webhooks/bank-transfer", {"data": json.dumps(body).encode(), "headers": headers})

    def _body(self, order, amount, **changes):
        return {**sepay_body(next(_numbers), f"CT {order['payment']['content']} mua mien", amount), **changes}

    def genuine(self, order, total):
        return self._post(self._body(order, total))

    def forged(self, order, total):
        return self._post(self._body(order, total), key="not-the-shops-key")

    def wrong_amount(self, order, amount):
        return self._post(self._body(order, amount))

    def wrong_account(self, order, total):
        return self._post(self._body(order, total, accountNumber=OTHER_ACCOUNT_NO))


class CassoRail(_BankFeedRail):
    name = "vietqr-casso"

    def _post(self, body: dict, key: str = CASSO_KEY, age_seconds: int = 0) -> Delivery:
        signed_at = str(int((time.time() - age_seconds) * 1000))
        headers = {"X-Casso-Signature": f"t={signed_at},v1={casso_signature(key, signed_at, body)}",
                   "Content-Type": "application/json"}  # fmt: skip
        return Delivery("POST", "/webhooks/bank-transfer", {"data": json.dumps(body).encode(), "headers": headers})

    def _body(self, order, amount, **changes):
        body = casso_body(next(_numbers), f"MBVCB.3278907687.{order['payment']['content']}.CT tu 0011001234567", amount)
        body["data"].update(changes)
        return body

    def genuine(self, order, total):
        return self._post(self._body(order, total))

    def forged(self, order, total):
        return self._post(self._body(order, total), key="not-the-shops-key")

    def wrong_amount(self, order, amount):
        return self._post(self._body(order, amount))

    def wrong_account(self, order, total):
        return self._post(self._body(order, total, accountNumber=OTHER_ACCOUNT_NO))

    def stale(self, order, total):
        return self._post(self._body(order, total), age_seconds=301)


# --- the redirect rails -------------------------------------------------------------------------


class VNPayRail(RailAdapter):
    name = method = "vnpay"
    stale_not_applicable = (
        "VNPay's IPN carries no signed send time (vnp_PayDate is when the buyer paid); "
        "a replay is told by vnp_TransactionNo"
    )

    def check_start(self, order, total):
        payment = order["payment"]
        query = dict(parse_qsl(urlsplit(payment["redirect_url"]).query))
        assert payment["redirect_url"].startswith(self.fakes["vnpay"].pay_url + "?")
        assert (payment["provider"], payment["reference"]) == ("vnpay", f"{order['code']}-1")
        assert (query["vnp_TmnCode"], query["vnp_TxnRef"], query["vnp_Amount"]) == (
            VNPAY_TEST["tmn_code"], payment["reference"], str(total * 100))  # fmt: skip
        assert query["vnp_SecureHash"] == vnpay_hash(query, VNPAY_TEST["hash_secret"])

    def _result(self, order, amount, **changes) -> dict:
        request = {"vnp_Amount": str(amount * 100), "vnp_OrderInfo": f"Thanh toan don hang {order['code']}",
                   "vnp_TxnRef": order["payment"]["reference"]}  # fmt: skip
        return {**self.fakes["vnpay"].result(request), **changes}

    @staticmethod
    def _ipn(result: dict, secret: str = VNPAY_TEST["hash_secret"]) -> Delivery:
        result = {**result, "vnp_SecureHash": vnpay_hash(result, secret)}
        return Delivery("GET", "/webhooks/vnpay", {"query_string": result})

    def genuine(self, order, total):
        return self._ipn(self._result(order, total))

    def forged(self, order, total):
        return self._ipn(self._result(order, total), secret="not-the-terminals-secret")

    def wrong_amount(self, order, amount):
        return self._ipn(self._result(order, amount))

    def wrong_account(self, order, total):
        return self._ipn(self._result(order, total, vnp_TmnCode="OTHER001"))  # signed, for another terminal

    def answer(self, outcome):
        words = {
            "paid": ("00", "Confirm Success"),
            "refund_pending": ("00", "Confirm Success"),
            "duplicate": ("02", "Order already confirmed"),
            "wrong_amount": ("04", "invalid amount"),
            "wrong_account": ("99", "Unknow error"),
        }  # fmt: skip  (VNPay's own spelling)
        code, message = words[outcome]
        return 200, {"RspCode": code, "Message": message}

    def refusal(self):
        return 200, {"RspCode": "97", "Message": "Invalid signature"}


class MoMoRail(RailAdapter):
    name = method = "momo"
    stale_not_applicable = "MoMo signs responseTime but documents no window for its IPN; a replay is told by transId"

    def check_start(self, order, total):
        fake, reference = self.fakes["momo"], f"{order['code']}-1"
        assert (order["payment"]["provider"], order["payment"]["reference"]) == ("momo", reference)
        assert order["payment"]["redirect_url"] == f"{fake.url}/pay/{reference}"
        assert (fake.payments[reference]["amount"], fake.payments[reference]["ipnUrl"]) == (
            total, "http://shop.test/webhooks/momo")  # fmt: skip

    def _ipn(self, order, partner_code: str | None = None, forge: bool = False, **changes) -> Delivery:
        fake = self.fakes["momo"]
        payment = {**fake.payments[f"{order['code']}-1"], **changes}
        own = fake.partner_code
        fake.partner_code, fake.forge = partner_code or own, forge
        try:
            body = fake.ipn(payment, 0)
        finally:
            fake.partner_code, fake.forge = own, False
        return Delivery("POST", "/webhooks/momo", {"json": body})

    def genuine(self, order, total):
        return self._ipn(order)

    def forged(self, order, total):
        return self._ipn(order, forge=True)

    def wrong_amount(self, order, amount):
        return self._ipn(order, amount=amount)

    def wrong_account(self, order, total):
        return self._ipn(order, partner_code="MOMOOTHER")  # signed, for another partner

    def answer(self, outcome):
        if outcome == "wrong_account":
            return _error(400, "Malformed MoMo IPN: the IPN is for another partner")
        return 204, ""

    def refusal(self):
        return _error(401, "Invalid MoMo signature: nothing was recorded.")

    def refunds_made(self):
        return len(self.fakes["momo"].refunded_trans_ids)


class ZaloPayRail(RailAdapter):
    name = method = "zalopay"
    stale_not_applicable = (
        "ZaloPay documents no window for its callback (it retries up to 3 times); a replay is told by zp_trans_id"
    )

    def check_start(self, order, total):
        fake = self.fakes["zalopay"]
        created = fake.orders[order["payment"]["reference"]]
        assert order["payment"]["provider"] == "zalopay"
        assert order["payment"]["reference"].endswith("_" + f"{order['code']}-1".replace("-", "_"))
        assert order["payment"]["redirect_url"] == f"{fake.url}/pay?order={created['token']}"
        assert (created["app_id"], created["amount"], created["callback_url"]) == (
            ZALOPAY_TEST["app_id"], str(total), "http://shop.test/webhooks/zalopay")  # fmt: skip

    def _callback(self, order, app_id: str | None = None, key2: str = ZALOPAY_TEST["key2"], **changes) -> Delivery:
        fake = self.fakes["zalopay"]
        created = {**fake.orders[order["payment"]["reference"]], **changes}
        own = fake.app_id
        fake.app_id = app_id or own
        try:
            envelope = fake.callback(created)
        finally:
            fake.app_id = own
        envelope["mac"] = zalopay_hmac(key2, envelope["data"])
        return Delivery("POST", "/webhooks/zalopay", {"json": envelope})

    def genuine(self, order, total):
        return self._callback(order)

    def forged(self, order, total):
        return self._callback(order, key2="not-the-apps-key2")

    def wrong_amount(self, order, amount):
        return self._callback(order, amount=str(amount))

    def wrong_account(self, order, total):
        return self._callback(order, app_id="2553")  # signed, for another app

    def answer(self, outcome):
        words = {"duplicate": (2, "already processed"), "wrong_account": (-1, "invalid data")}
        code, message = words.get(outcome, (1, "success"))
        return 200, {"return_code": code, "return_message": message}

    def refusal(self):
        return 200, {"return_code": -1, "return_message": "mac not equal"}

    def refunds_made(self):
        return len(self.fakes["zalopay"].refunds_made)


ADAPTERS = (StripeRail, SePayRail, CassoRail, VNPayRail, MoMoRail, ZaloPayRail)
