"""One call to an outside company's API: explicit timeouts, retries with backoff on what may pass.

Payment providers (catalogue.payments.provider_http) and carriers (catalogue.carriers) send
through here, so the rule is written once: a dropped connection, a timeout, or an answer in
`retry_statuses` (5xx; 429 for APIs that rate-limit) is sent again after an exponential wait,
up to `attempts` times; then `Unreachable`. Any other answer comes back to the caller, which
reads it in its own provider's terms. Only requests the provider makes idempotent (a request
id, a client order code) may go through here with more than one attempt.
"""

from __future__ import annotations

import logging

import requests
from tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential

log = logging.getLogger(__name__)

SERVER_ERRORS = tuple(range(500, 600))
BUSY_OR_SERVER_ERRORS = (429, *SERVER_ERRORS)


class Unreachable(Exception):
    """No usable answer after every attempt: a timeout, a refused connection, or a 429/5xx each time."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class _Retryable(Exception):
    def __init__(self, response: requests.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def _worth_retrying(error: BaseException) -> bool:
    return isinstance(error, requests.ConnectionError | requests.Timeout | _Retryable)


def send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    service: str,
    timeout: float | tuple[float, float],
    attempts: int,
    retry_statuses: tuple[int, ...] = SERVER_ERRORS,
    backoff: float = 0.2,
    max_wait: float = 2.0,
    **kwargs,
) -> requests.Response:
    """Send `method url` (requests' json, data, params, headers); the answer, or Unreachable naming `service`."""

    @retry(
        retry=retry_if_exception(_worth_retrying),
        stop=stop_after_attempt(max(1, attempts)),
        wait=wait_exponential(multiplier=backoff, max=max_wait),
        reraise=True,
    )
    def once() -> requests.Response:
        response = session.request(method, url, timeout=timeout, **kwargs)
        if response.status_code in retry_statuses:
            raise _Retryable(response)
        return response

    try:
        return once()
    except _Retryable as error:
        log.warning("%s %s %s answered %s after %s attempts", service, method, url, error, attempts)
        raise Unreachable(f"{service} answered {error}", error.response.status_code) from error
    except requests.RequestException as error:
        log.warning("%s %s %s failed: %s", service, method, url, error)
        raise Unreachable(f"{service} could not be reached: {error}") from error
