"""TikTok Shop Open API adapter (version 202309 paths): signing, image upload, create / edit / price / stock /
deactivate, orders.

Every call carries the query `app_key`, `timestamp` (seconds), `shop_cipher` and `sign`, and the
header `x-tts-access-token`. The sign is hex HMAC-SHA256 keyed with the app secret over
`app_secret + path + {key}{value}… (query sorted, sign and access_token left out) + body + app_secret`;
the body is the exact bytes sent (a multipart upload's body is not signed). Image upload takes no
`shop_cipher`. A product is identified here as `"{product_id}:{sku_id}"`: price and stock updates
name the SKU, and keeping both in the listing's external id spares a read before every update.

Find by SKU is `products/search` with `seller_skus`, then `GET products/{id}` for the fields the
worker compares (two calls, made only when the worker does not know the product). Stock lives per
warehouse: the shop's default sales warehouse is read once per adapter (`logistics/warehouses`).
Batch writes (inventory, prices, deactivate) answer `code` 0 with per-item `data.errors`: any
error there is a refusal of that product, reported for it alone.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass

from marketplace_sync.mapping import Listing
from marketplace_sync.marketplace import (
    Adapter,
    RejectedError,
    RemoteItem,
    Retryable,
    Sale,
    Tuning,
    fetch_raster,
)

DEFAULT_BASE = "https://open-api.tiktokglobalshop.com"
VERSION = "202309"
RATE_LIMITED = 36009002  # "Too many requests" (HTTP 429)
RETRYABLE_CODES = {RATE_LIMITED, 36009003, 12001000}  # rate limit, internal error, system busy
NO_CIPHER_PATHS = {f"/product/{VERSION}/images/upload"}  # TikTok refuses shop_cipher there
UNSIGNED_BODY = "multipart/form-data"
DEACTIVATED = {"SELLER_DEACTIVATED", "PLATFORM_DEACTIVATED"}
CANCELLED = "CANCELLED"
ORDER_PAGE_SIZE = 100
ORDER_IDS_PER_CALL = 50
PACKAGE_CM = "10"  # we know the weight only; a small box is declared
CURRENCY = "VND"


@dataclass(frozen=True)
class TikTokCredentials:
    app_key: str
    app_secret: str
    access_token: str
    shop_cipher: str


def tiktok_sign(app_secret: str, path: str, query: dict, body: bytes = b"") -> str:
    """hex(HMAC-SHA256(secret, secret + path + k1v1k2v2… (sorted, without sign and access_token) + body + secret))."""
    pairs = "".join(f"{key}{query[key]}" for key in sorted(query) if key not in ("sign", "access_token"))
    secret = app_secret.encode()
    return hmac.new(secret, secret + (path + pairs).encode() + body + secret, hashlib.sha256).hexdigest()


def signed_query(
    credentials: TikTokCredentials,
    path: str,
    query: dict | None = None,
    body: bytes = b"",
    timestamp: int | None = None,
) -> dict:
    """The query of a call to `path`: its own parameters, the common ones, and the sign over them and `body`."""
    signed = {key: str(value) for key, value in (query or {}).items()}
    signed["app_key"] = credentials.app_key
    signed["timestamp"] = str(int(time.time()) if timestamp is None else timestamp)
    if path not in NO_CIPHER_PATHS:
        signed["shop_cipher"] = credentials.shop_cipher
    signed["sign"] = tiktok_sign(credentials.app_secret, path, signed, body)
    return signed


def push_signature(app_key: str, app_secret: str, body: bytes) -> str:
    """What TikTok Shop puts in a webhook's Authorization header: hex(HMAC-SHA256(app_secret, app_key + raw body))."""
    return hmac.new(app_secret.encode(), app_key.encode() + body, hashlib.sha256).hexdigest()


def split_id(external_id: str) -> tuple[str, str | None]:
    """(product id, SKU id) of our external id; a bare product id has no SKU id."""
    product_id, _, sku_id = str(external_id).partition(":")
    return product_id, sku_id or None


class TikTokAdapter(Adapter):
    name = "tiktok"

    def __init__(self, base_url: str, credentials: TikTokCredentials, tuning: Tuning | None = None, session=None):
        super().__init__(base_url or DEFAULT_BASE, tuning, session)
        self.credentials = credentials
        self._warehouse: str | None = None
        self._warehouse_lock = threading.Lock()

    # --- calls ---------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        api: str,
        *,
        query: dict | None = None,
        body: dict | None = None,
        files=None,
        idempotent: bool = True,
    ) -> dict:
        path = f"/{api}"
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode() if body is not None else b""

        def build() -> dict:
            headers = {"x-tts-access-token": self.credentials.access_token}
            if files is not None:  # multipart: requests writes the body, which is not signed
                return {"params": signed_query(self.credentials, path, query), "headers": headers, "files": files()}
            kwargs = {"params": signed_query(self.credentials, path, query, raw), "headers": headers}
            if body is not None:
                kwargs["data"] = raw  # the bytes signed are the bytes sent
                headers["Content-Type"] = "application/json"
            return kwargs

        return self._send(method, path, build, _check, idempotent).get("data") or {}

    def _product_path(self, product_id: str, action: str = "") -> str:
        return f"product/{VERSION}/products/{product_id}{'/' + action if action else ''}"

    def warehouse_id(self) -> str:
        """The shop's default sales warehouse (read once)."""
        with self._warehouse_lock:
            if self._warehouse is None:
                warehouses = self._call("GET", "logistics/202309/warehouses").get("warehouses") or []
                sales = [each for each in warehouses if each.get("type", "SALES_WAREHOUSE") == "SALES_WAREHOUSE"]
                if not sales:
                    raise RejectedError("TikTok Shop: the shop has no sales warehouse to hold stock.")
                chosen = next((each for each in sales if each.get("is_default")), sales[0])
                self._warehouse = str(chosen["id"])
            return self._warehouse

    # --- products ----------------------------------------------------------------------

    def find_by_sku(self, sku: str) -> RemoteItem | None:
        found = self._call(
            "POST", f"product/{VERSION}/products/search", query={"page_size": 20}, body={"seller_skus": [sku]}
        )
        matches = []
        for product in found.get("products") or []:
            for remote_sku in product.get("skus") or []:
                if remote_sku.get("seller_sku") == sku:
                    matches.append((int(product["id"]), product, remote_sku))
        if not matches:
            return None
        _, product, remote_sku = min(matches, key=lambda match: match[0])  # the oldest, should a duplicate exist
        detail = self._call("GET", self._product_path(product["id"]))
        categories = detail.get("category_chains") or []
        leaf = next((each for each in categories if each.get("is_leaf")), categories[-1] if categories else {})
        weight = detail.get("package_weight") or {}
        return RemoteItem(
            external_id=f"{product['id']}:{remote_sku['id']}",
            sku=sku,
            price_vnd=int(float((remote_sku.get("price") or {}).get("tax_exclusive_price") or 0)),
            stock=sum(int(each.get("quantity") or 0) for each in remote_sku.get("inventory") or []),
            listed=product.get("status") not in DEACTIVATED,
            fields={
                "name": detail.get("title"),
                "description": detail.get("description"),
                "category_id": leaf.get("id"),
                "weight_kg": _kilograms(weight),
            },
        )

    def _upload_images(self, listing: Listing) -> list[str]:
        uris = []
        for url in listing.image_urls:
            content = fetch_raster(url, (self.tuning.connect_timeout, self.tuning.read_timeout), "TikTok Shop")
            answer = self._call(
                "POST",
                f"product/{VERSION}/images/upload",
                files=lambda content=content: {"data": ("image", content), "use_case": (None, "MAIN_IMAGE")},
            )
            uris.append(answer["uri"])
        return uris

    def _product_body(self, listing: Listing, sku_id: str | None) -> dict:
        sku = {
            "seller_sku": listing.sku,
            "price": {"amount": str(listing.price_vnd), "currency": CURRENCY},
            "inventory": [{"warehouse_id": self.warehouse_id(), "quantity": listing.stock}],
        }
        if sku_id:
            sku = {"id": sku_id, **sku}  # an edit names the SKU it keeps (one left out is deleted)
        body = {
            "title": listing.name,
            "description": listing.description,
            "category_id": str(listing.category_id),
            "main_images": [{"uri": uri} for uri in self._upload_images(listing)],
            "package_weight": {"value": f"{listing.weight_kg:g}", "unit": "KILOGRAM"},
            "package_dimensions": {
                "length": PACKAGE_CM,
                "width": PACKAGE_CM,
                "height": PACKAGE_CM,
                "unit": "CENTIMETER",
            },
            "skus": [sku],
        }
        if listing.gtin:  # identifier_code: the item's GTIN (EAN-13)
            sku["identifier_code"] = {"code": listing.gtin, "type": "EAN"}
        return body

    def _create(self, listing: Listing) -> str:
        answer = self._call(
            "POST", f"product/{VERSION}/products", body=self._product_body(listing, None), idempotent=False
        )
        skus = [each for each in answer.get("skus") or [] if each.get("seller_sku") in (None, listing.sku)]
        if not skus:
            raise RejectedError(f"TikTok Shop created product {answer.get('product_id')} without SKU {listing.sku}.")
        return f"{answer['product_id']}:{skus[0]['id']}"

    def _sku_id(self, external_id: str, sku: str) -> tuple[str, str]:
        product_id, sku_id = split_id(external_id)
        if sku_id is None:
            found = self.find_by_sku(sku)
            if found is None or split_id(found.external_id)[0] != product_id:
                raise RejectedError(f"TikTok Shop product {product_id} has no SKU {sku}.")
            sku_id = split_id(found.external_id)[1]
        return product_id, sku_id

    def update(self, external_id: str, listing: Listing) -> None:
        product_id, sku_id = self._sku_id(external_id, listing.sku)
        self._call("PUT", self._product_path(product_id), body=self._product_body(listing, sku_id))

    def update_price_stock(self, external_id: str, listing: Listing, price: bool, stock: bool) -> None:
        product_id, sku_id = self._sku_id(external_id, listing.sku)
        if price:
            body = {"skus": [{"id": sku_id, "price": {"amount": str(listing.price_vnd), "currency": CURRENCY}}]}
            _item_errors(self._call("POST", self._product_path(product_id, "prices/update"), body=body), listing.sku)
        if stock:
            inventory = [{"warehouse_id": self.warehouse_id(), "quantity": listing.stock}]
            body = {"skus": [{"id": sku_id, "inventory": inventory}]}
            _item_errors(self._call("POST", self._product_path(product_id, "inventory/update"), body=body), listing.sku)

    def unlist(self, external_id: str, sku: str) -> None:
        product_id, _ = split_id(external_id)
        answer = self._call("POST", f"product/{VERSION}/products/deactivate", body={"product_ids": [product_id]})
        _item_errors(answer, sku)

    def relist(self, external_id: str, listing: Listing) -> None:
        product_id, _ = split_id(external_id)
        answer = self._call("POST", f"product/{VERSION}/products/activate", body={"product_ids": [product_id]})
        _item_errors(answer, listing.sku)

    # --- orders --------------------------------------------------------------------------

    def order_changes(self, since: int, until: int) -> list[Sale]:
        sales: dict[str, Sale] = {}
        token = ""
        while True:
            query = {"page_size": ORDER_PAGE_SIZE, "sort_field": "update_time", "sort_order": "ASC"}
            if token:
                query["page_token"] = token
            body = {"update_time_ge": since, "update_time_lt": until + 1}
            page = self._call("POST", f"order/{VERSION}/orders/search", query=query, body=body)
            for order in page.get("orders") or []:
                sale = _sale(order)
                sales[sale.external_order_id] = sale  # the later page's copy is the newer
            token = page.get("next_page_token") or ""
            if not token or not page.get("orders"):
                break
        return list(sales.values())

    def order_details(self, order_ids: list[str]) -> list[Sale]:
        sales = []
        for start in range(0, len(order_ids), ORDER_IDS_PER_CALL):
            chunk = order_ids[start : start + ORDER_IDS_PER_CALL]
            answer = self._call("GET", f"order/{VERSION}/orders", query={"ids": ",".join(chunk)})
            sales += [_sale(order) for order in answer.get("orders") or []]
        return sales


def _sale(order: dict) -> Sale:
    """A TikTok order in our terms: one line item is one unit sold, so units are counted per seller SKU."""
    lines: dict[str, int] = {}
    for item in order.get("line_items") or []:
        sku = item.get("seller_sku") or ""
        lines[sku] = lines.get(sku, 0) + 1
    return Sale(
        str(order["id"]),
        [{"sku": sku, "quantity": quantity} for sku, quantity in sorted(lines.items())],
        cancelled=order.get("status") == CANCELLED,
        updated_at=int(order.get("update_time") or 0),
    )


def _kilograms(weight: dict) -> float:
    value = float(weight.get("value") or 0)
    return value / 1000 if str(weight.get("unit", "KILOGRAM")).upper() == "GRAM" else value


def _item_errors(answer: dict, sku: str) -> None:
    """A batch write succeeded as a call, yet may have refused the item: that is this product's refusal."""
    errors = answer.get("errors") or []
    if errors:
        reasons = "; ".join(f"{error.get('code')}: {error.get('message')}" for error in errors[:3])
        raise RejectedError(f"TikTok Shop refused {sku}: {reasons}")


def _check(path: str, status: int, body: dict) -> dict:
    try:
        code = int(body.get("code", -1))
    except (TypeError, ValueError):
        code = -1
    if code in RETRYABLE_CODES:
        raise Retryable(f"tiktok {path}: {code}")
    if code != 0 or status >= 400:
        raise RejectedError(f"TikTok Shop refused {path}: {code}: {body.get('message') or status}")
    return body
