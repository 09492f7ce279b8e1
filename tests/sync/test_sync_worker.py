"""The sync worker end to end: our app served live, the worker calling it and the fake marketplaces.

SQLite only: the server side of sync is tested on both databases in test_sync_api.py.
"""

from __future__ import annotations

import pytest
import requests

from tests.sync.sync_fixtures import (  # noqa: F401 - the *_fixture names register fixtures
    lazada_adapter,
    lazada_fixture,
    shop_fixture,
    shopee_adapter,
    shopee_fixture,
    worker,
)

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])


def _both(shopee, lazada):
    return [(shopee, shopee_adapter(shopee)), (lazada, lazada_adapter(lazada))]


def test_full_sync_lists_each_listable_product_once_and_records_why_others_are_not(shop, shopee, lazada):
    for fake, adapter in _both(shopee, lazada):
        summary = worker(shop, adapter).run_once()

        assert fake.skus() == {sku: 1 for _, sku in shop.listable}
        assert (summary.created, summary.errors, summary.complete) == (5, 1, True)
    product_id, sku = shop.listable[0]
    listings = shop.listings(product_id)
    assert {name: listing["status"] for name, listing in listings.items()} == {"shopee": "live", "lazada": "live"}
    assert listings["shopee"]["external_id"] == str(shopee.by_sku(sku)["item_id"])
    assert listings["lazada"]["external_id"] == str(lazada.by_sku(sku)["item_id"])
    assert shopee.by_sku(sku)["price"] == 85000 and lazada.by_sku(sku)["stock"] == 10
    weightless = shop.listings(shop.no_weight[0])
    assert weightless["shopee"]["status"] == "error" and "weight" in weightless["shopee"]["error"]
    assert shop.listings(shop.archived[0])["lazada"]["status"] == "delisted"


def test_a_price_change_reaches_both_in_one_run_with_one_call_each_and_a_rerun_makes_none(shop, shopee, lazada):
    workers = [(fake, worker(shop, adapter)) for fake, adapter in _both(shopee, lazada)]
    for _, each in workers:
        each.run_once()
    product_id, sku = shop.listable[2]
    etag = shop.api("GET", f"/products/{product_id}").headers["ETag"]
    patched = shop.api("PATCH", f"/products/{product_id}", json={"price_vnd": 99000}, headers={"If-Match": etag})
    assert patched.status_code == 200, patched.text

    for fake, each in workers:
        fake.reset_log()
        summary = each.run_once()
        assert (summary.updated, summary.calls) == (1, 1)
        assert fake.by_sku(sku)["price"] == 99000
    assert shopee.served() == ["/api/v2/product/update_price"]
    assert lazada.served() == ["/rest/product/price_quantity/update"]
    listings = shop.listings(product_id)
    version = shop.api("GET", f"/products/{product_id}").json()["version"]
    assert {listing["synced_version"] for listing in listings.values()} == {version}

    for fake, each in workers:
        fake.reset_log()
        assert each.run_once().calls == 0
        assert fake.calls == []


@pytest.mark.slow
def test_under_30_percent_faults_runs_converge_with_no_duplicates(shop, shopee, lazada):
    for fake, adapter in _both(shopee, lazada):
        fake.fault_rate = 0.3
        each = worker(shop, adapter, page_size=3)
        for _ in range(12):
            if each.run_once().complete:
                break
        fake.fault_rate = 0.0

        assert fake.skus() == {sku: 1 for _, sku in shop.listable}
        assert any(what.startswith("fault-timeout") for _, what in fake.calls)  # the worst case did happen
        for product_id, _ in shop.listable:
            assert shop.listings(product_id)[adapter.name]["status"] == "live"
        fake.reset_log()
        assert each.run_once().calls == 0


class Crash(BaseException):
    """The worker process dies (nothing in the worker catches a BaseException)."""


class DyingSession(requests.Session):
    """Sends `survive` requests, then dies right after the next one reached the marketplace."""

    def __init__(self, survive: int):
        super().__init__()
        self.left = survive

    def request(self, *args, **kwargs):
        response = super().request(*args, **kwargs)
        self.left -= 1
        if self.left < 0:
            raise Crash
        return response


def test_a_worker_killed_between_create_and_record_resumes_without_duplicates(shop, shopee, lazada):
    for fake, make in ((shopee, shopee_adapter), (lazada, lazada_adapter)):
        # Shopee: search, upload, add_item → dies after creating the second product.
        dying = worker(shop, make(fake, session=DyingSession(5)))
        with pytest.raises(Crash):
            dying.run_once()
        assert sum(fake.skus().values()) == 2

        resumed = worker(shop, make(fake))
        summary = resumed.run_once()

        assert summary.complete and fake.skus() == {sku: 1 for _, sku in shop.listable}
        for product_id, _ in shop.listable:
            assert shop.listings(product_id)[fake_name(fake)]["status"] == "live"


def fake_name(fake) -> str:
    return "shopee" if "Shopee" in type(fake).__name__ else "lazada"


def test_archived_products_are_unlisted(shop, shopee, lazada):
    workers = [(fake, worker(shop, adapter)) for fake, adapter in _both(shopee, lazada)]
    for _, each in workers:
        each.run_once()
    product_id, sku = shop.listable[0]
    assert shop.api("DELETE", f"/products/{product_id}").status_code == 200  # archived, answered with the product

    for _, each in workers:
        assert each.run_once().unlisted == 1

    assert shopee.by_sku(sku)["status"] == "UNLIST"
    assert sku not in lazada.skus()  # /product/remove deletes
    assert {listing["status"] for listing in shop.listings(product_id).values()} == {"delisted"}


def test_a_marketplace_sale_takes_our_stock_once(shop, shopee, lazada):
    (_, first_sku), (second_id, second_sku) = shop.listable[0], shop.listable[1]
    shopee.add_order("2611210001ABCD", [(second_sku, 2)])
    lazada.add_order(5501, [(second_sku, 3), (first_sku, 1)])

    for _, adapter in _both(shopee, lazada):
        each = worker(shop, adapter)
        first = each.import_sales(hours=24)
        again = each.import_sales(hours=24)
        assert (first.sales_new, first.sales_repeat, again.sales_new, again.sales_repeat) == (1, 0, 0, 1)

    assert shop.api("GET", f"/products/{second_id}").json()["stock"] == 10 - 2 - 3


def test_a_wrong_signature_gets_the_platforms_error_and_is_not_retried(shop, shopee, lazada):
    from marketplace_sync.marketplace import RejectedError

    with pytest.raises(RejectedError, match="error_sign"):
        shopee_adapter(shopee, partner_key="not-the-key").find_by_sku("QN-T-0001")
    with pytest.raises(RejectedError, match="IncompleteSignature"):
        lazada_adapter(lazada, app_secret="not-the-secret").find_by_sku("QN-T-0001")
    assert len(shopee.calls) == 1 and len(lazada.calls) == 1


def test_the_rate_limit_keeps_under_the_marketplaces(shop, shopee):
    from dataclasses import replace

    from tests.sync.sync_fixtures import FAST

    shopee.rate_limit = 20
    shopee._bucket = 20
    summary = worker(shop, shopee_adapter(shopee, replace(FAST, calls_per_second=20))).run_once()

    assert summary.complete
    assert [what for _, what in shopee.calls if what != "ok"] == []


def test_flask_sync_run_once_shows_the_summary_table(app, shop, lazada, monkeypatch, tmp_path):
    from tests.sync.marketplace_fakes import LAZADA

    for name, value in {
        "CATALOGUE_API_URL": shop.url,
        "CATALOGUE_API_TOKEN": shop.sync_token,
        "LAZADA_API_BASE": f"{lazada.url}/rest",
        "LAZADA_APP_KEY": LAZADA["app_key"],
        "LAZADA_APP_SECRET": LAZADA["app_secret"],
        "LAZADA_ACCESS_TOKEN": LAZADA["access_token"],
        "SYNC_STATE_DIR": str(tmp_path),
        "LAZADA_CALLS_PER_SECOND": "0",
    }.items():
        monkeypatch.setenv(name, value)

    result = app.test_cli_runner().invoke(args=["sync", "run", "--marketplace", "lazada", "--once"])

    assert result.exit_code == 0, result.output
    assert "| created" in result.output and "| errors" in result.output and "| not offered there" in result.output
    assert lazada.skus() == {sku: 1 for _, sku in shop.listable}


def test_flask_sync_run_names_missing_settings(app, monkeypatch):
    monkeypatch.delenv("CATALOGUE_API_URL", raising=False)

    result = app.test_cli_runner().invoke(args=["sync", "run", "--marketplace", "shopee", "--once"])

    assert result.exit_code == 2 and "Set " in result.output


def test_poll_drains_and_imports_orders_every_interval_until_stopped(backend):
    from marketplace_sync.worker import SyncWorker

    class Client:
        cursors: list = []

        def cursor(self, marketplace):
            return ""

        def changes(self, since, limit):
            return {"items": [], "next_cursor": "", "has_more": False}

        def orders_cursor(self, marketplace):
            return None

        def save_orders_cursor(self, marketplace, updated_after):
            self.cursors.append(updated_after)

    class Adapter:
        name, calls = "shopee", 0

        def order_changes(self, since, until):
            return []

    summaries = []
    each = SyncWorker(Client(), Adapter())
    each.now = lambda: 1_000_000

    def seen(summary):
        summaries.append(summary)
        if len(summaries) == 3:
            each.stop.set()

    each.poll(0.001, with_orders=True, orders_hours=1, on_summary=seen)

    assert len(summaries) == 3 and Client.cursors == [1_000_000 - 120] * 3


def test_python_m_marketplace_sync_runs_in_a_folder_with_no_app(shop, lazada, tmp_path_factory):
    import os
    import subprocess
    import sys
    from pathlib import Path

    from tests.sync.marketplace_fakes import LAZADA

    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),  # the package only; no instance, no database
        "CATALOGUE_API_URL": shop.url,
        "CATALOGUE_API_TOKEN": shop.sync_token,
        "LAZADA_API_BASE": f"{lazada.url}/rest",
        "LAZADA_APP_KEY": LAZADA["app_key"],
        "LAZADA_APP_SECRET": LAZADA["app_secret"],
        "LAZADA_ACCESS_TOKEN": LAZADA["access_token"],
        "LAZADA_CALLS_PER_SECOND": "0",
    }
    command = [sys.executable, "-m", "marketplace_sync", "run", "--marketplace", "lazada", "--once"]
    folder = tmp_path_factory.mktemp("worker-machine")

    result = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "| created" in result.stdout and list(folder.iterdir()) == []  # it leaves nothing behind
    assert lazada.skus() == {sku: 1 for _, sku in shop.listable}
