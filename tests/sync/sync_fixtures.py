"""A small shop served on 127.0.0.1 with a sync token, the fake marketplaces, and workers wired to them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from catalogue.accounts import services as accounts
from catalogue.extensions import db
from catalogue.products.models import ProductImage
from marketplace_sync.client import CatalogueClient
from marketplace_sync.lazada import LazadaAdapter, LazadaCredentials
from marketplace_sync.marketplace import Tuning
from marketplace_sync.shopee import ShopeeAdapter, ShopeeCredentials
from marketplace_sync.tiktok import TikTokAdapter, TikTokCredentials
from marketplace_sync.worker import SyncWorker
from tests import factories
from tests.access_helpers import auth, png_bytes
from tests.live import QuietHandler, serving
from tests.sync.fakes_tiktok import TIKTOK, FakeTikTok
from tests.sync.marketplace_fakes import LAZADA, SHOPEE, FakeLazada, FakeShopee

# Client timeouts are short so that a fake's "timeout" (it answers after HANG seconds) costs little.
READ_TIMEOUT, HANG = 0.3, 0.6
FAST = Tuning(
    connect_timeout=2, read_timeout=READ_TIMEOUT, attempts=6, backoff_base=0.005, backoff_max=0.05, calls_per_second=0
)


@dataclass
class Shop:
    """The live app and what the tests need of it."""

    url: str
    sync_token: str
    admin_token: str
    listable: list = field(default_factory=list)  # (id, sku) of products that should be listed
    no_weight: tuple = ()
    archived: tuple = ()

    def api(self, method: str, path: str, headers: dict | None = None, **kwargs) -> requests.Response:
        headers = {**auth(self.admin_token), **(headers or {})}
        return requests.request(method, f"{self.url}/api/v1{path}", headers=headers, timeout=10, **kwargs)

    def listings(self, product_id: int) -> dict:
        items = self.api("GET", f"/products/{product_id}/listings").json()["items"]
        return {item["marketplace"]: item for item in items}


def _with_image(product, media_root: Path, colour) -> None:
    relative = f"photos/{product.sku.lower()}.png"
    (media_root / "photos").mkdir(parents=True, exist_ok=True)
    (media_root / relative).write_bytes(png_bytes(color=colour))
    product.images.append(ProductImage(path=relative, alt=product.name, width=64, height=48, position=0))


@pytest.fixture(name="shop")
def shop_fixture(app):
    """Five listable products, one without weight, one archived; served live with a sync token."""
    media = Path(app.config["MEDIA_ROOT"])
    ref = factories.reference_data()
    maker = factories.producer("HTX Miến dong Bình Liêu", ref["binh_lieu"])
    names = ["Miến dong Bình Liêu", "Chè Bình Liêu", "Rượu ba kích", "Chả mực Hạ Long", "Nước mắm Cái Rồng"]
    listable = [
        factories.product(name, maker, ref["processed"], price_vnd=85000 + 1000 * index)
        for index, name in enumerate(names)
    ]
    weightless = factories.product("Hoa hồi Bình Liêu", maker, ref["processed"])
    archived = factories.product("Trà hoa vàng cũ", maker, ref["processed"], status="archived")
    db.session.flush()
    weightless.net_weight_g = None
    for index, product in enumerate([*listable, weightless, archived]):
        _with_image(product, media, (index * 30, 120, 200))
    db.session.commit()
    accounts.create_user("ocop@example.com", "mật khẩu đủ dài 123", "admin")
    sync_token = accounts.create_token("ocop@example.com", ["sync"])[0]
    admin_token = accounts.create_token("ocop@example.com", ["admin"])[0]
    with serving(app, request_handler=QuietHandler) as url:
        app.config["PUBLIC_BASE_URL"] = url  # image URLs point at the live server, as in production
        yield Shop(
            url=url,
            sync_token=sync_token,
            admin_token=admin_token,
            listable=[(product.id, product.sku) for product in listable],
            no_weight=(weightless.id, weightless.sku),
            archived=(archived.id, archived.sku),
        )


@pytest.fixture(name="shopee")
def shopee_fixture():
    with FakeShopee(hang_seconds=HANG) as fake:
        yield fake


@pytest.fixture(name="lazada")
def lazada_fixture():
    with FakeLazada(hang_seconds=HANG) as fake:
        yield fake


@pytest.fixture(name="tiktok")
def tiktok_fixture():
    with FakeTikTok(hang_seconds=HANG) as fake:
        yield fake


def shopee_adapter(fake: FakeShopee, tuning: Tuning = FAST, session=None, partner_key=None) -> ShopeeAdapter:
    credentials = ShopeeCredentials(
        SHOPEE["partner_id"], partner_key or SHOPEE["partner_key"], SHOPEE["shop_id"], SHOPEE["access_token"]
    )
    return ShopeeAdapter(fake.url, credentials, tuning, session)


def lazada_adapter(fake: FakeLazada, tuning: Tuning = FAST, session=None, app_secret=None) -> LazadaAdapter:
    credentials = LazadaCredentials(LAZADA["app_key"], app_secret or LAZADA["app_secret"], LAZADA["access_token"])
    return LazadaAdapter(f"{fake.url}/rest", credentials, tuning, session)


def tiktok_adapter(fake: FakeTikTok, tuning: Tuning = FAST, session=None, app_secret=None) -> TikTokAdapter:
    credentials = TikTokCredentials(
        TIKTOK["app_key"], app_secret or TIKTOK["app_secret"], TIKTOK["access_token"], TIKTOK["shop_cipher"]
    )
    return TikTokAdapter(fake.url, credentials, tuning, session)


def worker(shop: Shop, adapter, page_size: int = 50) -> SyncWorker:
    """A worker with nothing of its own but its API client and adapter: a fresh machine, every time."""
    client = CatalogueClient(shop.url, shop.sync_token, timeout=(2, 20), backoff_base=0.01)
    return SyncWorker(client, adapter, page_size=page_size)
