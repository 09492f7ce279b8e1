"""Lazada Open Platform adapter: signing, XML payloads, create / update / price-quantity / remove, orders.

Find by SKU is `/products/get` with `sku_seller_list` (one call). `/product/remove`
deletes the product, so listing it again creates it anew. Images are moved onto
Lazada's own hosting with `/image/migrate` (Lazada shows only images it hosts).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from xml.etree.ElementTree import Element, SubElement, tostring

from marketplace_sync.mapping import Listing
from marketplace_sync.marketplace import Adapter, RejectedError, RemoteItem, Retryable, Sale, Tuning

DEFAULT_BASE = "https://api.lazada.vn/rest"
RETRYABLE_CODES = {"ApiCallLimit", "ServiceUnavailable", "ServiceTimeout", "InternalError"}
PACKAGE_CM = 10  # we know the weight only; a small box is declared


@dataclass(frozen=True)
class LazadaCredentials:
    app_key: str
    app_secret: str
    access_token: str


def lazada_sign(app_secret: str, api_path: str, params: dict) -> str:
    """UPPER(hex(HMAC-SHA256(app_secret, api_path + key1value1key2value2…))) over the sorted params, sign excluded."""
    text = api_path + "".join(f"{key}{params[key]}" for key in sorted(params) if key != "sign")
    return hmac.new(app_secret.encode(), text.encode(), hashlib.sha256).hexdigest().upper()


def signed_params(credentials: LazadaCredentials, api_path: str, params: dict, timestamp_ms: int | None = None) -> dict:
    """System parameters added to `params`, and the whole signed."""
    signed = {
        "app_key": credentials.app_key,
        "timestamp": str(int(time.time() * 1000) if timestamp_ms is None else timestamp_ms),
        "sign_method": "sha256",
        "access_token": credentials.access_token,
        **{key: str(value) for key, value in params.items()},
    }
    signed["sign"] = lazada_sign(credentials.app_secret, api_path, signed)
    return signed


def _xml(product: Element) -> str:
    request = Element("Request")
    request.append(product)
    return tostring(request, encoding="unicode")


def _text(parent: Element, tag: str, value) -> Element:
    child = SubElement(parent, tag)
    child.text = str(value)
    return child


class LazadaAdapter(Adapter):
    name = "lazada"

    def __init__(self, base_url: str, credentials: LazadaCredentials, tuning: Tuning | None = None, session=None):
        super().__init__(base_url or DEFAULT_BASE, tuning, session)
        self.credentials = credentials

    def _call(self, method: str, api_path: str, params: dict, idempotent: bool = True) -> dict:
        def build() -> dict:
            signed = signed_params(self.credentials, api_path, params)
            return {"params": signed} if method == "GET" else {"data": signed}

        return self._send(method, api_path, build, _check, idempotent).get("data") or {}

    def find_by_sku(self, sku: str) -> RemoteItem | None:
        found = self._call("GET", "/products/get", {"filter": "all", "sku_seller_list": json.dumps([sku])})
        for product in found.get("products") or []:
            for remote_sku in product.get("skus", []):
                if remote_sku.get("SellerSku") == sku:
                    attributes = product.get("attributes", {})
                    return RemoteItem(
                        external_id=str(product["item_id"]),
                        sku=sku,
                        price_vnd=int(float(remote_sku["price"])),
                        stock=int(remote_sku["quantity"]),
                        listed=remote_sku.get("Status", "active") == "active",
                        fields={
                            "name": attributes.get("name"),
                            "description": attributes.get("description"),
                            "category_id": product.get("primary_category"),
                            "weight_kg": float(remote_sku.get("package_weight") or 0),
                        },
                    )
        return None

    def _migrate_images(self, listing: Listing) -> list[str]:
        hosted = []
        for url in listing.image_urls:
            image = Element("Image")
            _text(image, "Url", url)
            answer = self._call("POST", "/image/migrate", {"payload": _xml(image)})
            hosted.append(answer["image"]["url"])
        return hosted

    def _product(self, listing: Listing, item_id: str | None, price_stock: bool) -> Element:
        product = Element("Product")
        if item_id:
            _text(product, "ItemId", item_id)
        _text(product, "PrimaryCategory", listing.category_id)
        attributes = SubElement(product, "Attributes")
        _text(attributes, "name", listing.name)
        _text(attributes, "description", listing.description)
        _text(attributes, "brand", listing.extra("brand"))
        sku = SubElement(SubElement(product, "Skus"), "Sku")
        _text(sku, "SellerSku", listing.sku)
        if price_stock:
            _text(sku, "quantity", listing.stock)
            _text(sku, "price", listing.price_vnd)
        _text(sku, "package_weight", listing.weight_kg)
        for dimension in ("package_length", "package_width", "package_height"):
            _text(sku, dimension, PACKAGE_CM)
        images = SubElement(sku, "Images")
        for url in self._migrate_images(listing):
            _text(images, "Image", url)
        return product

    def _create(self, listing: Listing) -> str:
        payload = _xml(self._product(listing, None, True))
        answer = self._call("POST", "/product/create", {"payload": payload}, idempotent=False)
        return str(answer["item_id"])

    def update(self, external_id: str, listing: Listing) -> None:
        self._call("POST", "/product/update", {"payload": _xml(self._product(listing, external_id, False))})

    def update_price_stock(self, external_id: str, listing: Listing, price: bool, stock: bool) -> None:
        product = Element("Product")
        sku = SubElement(SubElement(product, "Skus"), "Sku")
        _text(sku, "ItemId", external_id)
        _text(sku, "SellerSku", listing.sku)
        if price:
            _text(sku, "Price", listing.price_vnd)
        if stock:
            _text(sku, "Quantity", listing.stock)
        self._call("POST", "/product/price_quantity/update", {"payload": _xml(product)})

    def unlist(self, external_id: str, sku: str) -> None:
        self._call("POST", "/product/remove", {"seller_sku_list": json.dumps([sku])})

    def relist(self, external_id: str, listing: Listing) -> str:
        return self.create(listing)  # removed products are gone on Lazada

    def order_changes(self, since: int, until: int) -> list[Sale]:
        after = datetime.fromtimestamp(since, UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        order_ids, updated, offset = [], {}, 0
        while True:
            query = {"update_after": after, "sort_by": "updated_at", "sort_direction": "ASC", "limit": 100}
            page = self._call("GET", "/orders/get", {**query, "offset": offset})
            orders = page.get("orders") or []
            for order in orders:
                order_ids.append(str(order["order_id"]))
                updated[str(order["order_id"])] = _unix(order.get("updated_at"))
            offset += len(orders)
            if not orders or offset >= int(page.get("countTotal", page.get("count", 0))):
                break
        sales = self.order_details(list(dict.fromkeys(order_ids)))
        return [replace(sale, updated_at=updated.get(sale.external_order_id, 0)) for sale in sales]

    def order_details(self, order_ids: list[str]) -> list[Sale]:
        sales = []
        for start in range(0, len(order_ids), 50):
            chunk = order_ids[start : start + 50]
            answer = self._call("GET", "/orders/items/get", {"order_ids": json.dumps([int(i) for i in chunk])})
            for order in answer if isinstance(answer, list) else answer.get("orders", []):
                lines: dict[str, int] = {}
                items = order.get("order_items", [])
                for item in items:  # Lazada lists one row per unit sold
                    lines[item["sku"]] = lines.get(item["sku"], 0) + 1
                lines_out = [{"sku": sku, "quantity": quantity} for sku, quantity in sorted(lines.items())]
                cancelled = bool(items) and all(item.get("status") == "canceled" for item in items)
                sales.append(Sale(str(order["order_id"]), lines_out, cancelled=cancelled))
        return sales


def push_signature(app_key: str, app_secret: str, body: bytes) -> str:
    """What Lazada puts in a push's Authorization header: hex(HMAC-SHA256(app_secret, app_key + body))."""
    return hmac.new(app_secret.encode(), app_key.encode() + body, hashlib.sha256).hexdigest()


def _unix(moment: str | None) -> int:
    """Lazada's '2026-12-01 10:00:00 +0700' (or ISO 8601) as Unix time; 0 when absent."""
    if not moment:
        return 0
    for pattern in ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return int(datetime.strptime(moment, pattern).timestamp())
        except ValueError:
            continue
    return 0


def _check(path: str, status: int, body: dict) -> dict:
    code = str(body.get("code", ""))
    if code in RETRYABLE_CODES:
        raise Retryable(f"lazada {path}: {code}")
    if code != "0" or status >= 400:
        raise RejectedError(f"Lazada refused {path}: {code or status}: {body.get('message') or ''}".strip())
    return body
