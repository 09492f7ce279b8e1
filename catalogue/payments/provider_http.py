"""One call to a payment provider: explicit timeouts, retries on a 5xx or a dropped connection, a JSON object back.

Every rail that talks to its provider (MoMo, VNPay's refund API, ZaloPay) posts through here, so
the rule is written once: a request the provider makes idempotent (MoMo's requestId, VNPay's
vnp_RequestId, ZaloPay's m_refund_id) may be sent again after a 5xx, a timeout or a refused
connection; anything else, or an answer that is not a JSON object, is `ProviderUnavailable`.
The retrying itself is the shop's one HTTP client (catalogue.http_client), shared with the carriers.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import requests

from catalogue.http_client import Unreachable, send
from catalogue.payments.port import ProviderUnavailable

log = logging.getLogger(__name__)


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
    try:
        response = send(
            session, "POST", url, service=provider, timeout=timeout, attempts=attempts,
            json=json, data=dict(form) if form is not None else None,
        )  # fmt: skip
        answer = response.json()
        if not isinstance(answer, dict):
            raise ValueError(f"{provider}'s answer is not a JSON object")
        return answer
    except (Unreachable, requests.RequestException, ValueError) as error:
        log.warning("%s %s failed: %s", provider, url, error)
        raise ProviderUnavailable(f"{provider} could not be reached: {error}") from error
