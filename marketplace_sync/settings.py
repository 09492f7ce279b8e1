"""The sync worker's settings, from the environment (contract §2): our API, each marketplace, tuning."""

from __future__ import annotations

import os
from collections.abc import Mapping

from marketplace_sync.client import CatalogueClient
from marketplace_sync.lazada import LazadaAdapter, LazadaCredentials
from marketplace_sync.marketplace import Adapter, Tuning
from marketplace_sync.shopee import ShopeeAdapter, ShopeeCredentials
from marketplace_sync.tiktok import TikTokAdapter, TikTokCredentials
from marketplace_sync.worker import SyncWorker

MARKETPLACES = ("shopee", "lazada", "tiktok")
REQUIRED = {
    "shopee": ("SHOPEE_PARTNER_ID", "SHOPEE_PARTNER_KEY", "SHOPEE_SHOP_ID", "SHOPEE_ACCESS_TOKEN"),
    "lazada": ("LAZADA_APP_KEY", "LAZADA_APP_SECRET", "LAZADA_ACCESS_TOKEN"),
    "tiktok": ("TIKTOK_APP_KEY", "TIKTOK_APP_SECRET", "TIKTOK_ACCESS_TOKEN", "TIKTOK_SHOP_CIPHER"),
}


class SettingsMissing(Exception):
    """A variable the worker needs is not set."""


def _need(env: Mapping[str, str], *names: str) -> None:
    missing = [name for name in names if not env.get(name)]
    if missing:
        raise SettingsMissing(f"Set {', '.join(missing)} (see README, Marketplace sync).")


def tuning_from_env(marketplace: str, env: Mapping[str, str]) -> Tuning:
    """Rate limit per marketplace (`SHOPEE_CALLS_PER_SECOND`…) and timeouts (`SYNC_READ_TIMEOUT`)."""
    prefix = marketplace.upper()
    return Tuning(
        connect_timeout=float(env.get("SYNC_CONNECT_TIMEOUT", 3.05)),
        read_timeout=float(env.get("SYNC_READ_TIMEOUT", 15)),
        attempts=int(env.get("SYNC_ATTEMPTS", 5)),
        calls_per_second=float(env.get(f"{prefix}_CALLS_PER_SECOND", 10)),
    )


def adapter_from_env(marketplace: str, env: Mapping[str, str] = os.environ, tuning: Tuning | None = None) -> Adapter:
    """The marketplace's adapter, configured from `env`."""
    _need(env, *REQUIRED[marketplace])
    tuning = tuning or tuning_from_env(marketplace, env)
    if marketplace == "shopee":
        credentials = ShopeeCredentials(
            partner_id=int(env["SHOPEE_PARTNER_ID"]),
            partner_key=env["SHOPEE_PARTNER_KEY"],
            shop_id=int(env["SHOPEE_SHOP_ID"]),
            access_token=env["SHOPEE_ACCESS_TOKEN"],
        )
        return ShopeeAdapter(env.get("SHOPEE_API_BASE", ""), credentials, tuning)
    if marketplace == "tiktok":
        credentials = TikTokCredentials(
            app_key=env["TIKTOK_APP_KEY"],
            app_secret=env["TIKTOK_APP_SECRET"],
            access_token=env["TIKTOK_ACCESS_TOKEN"],
            shop_cipher=env["TIKTOK_SHOP_CIPHER"],
        )
        return TikTokAdapter(env.get("TIKTOK_API_BASE", ""), credentials, tuning)
    credentials = LazadaCredentials(env["LAZADA_APP_KEY"], env["LAZADA_APP_SECRET"], env["LAZADA_ACCESS_TOKEN"])
    return LazadaAdapter(env.get("LAZADA_API_BASE", ""), credentials, tuning)


def client_from_env(env: Mapping[str, str] = os.environ) -> CatalogueClient:
    _need(env, "CATALOGUE_API_URL", "CATALOGUE_API_TOKEN")
    return CatalogueClient(
        env["CATALOGUE_API_URL"], env["CATALOGUE_API_TOKEN"], attempts=int(env.get("SYNC_ATTEMPTS", 5))
    )


def worker_from_env(marketplace: str, env: Mapping[str, str] = os.environ, **options) -> SyncWorker:
    """A SyncWorker for `marketplace` wired from `env`."""
    return SyncWorker(
        client_from_env(env),
        adapter_from_env(marketplace, env),
        page_size=int(env.get("SYNC_PAGE_SIZE", 50)),
        **options,
    )
