"""One call to a payment provider: explicit timeouts, retries on a 5xx or a dropped connection, a JSON object back.

Every rail that talks to its provider (MoMo, VNPay's refund API, ZaloPay) posts through here, so
the rule is written once: a request the provider makes idempotent (MoMo's requestId, VNPay's
vnp_RequestId, ZaloPay's m_refund_id) may be sent again after a 5xx, a timeout or a refused
connection; anything else, or an answer that is not a JSON object, is `ProviderUnavailable`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import requests
from tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential

from catalogue.payments.port import ProviderUnavailable

log = logging.getLogger(__name__)


class _Retryable(Exception):
    """A 5xx: the same request may be sent again."""


def _worth_retrying(error: BaseException) -> bool:
    return isinstance(error, requests.ConnectionError | requests.Timeout | _Retryable)


def post_for_json(
    session: requests.Session,
    url: str,
    *,
    provider: str,
    timeout: float | tuple[float, float],
    attempts: int,
    json: Mapping[str, object] | None = None,
    form: Mapping[str, object] | None = None,
) -> dict:
    """POST `json` (or `form`) to `url`; the provider's JSON object, or ProviderUnavailable naming `provider`."""

    @retry(
        retry=retry_if_exception(_worth_retrying),
        stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=0.2, max=2),
        reraise=True,
    )
    def send() -> dict:
        response = session.post(url, json=json, data=dict(form) if form is not None else None, timeout=timeout)
        if response.status_code >= 500:
            raise _Retryable(f"HTTP {response.status_code}")
        answer = response.json()
        if not isinstance(answer, dict):
            raise ValueError(f"{provider}'s answer is not a JSON object")
        return answer

    try:
        return send()
    except (requests.RequestException, _Retryable, ValueError) as error:
        log.warning("%s %s failed: %s", provider, url, error)
        raise ProviderUnavailable(f"{provider} could not be reached: {error}") from error
