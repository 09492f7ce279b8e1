"""The sync loop: change feed → marketplace → listing state → cursor.

For each changed product the worker decides: create, update (only what changed),
unlist, or nothing; calls the marketplace adapter; then records the listing state
through our API. The cursor is saved only after the results are recorded:

- A page whose products all got a definite result (listed, unlisted, or a listing
  error that retrying cannot fix — no weight, no mapping, refused by the marketplace)
  moves the cursor past the page. Those errors are recorded, the producer sees them,
  and the product comes back through the feed when it is edited.
- A transient failure (still 429 / 5xx / timeouts after the retries) is recorded as a
  listing error too (its synced version left where it was), but the cursor stops just
  before that product, so the next run tries it again; the rest of the page is still
  done (its records then make the next run skip it).
- Stopping (SIGTERM) finishes the product in hand, records it and saves the cursor
  after the last product done.

No duplicate listing: a listing is created only after find-by-SKU found none, and a
create whose answer was lost looks again before anyone retries it.

The worker keeps no memory of its own: each product of the feed carries its listing
records (`listings`), which say the version last dealt with, the external id and what
was pushed. Every worker on every machine reads the same records, so they all decide
alike: a re-run sends nothing, one price change sends one call, a change back to an
earlier value is sent too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from marketplace_sync.client import CatalogueClient
from marketplace_sync.mapping import Listing, NotListable, NotOffered, to_listing
from marketplace_sync.marketplace import Adapter, MarketplaceError, RejectedError, RemoteItem, Sale, TransientError

OUTCOMES = ("created", "updated", "unlisted", "unchanged", "errors")
ORDER_SETTLE_SECONDS = 120


@dataclass
class Summary:
    """What a run did, for the operator."""

    marketplace: str
    created: int = 0
    updated: int = 0
    unlisted: int = 0
    unchanged: int = 0
    errors: int = 0
    not_offered: int = 0  # of the above: recorded as not offered on this marketplace (no category there)
    calls: int = 0
    complete: bool = True  # False: a transient failure or a stop left changes for the next run
    sales_new: int = 0
    sales_repeat: int = 0
    sales_cancelled: int = 0
    messages: list[str] = field(default_factory=list)

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


class _Transient(Exception):
    """A product hit a transient failure; its error is already recorded."""


class SyncWorker:
    """Keeps one marketplace in step with the catalogue's change feed."""

    def __init__(
        self,
        client: CatalogueClient,
        adapter: Adapter,
        *,
        page_size: int = 50,
        stop: threading.Event | None = None,
        on_page: Callable[[list[dict]], None] | None = None,
        on_product: Callable[[dict, str], None] | None = None,
    ):
        self.client, self.adapter = client, adapter
        self.marketplace = adapter.name
        self.page_size = page_size
        self.stop = stop or threading.Event()
        self.on_page, self.on_product = on_page, on_product
        self.now = time.time  # tests move the clock

    # --- the loop ------------------------------------------------------------------

    def run_once(self) -> Summary:
        """Drain the change feed once; return what was done."""
        summary = Summary(self.marketplace)
        calls_before = self.adapter.calls
        cursor = self.client.cursor(self.marketplace)
        try:
            while not self.stop.is_set():
                page = self.client.changes(cursor, self.page_size)
                if self.on_page:
                    self.on_page(page["items"])
                done = self._work_page(page["items"], summary)
                if done < len(page["items"]):
                    summary.complete = False
                    self._save_partial(cursor, page["items"][:done])
                    break
                if page["items"]:
                    cursor = self.client.save_cursor(self.marketplace, page["next_cursor"])
                if not page["has_more"]:
                    break
        finally:
            summary.calls = self.adapter.calls - calls_before
        return summary

    def poll(
        self,
        interval: float,
        *,
        once: bool = False,
        with_orders: bool = False,
        orders_hours: int = 72,
        on_summary: Callable[[Summary], None] | None = None,
    ) -> None:
        """Drain the feed (and import orders) every `interval` seconds until stopped, or once."""
        while True:
            summary = self.run_once()
            if with_orders and not self.stop.is_set():
                self.import_sales(orders_hours, summary)
            if on_summary:
                on_summary(summary)
            if once or self.stop.wait(interval):
                return

    def _work_page(self, items: list[dict], summary: Summary) -> int:
        """Sync every product of the page; return how many lead the page without a transient failure."""
        clean_prefix, transient_seen = 0, False
        for product in items:
            if self.stop.is_set():
                break
            try:
                outcome = self.sync_product(product, summary)
            except _Transient:
                outcome, transient_seen = "errors", True
                summary.complete = False
            summary.count(outcome)
            if not transient_seen:
                clean_prefix += 1
            if self.on_product:
                self.on_product(product, outcome)
        return clean_prefix

    def _save_partial(self, cursor: str, done: list[dict]) -> None:
        """Save the cursor just after `done` (the page's first products), asking the feed for it.

        Cursors are opaque, so the feed is asked for exactly those products again; if the
        feed moved meanwhile (one of them changed), the cursor stays where it was.
        """
        if not done:
            return
        again = self.client.changes(cursor, len(done))
        if [item["id"] for item in again["items"]] == [item["id"] for item in done]:
            self.client.save_cursor(self.marketplace, again["next_cursor"])

    # --- one product -------------------------------------------------------------------

    def sync_product(self, product: dict, summary: Summary) -> str:
        """Bring one product's listing in line; record it; return the outcome."""
        version, listable = product["version"], bool(product["listable"])
        known = (product.get("listings") or {}).get(self.marketplace)
        if _settled(known, version, listable):
            return "unchanged"  # recorded before (a re-run, a resumed page, another worker): no marketplace call
        try:
            if listable:
                listing = to_listing(product, self.marketplace)
                outcome, external_id = self._put_up(listing, known)
                status = "live"
            else:
                listing = None
                outcome, external_id = self._take_down(product["sku"], known)
                status = "delisted"
        except NotOffered as reason:
            return self._not_offered(product, known, reason.reason, summary)
        except NotListable as problem:
            return self._failed(product, known, problem.reason, summary)
        except RejectedError as problem:
            return self._failed(product, known, str(problem), summary)
        except TransientError as problem:
            self._failed(product, known, f"Will retry: {problem}", summary, definite=False)
            raise _Transient from problem
        self.client.record_listing(
            product["id"],
            self.marketplace,
            status=status,
            external_id=external_id,
            synced_version=version,
            pushed=listing.pushed() if listing else None,
        )
        return outcome

    def _failed(self, product: dict, known: dict | None, message: str, summary: Summary, definite=True) -> str:
        # A definite error is recorded at this version: the same version would fail the same way, so it is
        # skipped until the product changes. A transient one keeps the version last dealt with: retried.
        synced_version = product["version"] if definite else (known or {}).get("synced_version")
        self.client.record_listing(
            product["id"],
            self.marketplace,
            status="error",
            external_id=(known or {}).get("external_id"),
            synced_version=synced_version,
            error=message,
        )
        summary.messages.append(f"{product['sku']}: {message}")
        return "errors"

    def _not_offered(self, product: dict, known: dict | None, reason: str, summary: Summary) -> str:
        """The product has no place on this marketplace: take down what may be there, say why."""
        outcome = "unchanged"
        if known and known.get("status") == "live":
            try:
                outcome, _ = self._take_down(product["sku"], known)
            except RejectedError as problem:
                return self._failed(product, known, str(problem), summary)
            except TransientError as problem:
                self._failed(product, known, f"Will retry: {problem}", summary, definite=False)
                raise _Transient from problem
        self.client.record_listing(
            product["id"],
            self.marketplace,
            status="not_offered",
            external_id=(known or {}).get("external_id"),
            synced_version=product["version"],
            error=reason,
            pushed=None,
        )
        summary.not_offered += 1
        return outcome

    def _put_up(self, listing: Listing, known: dict | None) -> tuple[str, str]:
        pushed = (known or {}).get("pushed")
        if known and known.get("status") == "live" and known.get("external_id") and pushed:
            try:
                return self._push_changes(known["external_id"], listing, pushed), known["external_id"]
            except RejectedError:
                pass  # e.g. deleted on the marketplace by hand: ask it
        remote = self.adapter.find_by_sku(listing.sku)
        if remote is None:
            return "created", self.adapter.create(listing)
        external_id = remote.external_id
        relisted = False
        if not remote.listed:
            external_id = self.adapter.relist(external_id, listing) or external_id
            relisted = True
        pushed = self._push_changes(external_id, listing, _remote_entry(remote, listing))
        return ("updated" if relisted else pushed), external_id

    def _push_changes(self, external_id: str, listing: Listing, known: dict) -> str:
        """Send only what differs from what the marketplace is known to hold."""
        content = known.get("content") != listing.content_key()
        price, stock = known.get("price_vnd") != listing.price_vnd, known.get("stock") != listing.stock
        if content:
            self.adapter.update(external_id, listing)
        if price or stock:
            self.adapter.update_price_stock(external_id, listing, price=price, stock=stock)
        return "updated" if content or price or stock else "unchanged"

    def _take_down(self, sku: str, known: dict | None) -> tuple[str, str | None]:
        if known and known.get("status") == "delisted":
            return "unchanged", known.get("external_id")
        if known and known.get("status") == "live" and known.get("external_id"):
            try:
                self.adapter.unlist(known["external_id"], sku)
                return "unlisted", known["external_id"]
            except RejectedError:
                pass
        remote = self.adapter.find_by_sku(sku)
        if remote is None:
            return "unchanged", None
        if remote.listed:
            self.adapter.unlist(remote.external_id, sku)
            return "unlisted", remote.external_id
        return "unchanged", remote.external_id

    # --- marketplace sales --------------------------------------------------------------

    def import_sales(self, hours: int = 72, summary: Summary | None = None) -> Summary:
        """Report the orders changed since the server's order cursor (the last `hours` the first time).

        Sales take our stock and cancellations give it back, once each however often
        reported; the cursor moves only after every order of the run was recorded.
        """
        summary = summary or Summary(self.marketplace)
        calls_before = self.adapter.calls
        until = int(self.now())
        saved = self.client.orders_cursor(self.marketplace)
        since = saved if saved is not None else until - hours * 3600
        try:
            for sale in self.adapter.order_changes(since, until):
                self.report_sale(sale, summary)
        except MarketplaceError as problem:
            summary.complete = False
            summary.messages.append(f"orders: {problem}")
        else:
            # Orders updated in the last moments may not be searchable yet: look at them again next time.
            self.client.save_orders_cursor(self.marketplace, max(since, until - ORDER_SETTLE_SECONDS))
        finally:
            summary.calls += self.adapter.calls - calls_before
        return summary

    def report_sale(self, sale: Sale, summary: Summary) -> None:
        """One marketplace order to our API: a sale (stock taken once) or a cancellation (given back once)."""
        if sale.cancelled:
            self.client.cancel_sale(self.marketplace, sale.external_order_id, sale.lines)
            summary.sales_cancelled += 1
            return
        _, created = self.client.record_sale(self.marketplace, sale.external_order_id, sale.lines)
        if created:
            summary.sales_new += 1
        else:
            summary.sales_repeat += 1


def _settled(known: dict | None, version: int, listable: bool) -> bool:
    """The listing record says this version was dealt with, in the state it asks for."""
    if not known or known.get("synced_version") != version:
        return False
    status = known.get("status")
    return status == "error" or (status in ("live", "not_offered") if listable else status == "delisted")


def _remote_entry(remote: RemoteItem, listing: Listing) -> dict:
    """What the marketplace holds, in the listing record's terms (content matches when the fields it shows do)."""
    shown = remote.fields
    same_content = (
        shown.get("name") == listing.name
        and shown.get("description") == listing.description
        and str(shown.get("category_id")) == str(listing.category_id)
        and abs(float(shown.get("weight_kg") or 0) - listing.weight_kg) < 0.0005
    )
    return {
        "price_vnd": remote.price_vnd,
        "stock": remote.stock,
        "content": listing.content_key() if same_content else None,
    }
