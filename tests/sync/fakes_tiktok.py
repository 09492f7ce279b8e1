"""A fake TikTok Shop Open API (version 202309 paths) on 127.0.0.1, written by us apart from the adapter.

It checks what TikTok checks, the way TikTok documents it: `app_key`, a `timestamp` within five
minutes, the `sign` (HMAC-SHA256 keyed with the app secret over secret + path + sorted query
without sign/access_token + raw body unless multipart + secret), the `x-tts-access-token` header,
and `shop_cipher` (required on shop calls, refused on image upload). Errors come in TikTok's
shape: `{"code", "message", "data", "request_id"}`; a rate limit is HTTP 429 with code 36009002.

It keeps products and orders in memory, logs every call, enforces a rate limit, injects the
shared faults (429, 500, answers too late), can refuse some SKUs inside a successful batch call
(`failing_skus`, as TikTok reports per-item `data.errors`), and sends signed order-status
webhooks (type 1) to `deliver`, losing the ones for orders in `lose_pushes`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import time
from collections.abc import Callable

from werkzeug.wrappers import Request, Response

from tests.sync.marketplace_fakes import IMAGE_MAGIC, FakeMarketplace

TIKTOK = {
    "app_key": "6a1b2c3d4e5f",
    "app_secret": "tiktok-test-app-secret",
    "access_token": "TTP_test-access-token",
    "shop_cipher": "ROW_test-shop-cipher",
    "shop_id": "7494726673780148744",
}
WAREHOUSE_ID = "7068517275539719942"
VERSION = "202309"


def _answer(code: int, message: str, data=None, status: int = 200) -> Response:
    body = {"code": code, "message": message, "data": data if data is not None else {}, "request_id": "2026TT"}
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")


class FakeTikTok(FakeMarketplace):
    """TikTok Shop's Open API as far as the sync worker uses it."""

    def __init__(self, **options):
        super().__init__(**options)
        self.ids = itertools.count(1729592969712207001)
        self.images: set[str] = set()
        self.uploaded_images: list[bytes] = []
        self.refused_images = 0
        self.failing_skus: set[str] = set()  # their writes answer code 0 with a per-item error
        self.lose_pushes: set[str] = set()  # order ids whose webhooks never arrive
        self.deliver: Callable[[bytes, dict], object] | None = None
        self.pushes_sent: list[dict] = []
        self.pushes_lost: list[dict] = []
        self.order_queries: list[dict] = []
        self.order_ids = itertools.count(576461413038785001)

    def rate_limited(self) -> Response:
        return _answer(36009002, "Too many requests. Please reduce the request frequency.", status=429)

    # --- the door: what TikTok checks before anything -------------------------------

    def _refuse(self, request: Request) -> Response | None:
        args = request.args
        for name in ("app_key", "timestamp", "sign"):
            if not args.get(name):
                return _answer(
                    36009004, f"Missing credentials. The request does not include a required {name}.", status=401
                )
        if args["app_key"] != TIKTOK["app_key"]:
            return _answer(36009004, "Invalid credentials. Invalid `app_key` query parameter.", status=401)
        try:
            timestamp = int(args["timestamp"])
        except ValueError:
            return _answer(36009004, "Invalid timestamp.", status=401)
        if abs(time.time() - timestamp) > 300:
            return _answer(
                36009004, "Invalid timestamp. The value must not be earlier than 5 minutes before now.", status=401
            )
        # TikTok's algorithm, written out here apart from the adapter's: both must agree.
        text = request.path
        for key in sorted(args):
            if key not in ("sign", "access_token"):
                text += key + args[key]
        secret = TIKTOK["app_secret"].encode()
        signed = secret + text.encode()
        if not (request.content_type or "").lower().startswith("multipart/form-data"):
            signed += request.get_data()
        signed += secret
        expected = hmac.new(secret, signed, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, args["sign"]):
            return _answer(106001, "Invalid signature. Please check the signature algorithm.", status=401)
        if request.headers.get("x-tts-access-token") != TIKTOK["access_token"]:
            return _answer(36009004, "Invalid credentials. The `x-tts-access-token` header is invalid.", status=401)
        uploads = request.path == f"/product/{VERSION}/images/upload"
        if uploads and "shop_cipher" in args:
            return _answer(
                36009004, "Unexpected identifier. The `shop_cipher` query parameter is not required for this request."
            )
        if not uploads and args.get("shop_cipher") != TIKTOK["shop_cipher"]:
            return _answer(36009004, "Invalid identifier. The `shop_cipher` query parameter is invalid.")
        return None

    ROUTES = [
        ("POST", rf"/product/{VERSION}/images/upload", "upload_image"),
        ("POST", rf"/product/{VERSION}/products/search", "search_products"),
        ("POST", rf"/product/{VERSION}/products/deactivate", "deactivate"),
        ("POST", rf"/product/{VERSION}/products/activate", "activate"),
        ("POST", rf"/product/{VERSION}/products", "create_product"),
        ("PUT", rf"/product/{VERSION}/products/(\d+)", "edit_product"),
        ("GET", rf"/product/{VERSION}/products/(\d+)", "get_product"),
        ("POST", rf"/product/{VERSION}/products/(\d+)/inventory/update", "update_inventory"),
        ("POST", rf"/product/{VERSION}/products/(\d+)/prices/update", "update_prices"),
        ("GET", r"/logistics/202309/warehouses", "warehouses"),
        ("POST", rf"/order/{VERSION}/orders/search", "search_orders"),
        ("GET", rf"/order/{VERSION}/orders", "get_orders"),
    ]

    def handle(self, request: Request) -> Response:
        refused = self._refuse(request)
        if refused is not None:
            return refused
        for method, pattern, name in self.ROUTES:
            matched = re.fullmatch(pattern, request.path)
            if matched and request.method == method:
                body = {}
                if request.mimetype == "application/json":
                    try:
                        body = json.loads(request.get_data() or b"{}")
                    except ValueError:
                        return _answer(36009004, "Invalid request body: not JSON.")
                with self.lock:
                    return getattr(self, "api_" + name)(request, body, *matched.groups())
        return _answer(36009009, "Path not found.", status=404)

    # --- products --------------------------------------------------------------------------

    def api_upload_image(self, request: Request, body: dict) -> Response:
        upload = request.files.get("data")
        content = upload.read() if upload else b""
        if not content.startswith(IMAGE_MAGIC):
            self.refused_images += 1
            return _answer(12052901, "The image format is not supported: use JPG, JPEG or PNG.")
        self.uploaded_images.append(content)
        uri = "tos-alisg-i-aphluv4xwc-sg/" + hashlib.sha1(content).hexdigest()[:24]
        self.images.add(uri)
        return _answer(0, "Success", {"uri": uri, "url": f"https://p16-oec-sg.ibyteimg.com/{uri}~tplv.jpg"})

    def _fields(self, body: dict, sku_required_id: str | None = None) -> dict | str:
        for key in ("title", "description", "category_id", "main_images", "skus", "package_weight"):
            if not body.get(key):
                return f"{key} is required."
        uris = [image.get("uri") for image in body["main_images"]]
        if any(uri not in self.images for uri in uris):
            return "main_images must be uris of images uploaded with images/upload."
        weight = body["package_weight"]
        if weight.get("unit") not in ("KILOGRAM", "GRAM") or not float(weight.get("value") or 0) > 0:
            return "package_weight needs a positive value and a unit."
        if len(body["skus"]) != 1:
            return "This fake takes one SKU per product."
        [sku] = body["skus"]
        price, inventory = sku.get("price") or {}, sku.get("inventory") or []
        if price.get("currency") != "VND" or not str(price.get("amount", "")).isdigit():
            return "skus[].price needs an amount in VND."
        if not inventory or any(entry.get("warehouse_id") != WAREHOUSE_ID for entry in inventory):
            return "skus[].inventory needs a warehouse_id of the shop."
        if sku_required_id is not None and sku.get("id") != sku_required_id:
            return "An edit must name the product's SKU id (a SKU left out is deleted)."
        return {
            "sku": sku.get("seller_sku", ""),
            "title": body["title"],
            "description": body["description"],
            "category_id": str(body["category_id"]),
            "weight": weight,
            "images": uris,
            "price": int(price["amount"]),
            "stock": int(inventory[0]["quantity"]),
        }

    def api_create_product(self, request: Request, body: dict) -> Response:
        fields = self._fields(body)
        if isinstance(fields, str):
            return _answer(12052004, fields)
        if fields["sku"] in self.failing_skus:
            return _answer(12052024, "Category is not final category")
        product_id, sku_id = self.new_id(), self.new_id()
        self.items[product_id] = {"product_id": product_id, "sku_id": sku_id, **fields, "status": "ACTIVATE"}
        return _answer(
            0, "Success", {"product_id": str(product_id), "skus": [{"id": str(sku_id), "seller_sku": fields["sku"]}]}
        )

    def _product(self, product_id) -> dict | None:
        return self.items.get(int(product_id))

    def api_edit_product(self, request: Request, body: dict, product_id: str) -> Response:
        item = self._product(product_id)
        if item is None:
            return _answer(12052048, "Product not found.")
        fields = self._fields(body, sku_required_id=str(item["sku_id"]))
        if isinstance(fields, str):
            return _answer(12052004, fields)
        item.update(fields)
        return _answer(0, "Success", {"product_id": product_id, "skus": [{"id": str(item["sku_id"])}]})

    def api_get_product(self, request: Request, body: dict, product_id: str) -> Response:
        item = self._product(product_id)
        if item is None:
            return _answer(12052048, "Product not found.")
        return _answer(
            0,
            "Success",
            {
                "id": product_id,
                "status": item["status"],
                "title": item["title"],
                "description": item["description"],
                "category_chains": [
                    {"id": "600001", "is_leaf": False, "parent_id": "0"},
                    {"id": item["category_id"], "is_leaf": True, "parent_id": "600001"},
                ],
                "package_weight": item["weight"],
                "skus": [self._sku_view(item)],
            },
        )

    def _sku_view(self, item: dict) -> dict:
        return {
            "id": str(item["sku_id"]),
            "seller_sku": item["sku"],
            "price": {"currency": "VND", "tax_exclusive_price": str(item["price"]), "sale_price": str(item["price"])},
            "inventory": [{"warehouse_id": WAREHOUSE_ID, "quantity": item["stock"]}],
        }

    def _sku_error(self, item: dict, body_sku: dict) -> dict | None:
        if body_sku.get("id") != str(item["sku_id"]):
            return {
                "code": 12052230,
                "message": "The SKU does not belong to the product.",
                "detail": {"sku_id": body_sku.get("id")},
            }
        if item["sku"] in self.failing_skus:
            return {"code": 12052990, "message": "Check failed", "detail": {"sku_id": str(item["sku_id"])}}
        return None

    def api_update_inventory(self, request: Request, body: dict, product_id: str) -> Response:
        item = self._product(product_id)
        if item is None:
            return _answer(12052048, "Product not found.")
        errors = []
        for entry in body.get("skus") or []:
            problem = self._sku_error(item, entry)
            inventory = entry.get("inventory") or []
            if problem is None and any(each.get("warehouse_id") != WAREHOUSE_ID for each in inventory):
                problem = {
                    "code": 12052097,
                    "message": "The warehouse does not exist",
                    "detail": {"sku_id": entry["id"]},
                }
            if problem:
                errors.append(problem)
            else:
                item["stock"] = int(inventory[0]["quantity"])
        return _answer(0, "Success", {"errors": errors} if errors else {})

    def api_update_prices(self, request: Request, body: dict, product_id: str) -> Response:
        item = self._product(product_id)
        if item is None:
            return _answer(12052048, "Product not found.")
        errors = []
        for entry in body.get("skus") or []:
            problem = self._sku_error(item, entry)
            if problem:
                errors.append(problem)
            else:
                item["price"] = int(entry["price"]["amount"])
        return _answer(0, "Success", {"errors": errors} if errors else {})

    def _set_status(self, body: dict, status: str) -> Response:
        errors = []
        for product_id in body.get("product_ids") or []:
            item = self._product(product_id)
            if item is None or item["sku"] in self.failing_skus:
                errors.append(
                    {"code": 12052048, "message": "You can't edit this product", "detail": {"product_id": product_id}}
                )
            else:
                item["status"] = status
        return _answer(0, "Success", {"errors": errors} if errors else {})

    def api_deactivate(self, request: Request, body: dict) -> Response:
        return self._set_status(body, "SELLER_DEACTIVATED")

    def api_activate(self, request: Request, body: dict) -> Response:
        return self._set_status(body, "ACTIVATE")

    def api_search_products(self, request: Request, body: dict) -> Response:
        page_size = int(request.args.get("page_size") or 0)
        if not 1 <= page_size <= 100:
            return _answer(36009004, "page_size must be 1-100.")
        wanted = set(body.get("seller_skus") or [])
        found = [item for item in self.items.values() if not wanted or item["sku"] in wanted]
        products = [
            {
                "id": str(item["product_id"]),
                "title": item["title"],
                "status": item["status"],
                "skus": [self._sku_view(item)],
            }
            for item in sorted(found, key=lambda item: item["product_id"])[:page_size]
        ]
        return _answer(0, "Success", {"products": products, "total_count": len(found), "next_page_token": ""})

    def api_warehouses(self, request: Request, body: dict) -> Response:
        warehouses = [
            {"id": "7068517275539719000", "name": "Kho trả hàng", "type": "RETURN_WAREHOUSE", "is_default": True},
            {"id": WAREHOUSE_ID, "name": "Kho Hạ Long", "type": "SALES_WAREHOUSE", "is_default": True},
        ]
        return _answer(0, "Success", {"warehouses": warehouses})

    # --- orders ----------------------------------------------------------------------------------

    def api_search_orders(self, request: Request, body: dict) -> Response:
        try:
            page_size = int(request.args["page_size"])
        except (KeyError, ValueError):
            return _answer(36009004, "page_size is required in the query.")
        if not 1 <= page_size <= 100:
            return _answer(36009004, "page_size must be 1-100.")
        since, before = body.get("update_time_ge", 0), body.get("update_time_lt", 2**62)
        matching = sorted(
            (order for order in self.orders if since <= order["update_time"] < before),
            key=lambda order: (order["update_time"], order["id"]),
        )
        token = request.args.get("page_token") or ""
        try:
            offset = int(base64.b64decode(token).decode()) if token else 0
        except ValueError:
            return _answer(36009004, "Invalid page_token.")
        self.order_queries.append({"update_time_ge": since, "update_time_lt": before, "offset": offset})
        page = matching[offset : offset + page_size]
        more = offset + page_size < len(matching)
        next_token = base64.b64encode(str(offset + page_size).encode()).decode() if more else ""
        return _answer(
            0,
            "Success",
            {"orders": [dict(order) for order in page], "total_count": len(matching), "next_page_token": next_token},
        )

    def api_get_orders(self, request: Request, body: dict) -> Response:
        wanted = [each for each in (request.args.get("ids") or "").split(",") if each]
        if not wanted:
            return _answer(36009004, "ids is required.")
        if len(wanted) > 50:
            return _answer(36009004, "At most 50 ids a call.")
        return _answer(0, "Success", {"orders": [dict(order) for order in self.orders if order["id"] in wanted]})

    def add_order(self, lines: list[tuple[str, int]], at: int | None = None, order_id: str | None = None) -> str:
        """A buyer's order (one line item per unit, as TikTok lists them); its webhook is sent. Returns its id."""
        moment = int(time.time()) if at is None else at
        order_id = order_id or str(next(self.order_ids))
        items = [
            {"id": f"{order_id}{index:03d}", "seller_sku": sku, "display_status": "AWAITING_SHIPMENT"}
            for index, (sku, quantity) in enumerate((sku, q) for sku, q in lines for _ in range(q))
        ]
        with self.lock:
            self.orders.append(
                {
                    "id": order_id,
                    "status": "AWAITING_SHIPMENT",
                    "line_items": items,
                    "create_time": moment,
                    "update_time": moment,
                }
            )
        self.push(order_id)
        return order_id

    def set_order_status(self, order_id: str, status: str, at: int | None = None) -> None:
        with self.lock:
            [order] = [order for order in self.orders if order["id"] == order_id]
            order["status"], order["update_time"] = status, int(time.time()) if at is None else at
        self.push(order_id)

    # --- webhooks --------------------------------------------------------------------------------

    def push_message(
        self, order_id: str, status: str | None = None, app_secret: str | None = None
    ) -> tuple[bytes, dict]:
        """The body and headers of TikTok's order-status webhook (type 1) for this order, signed."""
        order = next((order for order in self.orders if order["id"] == order_id), None)
        data = {
            "order_id": order_id,
            "order_status": status or (order or {}).get("status", "AWAITING_SHIPMENT"),
            "update_time": (order or {}).get("update_time", int(time.time())),
        }
        message = {"type": 1, "shop_id": TIKTOK["shop_id"], "timestamp": int(time.time()), "data": data}
        body = json.dumps(message, separators=(",", ":")).encode()
        secret = (app_secret or TIKTOK["app_secret"]).encode()
        signature = hmac.new(secret, TIKTOK["app_key"].encode() + body, hashlib.sha256).hexdigest()
        return body, {"Authorization": signature, "Content-Type": "application/json"}

    def push(self, order_id: str) -> None:
        if self.deliver is None:
            return
        body, headers = self.push_message(order_id)
        record = {"order_id": order_id, "body": body}
        if order_id in self.lose_pushes:
            self.pushes_lost.append(record)
            return
        self.pushes_sent.append(record)
        self.deliver(body, headers)
