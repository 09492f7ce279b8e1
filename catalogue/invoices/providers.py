"""Licensed e-invoice providers (VNPT, Viettel S-Invoice, MISA meInvoice …) behind one small interface.

`HttpInvoiceProvider` speaks a provider's REST API the way they all shape it: the signed XML
(base64) with our key for the invoice, HTTP Basic credentials of the seller's account, and an
HMAC-SHA256 of the body in `X-Signature` with the account's secret. A provider answers the
lookup code (mã tra cứu) and, for invoices with the authority's code, the tax authority's
code. Every call has (connect, read) timeouts and is retried on timeouts, connection errors
and 5xx with backoff (tenacity); the invoice key makes a retried submission land once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Protocol

import requests
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from catalogue.invoices.models import PROVIDERS

# How the office names each provider (its brand); "none" is a producer whose provider is not chosen yet.
PROVIDER_NAMES = {"none": "Chưa chọn", "vnpt": "VNPT", "viettel": "Viettel S-Invoice", "misa": "MISA meInvoice"}
# An invoice's status as the office and its accountants read it (the page and the CSV).
INVOICE_STATUS_NAMES = {"queued": "Chờ gửi", "sent": "Đã gửi", "rejected": "Bị từ chối"}


class ProviderUnavailable(Exception):
    """The provider did not answer in time, or answered 5xx / refused our credentials: try again later."""


class ProviderRejected(Exception):
    """The provider refused the invoice itself (the reason it gives); resending it unchanged will not help."""


@dataclass(frozen=True)
class Submission:
    """What is sent: our invoice key, the seller's tax code and the signed XML."""

    key: str
    seller_tax_code: str
    xml: bytes


@dataclass(frozen=True)
class Receipt:
    """What the provider gives back."""

    lookup_code: str
    authority_code: str = ""


class InvoiceProvider(Protocol):
    """The port every provider adapter (and the tests' fake) implements."""

    name: str

    def submit(self, submission: Submission) -> Receipt: ...


def body_signature(secret: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of the request body with the account's secret."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class _Retryable(Exception):
    pass


@dataclass
class HttpInvoiceProvider:
    """A provider's REST API (see module doc)."""

    name: str
    base_url: str
    username: str
    secret: str
    connect_timeout: float = 3.05
    read_timeout: float = 15.0
    attempts: int = 3
    backoff_seconds: float = 0.5

    def submit(self, submission: Submission) -> Receipt:
        """Send the invoice; a Receipt, or ProviderRejected / ProviderUnavailable."""
        body = json.dumps(
            {"key": submission.key, "seller_tax_code": submission.seller_tax_code,
             "xml": base64.b64encode(submission.xml).decode()}
        ).encode()  # fmt: skip
        headers = {"Content-Type": "application/json", "X-Signature": body_signature(self.secret, body)}
        try:
            for attempt in Retrying(
                stop=stop_after_attempt(self.attempts),
                wait=wait_exponential(multiplier=self.backoff_seconds, max=10),
                retry=retry_if_exception_type(_Retryable),
                reraise=True,
            ):
                with attempt:
                    return self._post(body, headers)
        except _Retryable as error:
            raise ProviderUnavailable(str(error)) from error
        raise ProviderUnavailable("no attempt made")  # pragma: no cover - Retrying always attempts once

    def _post(self, body: bytes, headers: dict) -> Receipt:
        try:
            response = requests.post(
                f"{self.base_url.rstrip('/')}/invoices", data=body, headers=headers,
                auth=(self.username, self.secret), timeout=(self.connect_timeout, self.read_timeout),
            )  # fmt: skip
        except (requests.Timeout, requests.ConnectionError) as error:
            raise _Retryable(f"{self.name}: {type(error).__name__}") from error
        if response.status_code >= 500:
            raise _Retryable(f"{self.name}: HTTP {response.status_code}")
        if response.status_code in (401, 403):
            raise ProviderUnavailable(f"{self.name} refused our credentials (HTTP {response.status_code})")
        try:
            answer = response.json()
        except ValueError as error:
            raise _Retryable(f"{self.name}: answer is not JSON") from error
        if response.status_code >= 400:
            raise ProviderRejected(str(answer.get("message") or f"HTTP {response.status_code}")[:400])
        return Receipt(str(answer.get("lookup_code", "")), str(answer.get("authority_code") or ""))


def provider_for(config, name: str) -> InvoiceProvider | None:
    """The configured adapter of `name` (INVOICE_<NAME>_URL, _USERNAME, _SECRET), or None when not set up."""
    overrides = config.get("INVOICE_PROVIDER_ADAPTERS") or {}
    if name in overrides:
        return overrides[name]
    if name not in PROVIDERS or name == "none":
        return None
    prefix = f"INVOICE_{name.upper()}_"
    url, username, secret = (config.get(prefix + field) for field in ("URL", "USERNAME", "SECRET"))
    if not (url and username and secret):
        return None
    return HttpInvoiceProvider(
        name=name, base_url=url, username=username, secret=secret,
        connect_timeout=config["INVOICE_CONNECT_TIMEOUT"], read_timeout=config["INVOICE_READ_TIMEOUT"],
        attempts=config["INVOICE_SEND_ATTEMPTS"], backoff_seconds=config.get("INVOICE_BACKOFF_SECONDS", 0.5),
    )  # fmt: skip
