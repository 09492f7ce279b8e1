"""Shopee Open Platform v2 adapter: signing, image upload, add / update / price / stock / unlist, orders.

Find by SKU is `product/search_item` with `item_sku` (the item ids carrying that SKU),
then `product/get_item_base_info` for their price, stock and status: two calls, made
only when the worker does not already know the item id.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

from marketplace_sync.mapping import Listing
from marketplace_sync.marketplace import Adapter, RejectedError, RemoteItem, Retryable, Sale, Tuning, fetch_raster

DEFAULT_BASE = "https://partner.shopeemobile.com"
RETRYABLE_ERRORS = {"error_rate_limit", "error_server", "error_busy", "error_network"}
# media_space is a public API: it is signed without access_token and shop_id.
PUBLIC_PATHS = {"/api/v2/media_space/upload_image"}
ORDER_WINDOW_SECONDS = 15 * 24 * 3600  # get_order_list: time_from and time_to at most 15 days apart
ORDER_PAGE_SIZE = 100


@dataclass(frozen=True)
class ShopeeCredentials:
    partner_id: int
    partner_key: str
    shop_id: int
    access_token: str


def shopee_sign(partner_key: str, base_string: str) -> str:
    """hex(HMAC-SHA256(partner_key, base string))."""
    return hmac.new(partner_key.encode(), base_string.encode(), hashlib.sha256).hexdigest()


def signed_params(credentials: ShopeeCredentials, path: str, timestamp: int | None = None) -> dict:
    """The common query parameters of a call to `path`, signed."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    params = {"partner_id": credentials.partner_id, "timestamp": timestamp}
    base = f"{credentials.partner_id}{path}{timestamp}"
    if path not in PUBLIC_PATHS:
        base += f"{credentials.access_token}{credentials.shop_id}"
        params.update(access_token=credentials.access_token, shop_id=credentials.shop_id)
    params["sign"] = shopee_sign(credentials.partner_key, base)
    return params


class ShopeeAdapter(Adapter):
    name = "shopee"

    def __init__(self, base_url: str, credentials: ShopeeCredentials, tuning: Tuning | None = None, session=None):
        super().__init__(base_url or DEFAULT_BASE, tuning, session)
        self.credentials = credentials

    # --- calls ---------------------------------------------------------------------------

    def _call(
        self, method: str, api: str, *, query: dict | None = None, json: dict | None = None, files=None, idempotent=True
    ):
        path = f"/api/v2/{api}"

        def build() -> dict:
            kwargs: dict = {"params": {**signed_params(self.credentials, path), **(query or {})}}
            if json is not None:
                kwargs["json"] = json
            if files is not None:
                kwargs["files"] = files()
            return kwargs

        return self._send(method, path, build, _check, idempotent).get("response") or {}

    def find_by_sku(self, sku: str) -> RemoteItem | None:
        found = self._call("GET", "product/search_item", query={"item_sku": sku, "page_size": 10})
        ids = found.get("item_id_list") or []
        if not ids:
            return None
        info = self._call("GET", "product/get_item_base_info", query={"item_id_list": ",".join(map(str, ids))})
        items = [item for item in info.get("item_list", []) if item.get("item_sku") == sku]
        if not items:
            return None
        item = min(items, key=lambda entry: entry["item_id"])  # the oldest, should a duplicate ever exist
        return RemoteItem(
            external_id=str(item["item_id"]),
            sku=sku,
            price_vnd=int(item["price_info"][0]["original_price"]),
            stock=int(item["stock_info_v2"]["seller_stock"][0]["stock"]),
            listed=item["item_status"] == "NORMAL",
            fields={
                "name": item.get("item_name"),
                "description": item.get("description"),
                "category_id": item.get("category_id"),
                "weight_kg": float(item.get("weight") or 0),
            },
        )

    def _upload_images(self, listing: Listing) -> list[str]:
        ids = []
        for url in listing.image_urls:
            content = _fetch_image(url, (self.tuning.connect_timeout, self.tuning.read_timeout))
            answer = self._call(
                "POST", "media_space/upload_image", files=lambda content=content: {"image": ("image", content)}
            )
            ids.append(answer["image_info"]["image_id"])
        return ids

    def _item_body(self, listing: Listing, image_ids: list[str]) -> dict:
        body = {
            "item_name": listing.name,
            "description": listing.description,
            "weight": listing.weight_kg,
            "category_id": listing.category_id,
            "image": {"image_id_list": image_ids},
            "logistic_info": [{"logistic_id": logistic, "enabled": True} for logistic in listing.extra("logistics")],
            "item_sku": listing.sku,
            "condition": "NEW",
        }
        if listing.gtin:  # Shopee's add_item/update_item take the item's GTIN as gtin_code
            body["gtin_code"] = listing.gtin
        return body

    def _create(self, listing: Listing) -> str:
        body = {
            **self._item_body(listing, self._upload_images(listing)),
            "original_price": listing.price_vnd,
            "seller_stock": [{"stock": listing.stock}],
            "item_status": "NORMAL",
        }
        return str(self._call("POST", "product/add_item", json=body, idempotent=False)["item_id"])

    def update(self, external_id: str, listing: Listing) -> None:
        body = {"item_id": int(external_id), **self._item_body(listing, self._upload_images(listing))}
        self._call("POST", "product/update_item", json=body)

    def update_price_stock(self, external_id: str, listing: Listing, price: bool, stock: bool) -> None:
        if price:
            body = {"item_id": int(external_id), "price_list": [{"model_id": 0, "original_price": listing.price_vnd}]}
            self._call("POST", "product/update_price", json=body)
        if stock:
            body = {
                "item_id": int(external_id),
                "stock_list": [{"model_id": 0, "seller_stock": [{"stock": listing.stock}]}],
            }
            self._call("POST", "product/update_stock", json=body)

    def unlist(self, external_id: str, sku: str) -> None:
        self._call("POST", "product/unlist_item", json={"item_list": [{"item_id": int(external_id), "unlist": True}]})

    def relist(self, external_id: str, listing: Listing) -> None:
        self._call("POST", "product/unlist_item", json={"item_list": [{"item_id": int(external_id), "unlist": False}]})

    def order_changes(self, since: int, until: int) -> list[Sale]:
        order_sns: list[str] = []
        for window_from in range(since, until, ORDER_WINDOW_SECONDS):  # Shopee takes at most 15 days a query
            window_to = min(window_from + ORDER_WINDOW_SECONDS, until)
            cursor = ""
            while True:
                query = {
                    "time_range_field": "update_time",
                    "time_from": window_from,
                    "time_to": window_to,
                    "page_size": ORDER_PAGE_SIZE,
                    "cursor": cursor,
                }
                page = self._call("GET", "order/get_order_list", query=query)
                order_sns += [order["order_sn"] for order in page.get("order_list", [])]
                if not page.get("more"):
                    break
                cursor = page["next_cursor"]
        return self.order_details(list(dict.fromkeys(order_sns)))

    def order_details(self, order_ids: list[str]) -> list[Sale]:
        sales = []
        for start in range(0, len(order_ids), 50):
            query = {"order_sn_list": ",".join(order_ids[start : start + 50]), "response_optional_fields": "item_list"}
            for order in self._call("GET", "order/get_order_detail", query=query).get("order_list", []):
                lines: dict[str, int] = {}
                for item in order.get("item_list", []):
                    sku = item.get("model_sku") or item["item_sku"]
                    lines[sku] = lines.get(sku, 0) + int(item["model_quantity_purchased"])
                sales.append(
                    Sale(
                        order["order_sn"],
                        [{"sku": sku, "quantity": quantity} for sku, quantity in sorted(lines.items())],
                        cancelled=order.get("order_status") == "CANCELLED",
                        updated_at=int(order.get("update_time") or 0),
                    )
                )
        return sales


def push_signature(partner_key: str, callback_url: str, body: bytes) -> str:
    """What Shopee puts in a push's Authorization header: hex(HMAC-SHA256(partner_key, url + "|" + body))."""
    return hmac.new(partner_key.encode(), callback_url.encode() + b"|" + body, hashlib.sha256).hexdigest()


def _check(path: str, status: int, body: dict) -> dict:
    error = body.get("error")
    if error in RETRYABLE_ERRORS:
        raise Retryable(f"shopee {path}: {error}")
    if error or status >= 400:
        raise RejectedError(f"Shopee refused {path}: {error or status}: {body.get('message') or ''}".strip())
    return body


def _fetch_image(url: str, timeout: tuple[float, float]) -> bytes:
    """The image bytes from our own service (Shopee wants an upload, not a URL)."""
    return fetch_raster(url, timeout, "Shopee")
