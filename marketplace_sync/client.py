"""The sync worker's client of our own API (`/api/v1`, a token with the `sync` scope) — its only way in."""

from __future__ import annotations

from urllib.parse import quote

import requests
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential


class CatalogueUnavailable(Exception):
    """Our API kept failing (5xx, 429, timeouts) after the retries."""


class CatalogueRefused(Exception):
    """Our API refused a request (4xx other than 429): a bug or a bad token, not worth retrying."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class _Retry(Exception):
    pass


KEEP = object()  # `pushed` not sent: the record keeps what was last pushed


class CatalogueClient:
    """Change feed, cursors, listing state and marketplace sales, over HTTP with retries."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: tuple[float, float] = (3.05, 30.0),
        attempts: int = 5,
        backoff_base: float = 0.5,
        session: requests.Session | None = None,
    ):
        self.api = base_url.rstrip("/") + "/api/v1"
        self.timeout, self.attempts, self.backoff_base = timeout, attempts, backoff_base
        self.session = session or requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def _request(self, method: str, path: str, **kwargs) -> requests.Response:
        retrying = Retrying(
            retry=retry_if_exception_type(_Retry),
            stop=stop_after_attempt(self.attempts),
            wait=wait_random_exponential(multiplier=self.backoff_base, max=30),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    try:
                        response = self.session.request(method, self.api + path, timeout=self.timeout, **kwargs)
                    except (requests.Timeout, requests.ConnectionError) as error:
                        raise _Retry(f"{method} {path}: {type(error).__name__}") from error
                    if response.status_code == 429 or response.status_code >= 500:
                        raise _Retry(f"{method} {path}: HTTP {response.status_code}")
        except _Retry as error:
            raise CatalogueUnavailable(str(error)) from error
        if response.status_code >= 400:
            raise CatalogueRefused(
                f"{method} {path}: HTTP {response.status_code}: {response.text[:300]}", response.status_code
            )
        return response

    def changes(self, since: str, limit: int) -> dict:
        """A page of the change feed after `since`: {"items", "next_cursor", "has_more"}."""
        params = {"limit": limit, **({"since": since} if since else {})}
        return self._request("GET", "/sync/changes", params=params).json()

    def cursor(self, marketplace: str) -> str:
        return self._request("GET", f"/sync/cursors/{marketplace}").json()["cursor"]

    def save_cursor(self, marketplace: str, cursor: str) -> str:
        return self._request("PUT", f"/sync/cursors/{marketplace}", json={"cursor": cursor}).json()["cursor"]

    def record_listing(
        self,
        product_id: int,
        marketplace: str,
        *,
        status: str,
        external_id: str | None = None,
        synced_version: int | None = None,
        error: str | None = None,
        pushed: dict | None = KEEP,
    ) -> dict:
        """Record a product's listing on the marketplace: the memory every worker decides from."""
        body = {
            "external_id": external_id,
            "status": status,
            "synced_version": synced_version,
            "error": error[:2000] if error else None,
        }
        if pushed is not KEEP:
            body["pushed"] = pushed
        return self._request("PUT", f"/products/{product_id}/listings/{marketplace}", json=body).json()

    def record_sale(self, marketplace: str, external_order_id: str, lines: list[dict]) -> tuple[dict, bool]:
        """Report a marketplace sale; (sale, created) — created is False when it was already recorded."""
        body = {"external_order_id": external_order_id, "lines": lines}
        response = self._request("POST", f"/marketplaces/{marketplace}/orders", json=body)
        return response.json(), response.status_code == 201

    def cancel_sale(self, marketplace: str, external_order_id: str, lines: list[dict]) -> dict:
        """Report a cancelled marketplace order: the stock its sale took comes back, once."""
        path = f"/marketplaces/{marketplace}/orders/{quote(external_order_id, safe='')}/cancel"
        return self._request("POST", path, json={"lines": lines}).json()

    def orders_cursor(self, marketplace: str) -> int | None:
        """Unix time before which every order update was reported (None: never imported)."""
        return self._request("GET", f"/sync/cursors/{marketplace}/orders").json()["updated_after"]

    def save_orders_cursor(self, marketplace: str, updated_after: int) -> int:
        body = {"updated_after": updated_after}
        return self._request("PUT", f"/sync/cursors/{marketplace}/orders", json=body).json()["updated_after"]
