"""A fake Stripe on 127.0.0.1 that speaks Stripe's API (v1, form-encoded) to the real `stripe` SDK.

Written from Stripe's API reference, for what localstripe cannot do: localstripe ignores
`Idempotency-Key`, refunds more than a charge still holds, answers every refund `succeeded` and sends
no refund events. Here:

- every call needs `Authorization: Bearer <secret key>` (401 otherwise) and a `Stripe-Version`;
- `POST /v1/payment_intents` (amount, currency, metadata), `GET /v1/payment_intents/<id>`,
  `POST /v1/payment_intents/<id>/cancel`; `pay(intent)` plays the buyer's card: the intent succeeds,
  a charge is made and a signed `payment_intent.succeeded` is posted to `webhook_url`;
- `POST /v1/refunds` (payment_intent, amount in whole dong: VND is zero-decimal, metadata) refunds at most
  what the charge still holds (else 400 `amount_too_large`, or `charge_already_refunded`);
  `GET /v1/refunds?payment_intent=` lists them, newest first;
- an `Idempotency-Key` seen before answers its first answer, status and body, a 500 too; seen with other
  parameters it is 400 `idempotency_error`, as Stripe keeps keys;
- each refund queues `refund.created` and, once it succeeded, `charge.refunded` (the charge's
  `amount_refunded` and `refunded`); `settle(refund)` and `fail(refund)` move a refund on and queue
  `refund.updated` / `refund.failed`. Queued events are posted, signed with the endpoint's secret,
  when a test calls `deliver()` (in any order it likes), or before the API answers (`events_first`).

Faults: `refund_status` (`succeeded`, `pending`, `failed`: what a new refund is), `lose_next_answers`
(the refund is made, the answer is a 500 with `Stripe-Should-Retry: false`, kept for its key).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from urllib.parse import parse_qsl

import requests
from werkzeug.wrappers import Request, Response

from tests.fakes import WEBHOOK_SECRET
from tests.live import ServedFake

STRIPE_TEST = {"secret_key": "sk_test_fake_stripe_51QN", "publishable_key": "pk_test_fake_stripe_51QN"}


def stripe_signature(body: bytes, secret: str, timestamp: int) -> str:
    """`Stripe-Signature` as Stripe computes it: t=…,v1=HMAC-SHA256(secret, "t.body"), written apart from the SDK."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _form(body: str) -> dict:
    """Stripe's form encoding, `metadata[order_code]=…`, `payment_method_types[0]=card`, as nested values."""
    values: dict = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        name, _, rest = key.partition("[")
        if rest:
            values.setdefault(name, {})[rest.rstrip("]")] = value
        else:
            values[name] = value
    return values


def _answer(status: int, body: dict, headers: dict | None = None) -> tuple[int, dict, dict]:
    return status, body, {"Request-Id": f"req_{time.monotonic_ns()}", **(headers or {})}


def _error(status: int, kind: str, message: str, code: str = "", param: str = "") -> tuple[int, dict, dict]:
    error = {"type": kind, "message": message}
    error.update({name: value for name, value in (("code", code), ("param", param)) if value})
    return _answer(status, {"error": error})


class FakeStripe(ServedFake):
    """One Stripe account: its PaymentIntents, charges and refunds, and one webhook endpoint."""

    def __init__(self, secret_key: str = STRIPE_TEST["secret_key"], webhook_secret: str = WEBHOOK_SECRET):
        self.secret_key, self.webhook_secret = secret_key, webhook_secret
        self.webhook_url = ""
        self.lock = threading.RLock()
        self.ids = itertools.count(1)
        self.intents: dict[str, dict] = {}
        self.charges: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}  # by id, in the order made
        self.idempotent: dict[str, tuple[str, tuple[int, dict, dict]]] = {}  # key → (request, its first answer)
        self.refund_creates: list[dict] = []  # every POST /v1/refunds that reached the fake, with its key
        self.queued: list[dict] = []  # events made, not delivered yet
        self.answers: list[tuple[str, int, dict]] = []  # (event type, status, body) the shop answered
        self.refund_status = "succeeded"
        self.events_first = False
        self.lose_next_answers = 0
        self._serve()

    def _id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self.ids):06d}"

    # --- HTTP ------------------------------------------------------------------------------------

    def wsgi(self, environ, start_response):
        request = Request(environ)
        status, body, headers = self.handle(request)
        response = Response(json.dumps(body), status=status, headers=headers, content_type="application/json")
        return response(environ, start_response)

    def handle(self, request: Request) -> tuple[int, dict, dict]:
        if request.headers.get("Authorization", "") != f"Bearer {self.secret_key}":
            return _error(401, "invalid_request_error", "Invalid API Key provided.")
        if not request.headers.get("Stripe-Version"):
            return _error(400, "invalid_request_error", "No Stripe-Version header.")
        params = _form(request.get_data(as_text=True)) if request.method == "POST" else dict(request.args)
        key = request.headers.get("Idempotency-Key", "") if request.method == "POST" else ""
        parts = request.path.strip("/").split("/")
        with self.lock:
            if key:
                fingerprint = json.dumps([request.path, params], sort_keys=True)
                seen = self.idempotent.get(key)
                if seen is not None:
                    if seen[0] != fingerprint:
                        return _error(400, "idempotency_error", "Keys for idempotent requests can only be used "
                                      "with the same parameters they were first used with.")  # fmt: skip
                    return seen[1]
            answer, events = self._route(request.method, parts, params, key)
            if key:
                self.idempotent[key] = (fingerprint, answer)
        if events and self.events_first:
            self.deliver(events)
        return answer

    def _route(self, method: str, parts: list[str], params: dict, key: str) -> tuple[tuple[int, dict, dict], list]:
        if parts[:2] == ["v1", "payment_intents"]:
            if method == "POST" and len(parts) == 2:
                return self._create_intent(params), []
            intent = self.intents.get(parts[2]) if len(parts) > 2 else None
            if intent is None:
                return _error(404, "invalid_request_error", "No such payment_intent.", "resource_missing"), []
            if method == "POST" and parts[3:] == ["cancel"]:
                intent["status"] = "canceled"
            return _answer(200, intent), []
        if parts == ["v1", "refunds"]:
            if method == "GET":
                return self._list_refunds(params), []
            return self._create_refund(params, key)
        return _error(404, "invalid_request_error", "Unrecognized request URL."), []

    # --- PaymentIntents and the buyer's card ------------------------------------------------------

    def _create_intent(self, params: dict) -> tuple[int, dict, dict]:
        if not str(params.get("amount", "")).isdigit() or params.get("currency") != "vnd":
            return _error(400, "invalid_request_error", "Invalid amount or currency.", param="amount")
        intent_id = self._id("pi")
        intent = {
            "id": intent_id, "object": "payment_intent", "amount": int(params["amount"]), "amount_received": 0,
            "currency": "vnd", "status": "requires_payment_method", "client_secret": f"{intent_id}_secret_x",
            "metadata": params.get("metadata", {}), "latest_charge": None,
        }  # fmt: skip
        self.intents[intent_id] = intent
        return _answer(200, intent)

    def pay(self, intent_id: str) -> int:
        """The buyer's card pays the PaymentIntent: a charge, and the signed payment_intent.succeeded; our answer."""
        with self.lock:
            intent = self.intents[intent_id]
            charge_id = self._id("ch")
            self.charges[charge_id] = {
                "id": charge_id, "object": "charge", "amount": intent["amount"], "amount_refunded": 0,
                "refunded": False, "currency": "vnd", "payment_intent": intent_id, "status": "succeeded",
                "metadata": intent["metadata"],
            }  # fmt: skip
            intent.update(status="succeeded", amount_received=intent["amount"], latest_charge=charge_id)
            event = self._event("payment_intent.succeeded", intent)
        return self.deliver([event])[0]

    # --- refunds ----------------------------------------------------------------------------------

    def _create_refund(self, params: dict, key: str) -> tuple[tuple[int, dict, dict], list]:
        self.refund_creates.append({**params, "idempotency_key": key})
        intent = self.intents.get(str(params.get("payment_intent", "")))
        charge = self.charges.get(intent["latest_charge"] or "") if intent else None
        if charge is None:
            return _error(400, "invalid_request_error", "This PaymentIntent has no charge to refund.",
                          "charge_not_refundable", "payment_intent"), []  # fmt: skip
        holds = charge["amount"] - charge["amount_refunded"]
        amount = params.get("amount", str(holds))
        if not amount.isdigit() or int(amount) < 1:
            return _error(400, "invalid_request_error", "Invalid integer: amount.", param="amount"), []
        if holds <= 0:
            return _error(400, "invalid_request_error", f"Charge {charge['id']} has already been refunded.",
                          "charge_already_refunded"), []  # fmt: skip
        if int(amount) > holds:
            return _error(400, "invalid_request_error", f"Refund amount (₫{amount}) is greater than unrefunded "
                          f"amount on charge (₫{holds})", "amount_too_large", "amount"), []  # fmt: skip
        refund = {
            "id": self._id("re"), "object": "refund", "amount": int(amount), "currency": "vnd",
            "payment_intent": intent["id"], "charge": charge["id"], "metadata": params.get("metadata", {}),
            "status": self.refund_status, "failure_reason": None, "created": int(time.time()),
        }  # fmt: skip
        if refund["status"] == "failed":
            refund["failure_reason"] = "expired_or_canceled_card"
        self.refunds[refund["id"]] = refund
        events = [self._event("refund.created", refund)]
        if refund["status"] == "succeeded":
            events.append(self._refunded(charge, refund["amount"]))
        self.queued.extend(events)
        if self.lose_next_answers:  # made, but the shop hears a 500 (and so does a retry under the same key)
            self.lose_next_answers -= 1
            status, body, headers = _error(500, "api_error", "An unknown error occurred.")
            return (status, body, {**headers, "Stripe-Should-Retry": "false"}), events
        return _answer(200, refund), events

    def _refunded(self, charge: dict, amount: int) -> dict:
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        return self._event("charge.refunded", charge)

    def _list_refunds(self, params: dict) -> tuple[int, dict, dict]:
        mine = [refund for refund in self.refunds.values() if refund["payment_intent"] == params.get("payment_intent")]
        data = list(reversed(mine))[: int(params.get("limit", 10))]
        return _answer(200, {"object": "list", "data": data, "has_more": False, "url": "/v1/refunds"})

    def refund_outside(self, intent_id: str, amount: int) -> dict:
        """A refund made in Stripe's dashboard (no metadata from the shop); its events are queued."""
        with self.lock:
            status, refund, _ = self._create_refund({"payment_intent": intent_id, "amount": str(amount)}, "")[0]
        assert status == 200, refund
        return refund

    def settle(self, refund_id: str) -> None:
        """A pending refund goes through: refund.updated and the charge's new total are queued."""
        with self.lock:
            refund = self.refunds[refund_id]
            refund["status"] = "succeeded"
            self.queued.extend([self._event("refund.updated", refund),
                                self._refunded(self.charges[refund["charge"]], refund["amount"])])  # fmt: skip

    def fail(self, refund_id: str, reason: str = "expired_or_canceled_card") -> None:
        """The refund fails (the card was closed), even after it succeeded: the money is back with the shop."""
        with self.lock:
            refund = self.refunds[refund_id]
            if refund["status"] == "succeeded":
                charge = self.charges[refund["charge"]]
                charge["amount_refunded"] -= refund["amount"]
                charge["refunded"] = False
            refund.update(status="failed", failure_reason=reason)
            self.queued.append(self._event("refund.failed", refund))

    # --- events -----------------------------------------------------------------------------------

    def _event(self, kind: str, obj: dict) -> dict:
        return {"id": self._id("evt"), "object": "event", "type": kind, "api_version": "2024-06-20",
                "created": int(time.time()), "data": {"object": json.loads(json.dumps(obj))}}  # fmt: skip

    def deliver(self, events: list[dict] | None = None) -> list[int]:
        """Post events (the queued ones, oldest first, by default) to the endpoint, signed; the statuses."""
        with self.lock:
            if events is None:
                events, self.queued = self.queued, []
            else:
                self.queued = [event for event in self.queued if event not in events]
        statuses = []
        for event in events:
            body = json.dumps(event).encode()
            signature = stripe_signature(body, self.webhook_secret, int(time.time()))
            headers = {"Stripe-Signature": signature, "Content-Type": "application/json"}
            answer = requests.post(self.webhook_url, data=body, headers=headers, timeout=30)
            answered = answer.json() if answer.headers.get("Content-Type", "").startswith("application/json") else {}
            with self.lock:
                self.answers.append((event["type"], answer.status_code, answered))
            statuses.append(answer.status_code)
        return statuses

    def made(self) -> list[dict]:
        """The refunds the account made (any status), oldest first."""
        with self.lock:
            return [dict(refund) for refund in self.refunds.values()]
