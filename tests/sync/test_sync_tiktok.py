"""TikTok Shop: signing as TikTok documents it, the adapter against a fake that checks it, the signed webhook
read back before it counts, lost pushes found by the order cursor, and `sync run --marketplace tiktok`."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import logging
import time
from dataclasses import replace

import pytest
import requests

import marketplace_sync.mapping as mapping
import marketplace_sync.tiktok as tiktok_module
from catalogue.extensions import db
from catalogue.products.models import Product
from catalogue.sync import pushes
from marketplace_sync.mapping import NotOffered, to_listing
from marketplace_sync.marketplace import RejectedError, TransientError
from marketplace_sync.tiktok import TikTokCredentials, push_signature, signed_query, tiktok_sign
from tests.access_helpers import cast
from tests.sync.fakes_tiktok import TIKTOK, FakeTikTok
from tests.sync.sync_fixtures import (  # noqa: F401 - the *_fixture names register fixtures
    FAST,
    shop_fixture,
    tiktok_adapter,
    tiktok_fixture,
    worker,
)

DAY = 24 * 3600
CREDENTIALS = TikTokCredentials(TIKTOK["app_key"], TIKTOK["app_secret"], TIKTOK["access_token"], TIKTOK["shop_cipher"])


# --- signing -------------------------------------------------------------------------------------


def test_the_sign_matches_tiktoks_published_example():
    # partner.tiktokshop.com/docv2/page/sign-your-api-request, "Get Authorized Shops" example (app secret
    # e59af819cc, app_key 29a39d, timestamp 1623812664), as quoted with its digest in the test suite of the
    # rymndcs/tiktok_shop_rb_api gem (test/unit/signer_test.rb).
    query = {"app_key": "29a39d", "timestamp": "1623812664"}

    assert (
        tiktok_sign("e59af819cc", "/authorization/202309/shops", query)
        == "b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8"
    )


def test_the_sign_matches_an_independent_sdks_vector_and_leaves_out_sign_and_access_token():
    # EcomPHP/tiktokshop-php tests/ClientTest.php::testPrepareSignature: Client('app_key', 'app_secret'),
    # GET /test-api with foo=bar → d3cb7fe1… (a GET signs no body).
    expected = "d3cb7fe11ecae942802ceeca67e7cf10120cc12f1517d45fbc1c8cfe5413c80f"

    assert tiktok_sign("app_secret", "/test-api", {"foo": "bar"}) == expected
    assert tiktok_sign("app_secret", "/test-api", {"foo": "bar", "sign": "x", "access_token": "t"}) == expected


def test_a_signed_query_covers_the_cipher_the_timestamp_and_the_exact_body():
    body = json.dumps({"seller_skus": ["QN-BL-0001"]}, separators=(",", ":")).encode()

    query = signed_query(CREDENTIALS, "/product/202309/products/search", {"page_size": 20}, body, timestamp=1795245598)
    upload = signed_query(CREDENTIALS, "/product/202309/images/upload", timestamp=1795245598)

    secret = TIKTOK["app_secret"].encode()
    base = (
        f"/product/202309/products/searchapp_key{TIKTOK['app_key']}page_size20"
        f"shop_cipher{TIKTOK['shop_cipher']}timestamp1795245598"
    ).encode()
    assert query["sign"] == hmac.new(secret, secret + base + body + secret, hashlib.sha256).hexdigest()
    assert "access_token" not in query and "shop_cipher" not in upload  # the token travels in a header


def test_a_webhook_signature_is_hmac_of_app_key_and_raw_body():
    # EcomPHP/tiktokshop-php tests/WebhookTest.php: its sample order-status push, signed as the SDK verifies it.
    sample = (
        b'{"type":1,"shop_id":"7494726673780148744","timestamp":1664095733,"data":{"order_id":"576684019603311365",'
        b'"order_status":"AWAITING_SHIPMENT","update_time":1664095610}}'
    )
    signed = hmac.new(b"fake_app_secret", b"fake_app_key" + sample, hashlib.sha256).hexdigest()
    settings = {"TIKTOK_APP_KEY": "fake_app_key", "TIKTOK_APP_SECRET": "fake_app_secret"}

    assert push_signature("fake_app_key", "fake_app_secret", sample) == signed
    assert pushes.verify_tiktok(settings, sample, signed)["data"]["order_id"] == "576684019603311365"
    assert pushes.order_of("tiktok", pushes.verify_tiktok(settings, sample, signed)) == ("576684019603311365", False)


def test_a_wrong_secret_gets_tiktoks_error_once_and_a_wrong_token_or_stale_clock_too():
    with FakeTikTok() as fake:
        # Counting calls: an answer slower than the suite's short read timeout (a loaded CI machine) would be
        # retried as lost, not as refused, so this adapter waits for it.
        patient = replace(FAST, read_timeout=10)
        with pytest.raises(RejectedError, match="106001"):
            tiktok_adapter(fake, tuning=patient, app_secret="not-the-secret").find_by_sku("QN-T-0001")
        assert len(fake.calls) == 1  # a refusal is not retried

        stale = requests.post(
            f"{fake.url}/product/202309/products/search",
            params=signed_query(CREDENTIALS, "/product/202309/products/search", timestamp=int(time.time()) - 301),
            headers={"x-tts-access-token": TIKTOK["access_token"]},
            timeout=5,
        ).json()
        query = signed_query(CREDENTIALS, "/logistics/202309/warehouses")
        no_token = requests.get(f"{fake.url}/logistics/202309/warehouses", params=query, timeout=5).json()
        tampered = requests.get(
            f"{fake.url}/logistics/202309/warehouses",
            params={**query, "shop_cipher": "ROW_someone-else"},
            headers={"x-tts-access-token": TIKTOK["access_token"]},
            timeout=5,
        ).json()

    assert (stale["code"], "timestamp" in stale["message"]) == (36009004, True)
    assert (no_token["code"], "x-tts-access-token" in no_token["message"]) == (36009004, True)
    assert tampered["code"] == 106001  # the cipher is signed: changing it breaks the sign


# --- categories ----------------------------------------------------------------------------------


def test_spirits_and_tours_are_not_offered_on_tiktok_with_a_reason_producers_read():
    product = {
        "sku": "QN-R-0001",
        "name": "Rượu ba kích Ba Chẽ",
        "category_code": "ruou-trang",
        "net_weight_g": 750,
        "price_vnd": 250000,
        "stock": 5,
        "images": [{"url": "http://127.0.0.1/p.jpg"}],
    }

    with pytest.raises(NotOffered, match="Not offered on TikTok Shop: TikTok Shop cấm bán đồ uống có cồn"):
        to_listing(product, "tiktok")
    with pytest.raises(NotOffered, match="voucher"):
        to_listing({**product, "category_code": "du-lich-cong-dong"}, "tiktok")
    assert to_listing({**product, "category_code": "che"}, "tiktok").category_id == 914696
    assert to_listing(product, "shopee").category_id == 100662  # the others still sell it


def test_every_product_set_is_mapped_or_not_offered_on_tiktok():
    data = mapping.mappings()
    others = set(data["shopee"]["categories"]) | set(data["shopee"]["services"])
    tiktok = data["tiktok"]

    assert set(tiktok["categories"]) | set(tiktok["not_offered"]) == others
    assert not set(tiktok["categories"]) & set(tiktok["not_offered"])


def test_an_unmapped_set_is_recorded_not_offered_with_no_listing_call(shop, tiktok, monkeypatch):
    data = copy.deepcopy(mapping.mappings())
    code = shop.api("GET", f"/products/{shop.listable[0][0]}").json()["category"]["code"]
    data["tiktok"]["not_offered"][code] = data["tiktok"]["categories"].pop(code) and "Chưa bán nhóm này."
    monkeypatch.setattr(mapping, "mappings", lambda: data)

    summary = worker(shop, tiktok_adapter(tiktok)).run_once()

    assert (summary.not_offered, summary.errors, summary.complete) == (6, 0, True)  # the weightless one too
    assert tiktok.served() == ["/product/202309/products/search"]  # only the archived one is looked for
    listing = shop.listings(shop.listable[0][0])["tiktok"]
    assert (listing["status"], listing["error"]) == ("not_offered", "Not offered on TikTok Shop: Chưa bán nhóm này.")


# --- the adapter against the fake -------------------------------------------------------------------


def _patch(shop, product_id: int, **changes) -> None:
    etag = shop.api("GET", f"/products/{product_id}").headers["ETag"]
    patched = shop.api("PATCH", f"/products/{product_id}", json=changes, headers={"If-Match": etag})
    assert patched.status_code == 200, patched.text


def test_a_full_sync_lists_once_then_price_stock_and_archive_each_cost_one_call(shop, tiktok):
    each = worker(shop, tiktok_adapter(tiktok))

    first = each.run_once()

    assert (first.created, first.errors, first.complete) == (5, 1, True)  # the weightless one says why
    assert tiktok.skus() == {sku: 1 for _, sku in shop.listable}
    product_id, sku = shop.listable[2]
    item = tiktok.by_sku(sku)
    assert (item["price"], item["stock"], item["status"], item["weight"]) == (
        87000,
        10,
        "ACTIVATE",
        {"value": "0.5", "unit": "KILOGRAM"},
    )
    listing = shop.listings(product_id)["tiktok"]
    assert (listing["status"], listing["external_id"]) == ("live", f"{item['product_id']}:{item['sku_id']}")
    assert shop.listings(shop.no_weight[0])["tiktok"]["status"] == "error"
    assert shop.listings(shop.archived[0])["tiktok"]["status"] == "delisted"

    _patch(shop, product_id, price_vnd=99000)
    tiktok.reset_log()
    assert (each.run_once().calls, tiktok.served()) == (
        1,
        [f"/product/202309/products/{item['product_id']}/prices/update"],
    )
    _patch(shop, product_id, stock=4)
    tiktok.reset_log()
    assert (each.run_once().calls, tiktok.served()) == (
        1,
        [f"/product/202309/products/{item['product_id']}/inventory/update"],
    )
    assert (tiktok.by_sku(sku)["price"], tiktok.by_sku(sku)["stock"]) == (99000, 4)

    _patch(shop, product_id, status="archived")
    tiktok.reset_log()
    summary = each.run_once()
    assert (summary.unlisted, tiktok.served()) == (1, ["/product/202309/products/deactivate"])
    assert (
        tiktok.by_sku(sku)["status"] == "SELLER_DEACTIVATED"
        and shop.listings(product_id)["tiktok"]["status"] == "delisted"
    )

    tiktok.reset_log()
    assert each.run_once().calls == 0 and tiktok.calls == []


def test_a_worker_that_lost_its_records_finds_the_listings_by_sku_and_relists_without_duplicates(shop, tiktok):
    worker(shop, tiktok_adapter(tiktok)).run_once()
    _, sku = shop.listable[0]
    tiktok.by_sku(sku)["status"] = "SELLER_DEACTIVATED"  # deactivated by hand in Seller Center
    for product_id, _ in shop.listable:  # records lost: nothing known of what is on TikTok; then a stock change
        state = {"status": "pending", "external_id": None, "synced_version": None, "pushed": None}
        sync = {"Authorization": f"Bearer {shop.sync_token}"}
        assert shop.api("PUT", f"/products/{product_id}/listings/tiktok", json=state, headers=sync).status_code == 200
        _patch(shop, product_id, stock=7)

    summary = worker(shop, tiktok_adapter(tiktok)).run_once()

    assert (summary.created, summary.updated, summary.errors) == (0, 5, 0)
    assert tiktok.skus() == {sku: 1 for _, sku in shop.listable} and tiktok.by_sku(sku)["status"] == "ACTIVATE"
    assert {item["stock"] for item in tiktok.items.values()} == {7}


@pytest.mark.slow
def test_rate_limits_and_faults_are_retried_and_runs_converge_with_no_duplicates(shop, tiktok):
    tiktok.rate_limit, tiktok._bucket = 3, 3  # TikTok answers 429 / 36009002 past 3 calls a second
    tiktok.fault_rate = 0.25  # and 429, 500 or a late answer on a quarter of the rest
    patient = replace(FAST, attempts=8, backoff_base=0.05, backoff_max=0.3)

    summaries = []
    while not (summaries and summaries[-1].complete and summaries[-1].calls == 0) and len(summaries) < 6:
        summaries.append(worker(shop, tiktok_adapter(tiktok, patient)).run_once())

    seen = {what for _, what in tiktok.calls}
    assert {"rate-limited", "ok"} <= seen
    assert summaries[-1].complete and summaries[-1].calls == 0
    assert tiktok.skus() == {sku: 1 for _, sku in shop.listable}


def test_a_rate_limit_that_never_lifts_is_transient_after_the_retries():
    with FakeTikTok(fault_rate=1.0) as fake:
        fake.rng.choice = lambda options: "429"
        with pytest.raises(TransientError, match="after 3 attempts"):
            tiktok_adapter(fake, replace(FAST, attempts=3)).order_details(["1"])
        assert [what for _, what in fake.calls] == ["fault-429"] * 3


def test_a_product_tiktok_refuses_inside_a_batch_is_an_error_for_that_product_alone(shop, tiktok):
    each = worker(shop, tiktok_adapter(tiktok))
    each.run_once()
    (refused_id, refused_sku), (fine_id, fine_sku) = shop.listable[0], shop.listable[1]
    tiktok.failing_skus.add(refused_sku)
    _patch(shop, refused_id, stock=3)
    _patch(shop, fine_id, stock=3)

    summary = each.run_once()

    assert (summary.updated, summary.errors, summary.complete) == (1, 1, True)
    refused = shop.listings(refused_id)["tiktok"]
    assert refused["status"] == "error" and "12052990" in refused["error"]
    assert (tiktok.by_sku(refused_sku)["stock"], tiktok.by_sku(fine_sku)["stock"]) == (10, 3)
    assert shop.listings(fine_id)["tiktok"]["status"] == "live"


# --- orders ------------------------------------------------------------------------------------------


def _stock(shop, product_id: int) -> int:
    return shop.api("GET", f"/products/{product_id}").json()["stock"]


def test_orders_are_imported_by_the_servers_cursor_page_by_page_and_cancellations_give_back_once(
    shop, tiktok, monkeypatch
):
    (first_id, first_sku), (second_id, second_sku) = shop.listable[0], shop.listable[1]
    monkeypatch.setattr(tiktok_module, "ORDER_PAGE_SIZE", 2)  # pages of 2 instead of 100: the same paging, sooner
    now = int(time.time())
    old = tiktok.add_order([(first_sku, 2)], at=now - 20 * DAY)  # two line items: two units
    for _ in range(3):
        tiktok.add_order([("NOT-OURS", 1)], at=now - DAY)  # orders of nothing of ours: recorded, take nothing
    adapter = tiktok_adapter(tiktok)

    summary = worker(shop, adapter).import_sales(hours=30 * 24)

    assert (summary.sales_new, summary.complete) == (4, True)
    assert [query["offset"] for query in tiktok.order_queries] == [0, 2]
    assert _stock(shop, first_id) == 10 - 2
    saved = shop.api("GET", "/sync/cursors/tiktok/orders").json()["updated_after"]
    assert now - 130 <= saved <= now

    fresh = tiktok.add_order([(second_sku, 3), (first_sku, 1)])
    summary = worker(shop, tiktok_adapter(tiktok)).import_sales()  # another machine resumes from the server's cursor
    assert (summary.sales_new, summary.sales_repeat) == (1, 0)
    assert (_stock(shop, first_id), _stock(shop, second_id)) == (7, 7)

    tiktok.set_order_status(fresh, "CANCELLED")
    tiktok.set_order_status(old, "CANCELLED")
    for _ in range(2):
        worker(shop, tiktok_adapter(tiktok)).import_sales()
    assert (_stock(shop, first_id), _stock(shop, second_id)) == (10, 10)


# --- the webhook -------------------------------------------------------------------------------------


def _configure(app, fake) -> None:
    app.config["MARKETPLACE_SETTINGS"] = {
        "TIKTOK_API_BASE": fake.url,
        "TIKTOK_APP_KEY": TIKTOK["app_key"],
        "TIKTOK_APP_SECRET": TIKTOK["app_secret"],
        "TIKTOK_ACCESS_TOKEN": TIKTOK["access_token"],
        "TIKTOK_SHOP_CIPHER": TIKTOK["shop_cipher"],
    }


def _post(client, body: bytes, headers: dict):
    return client.post("/webhooks/tiktok", data=body, headers=headers)


def _stock_of(product_id: int) -> int:
    db.session.expire_all()
    return db.session.get(Product, product_id).stock


def test_a_genuine_push_is_read_back_and_counted_once_however_often_it_is_replayed(app, empty_client, tiktok):
    world = cast()
    product = world["product"]
    _configure(app, tiktok)
    order_id = tiktok.add_order([(product.sku, 3)])
    body, headers = tiktok.push_message(order_id)

    answers = [_post(empty_client, body, headers) for _ in range(3)]  # delivered, then replayed twice

    assert [(answer.status_code, answer.data) for answer in answers] == [(200, b"")] * 3
    assert _stock_of(product.id) == 10 - 3
    assert tiktok.served().count("/order/202309/orders") == 3  # each time TikTok's word was asked

    tiktok.set_order_status(order_id, "CANCELLED")
    cancelled, cancelled_headers = tiktok.push_message(order_id)
    assert [_post(empty_client, cancelled, cancelled_headers).status_code for _ in range(2)] == [200, 200]
    assert _stock_of(product.id) == 10


def test_a_replayed_cancellation_push_changes_nothing_tiktok_does_not_confirm(app, empty_client, tiktok):
    world = cast()
    product = world["product"]
    _configure(app, tiktok)
    order_id = tiktok.add_order([(product.sku, 2)])
    _post(empty_client, *tiktok.push_message(order_id))
    # A genuine push saying CANCELLED, captured and played again — but TikTok says the order stands.
    replayed = _post(empty_client, *tiktok.push_message(order_id, status="CANCELLED"))

    assert replayed.status_code == 200
    assert _stock_of(product.id) == 10 - 2


def test_forged_and_unsigned_pushes_are_401_change_nothing_and_are_never_parsed(app, empty_client, tiktok, monkeypatch):
    world = cast()
    product = world["product"]
    _configure(app, tiktok)
    order_id = tiktok.add_order([(product.sku, 3)])
    parsed = []
    monkeypatch.setattr(pushes.json_input, "loads", lambda body: parsed.append(body) or {})
    tiktok.reset_log()

    forged = _post(empty_client, *tiktok.push_message(order_id, app_secret="not-the-secret"))
    body, headers = tiktok.push_message(order_id)
    tampered = _post(empty_client, body.replace(b'"type":1', b'"type":1 '), headers)
    unsigned = empty_client.post("/webhooks/tiktok", json={"type": 1, "data": {"order_id": order_id}})

    assert (forged.status_code, tampered.status_code, unsigned.status_code) == (401, 401, 401)
    assert b"TikTok Shop push signature" in forged.data
    assert _stock_of(product.id) == 10 and tiktok.calls == [] and parsed == []


def test_unknown_orders_and_other_pushes_are_acknowledged_and_malformed_ones_are_400(app, empty_client, tiktok, caplog):
    _configure(app, tiktok)
    caplog.set_level(logging.WARNING, logger="catalogue.sync.pushes")

    def signed(message: dict):
        body = json.dumps(message).encode()
        return _post(
            empty_client, body, {"Authorization": push_signature(TIKTOK["app_key"], TIKTOK["app_secret"], body)}
        )

    now = int(time.time())
    unknown = signed({"type": 1, "shop_id": "1", "timestamp": now, "data": {"order_id": "999", "order_status": "X"}})
    other = signed({"type": 5, "shop_id": "1", "timestamp": now, "data": {"product_id": "1"}})
    nameless = signed({"type": 1, "shop_id": "1", "timestamp": now, "data": {"order_status": "AWAITING_SHIPMENT"}})
    garbage = _post(
        empty_client,
        b"{not json",
        {"Authorization": push_signature(TIKTOK["app_key"], TIKTOK["app_secret"], b"{not json")},
    )

    assert [answer.status_code for answer in (unknown, other, nameless, garbage)] == [200, 200, 400, 400]
    assert "does not know it" in caplog.text
    assert tiktok.served() == ["/order/202309/orders"]  # only the unknown order was asked about


def test_a_push_tiktok_cannot_confirm_now_is_503_so_it_comes_again(app, empty_client, tiktok):
    world = cast()
    _configure(app, tiktok)
    order_id = tiktok.add_order([(world["product"].sku, 1)])
    tiktok.fault_rate, tiktok.rng.choice = 1.0, lambda options: "500"

    answer = _post(empty_client, *tiktok.push_message(order_id))

    assert answer.status_code == 503 and _stock_of(world["product"].id) == 10


def test_lost_pushes_are_recovered_by_the_order_cursor_poll(app, shop, tiktok):
    _configure(app, tiktok)
    (first_id, first_sku), (second_id, second_sku) = shop.listable[0], shop.listable[1]
    tiktok.deliver = lambda body, headers: requests.post(
        f"{shop.url}/webhooks/tiktok", data=body, headers=headers, timeout=10
    )
    tiktok.lose_pushes.add("576461413038790002")

    delivered = tiktok.add_order([(first_sku, 2)], order_id="576461413038790001")
    lost = tiktok.add_order([(second_sku, 4)], order_id="576461413038790002")

    assert [push["order_id"] for push in tiktok.pushes_sent] == [delivered]
    assert [push["order_id"] for push in tiktok.pushes_lost] == [lost]
    assert (_stock(shop, first_id), _stock(shop, second_id)) == (8, 10)  # the lost one has not counted yet

    summary = worker(shop, tiktok_adapter(tiktok)).import_sales(hours=1)

    assert (summary.sales_new, summary.sales_repeat) == (1, 1)  # the pushed one is not taken twice
    assert (_stock(shop, first_id), _stock(shop, second_id)) == (8, 6)


# --- the worker's commands -----------------------------------------------------------------------------


def test_flask_sync_run_and_orders_with_marketplace_tiktok_end_to_end(app, shop, tiktok, monkeypatch):
    for name, value in {
        "CATALOGUE_API_URL": shop.url,
        "CATALOGUE_API_TOKEN": shop.sync_token,
        "TIKTOK_API_BASE": tiktok.url,
        "TIKTOK_APP_KEY": TIKTOK["app_key"],
        "TIKTOK_APP_SECRET": TIKTOK["app_secret"],
        "TIKTOK_ACCESS_TOKEN": TIKTOK["access_token"],
        "TIKTOK_SHOP_CIPHER": TIKTOK["shop_cipher"],
        "TIKTOK_CALLS_PER_SECOND": "0",
    }.items():
        monkeypatch.setenv(name, value)
    product_id, sku = shop.listable[3]

    ran = app.test_cli_runner().invoke(args=["sync", "run", "--marketplace", "tiktok", "--once"])
    tiktok.add_order([(sku, 2)])
    orders = app.test_cli_runner().invoke(args=["sync", "orders", "--marketplace", "tiktok", "--hours", "1"])

    assert ran.exit_code == 0, ran.output
    assert "| created" in ran.output and "tiktok calls" in ran.output
    assert tiktok.skus() == {sku: 1 for _, sku in shop.listable}
    assert orders.exit_code == 0, orders.output
    assert "1 / 0 / 0" in orders.output and _stock(shop, product_id) == 8


def test_sync_run_names_the_missing_tiktok_settings(app, monkeypatch):
    monkeypatch.setenv("CATALOGUE_API_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("CATALOGUE_API_TOKEN", "t")
    for name in ("TIKTOK_APP_KEY", "TIKTOK_APP_SECRET", "TIKTOK_ACCESS_TOKEN", "TIKTOK_SHOP_CIPHER"):
        monkeypatch.delenv(name, raising=False)

    result = app.test_cli_runner().invoke(args=["sync", "run", "--marketplace", "tiktok", "--once"])

    assert result.exit_code == 2 and "TIKTOK_SHOP_CIPHER" in result.output


def test_a_live_tiktok_listing_links_to_its_product_page_by_product_id():
    from catalogue.traceability.origin import marketplace_url

    assert marketplace_url("tiktok", "1729592969712207008:1729592969712207012") == (
        "https://shop.tiktok.com/view/product/1729592969712207008?region=VN&locale=vi-VN"
    )
