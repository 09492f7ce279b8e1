"""Fake Shopee Open Platform v2 and Lazada Open Platform servers on 127.0.0.1, written by us.

They check what the real platforms check (signature, timestamp, credentials, required
fields; wrong signature → the platform's own error body), keep listings in memory,
log every call, enforce a fixed rate limit, and inject faults with a seeded RNG:
429, 500, and read timeouts (the change is applied, then the answer comes too late —
the worst case for duplicates). Both allow two listings with one SKU, as Shopee does,
so a duplicate made by the worker would show.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import random
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from xml.etree import ElementTree

import requests
from werkzeug.wrappers import Request, Response

from tests.live import ServedFake

SHOPEE = {"partner_id": 2001234, "partner_key": "shopee-test-partner-key", "shop_id": 770001, "access_token": "sp-tok"}
LAZADA = {"app_key": "123456", "app_secret": "lazada-test-secret", "access_token": "lz-tok"}
# What the real platforms take: JPG or PNG. An SVG (our seed placeholders) is refused, as Shopee refuses it.
IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")


class FakeMarketplace(ServedFake):
    """The shared machinery: server thread, call log, rate limit, faults."""

    def __init__(self, rate_limit: float = 0, fault_rate: float = 0.0, seed: int = 7, hang_seconds: float = 1.0):
        self.rate_limit, self.fault_rate, self.hang_seconds = rate_limit, fault_rate, hang_seconds
        self.rng = random.Random(seed)
        self.lock = threading.RLock()
        self.calls: list[tuple[str, str]] = []  # (path, what happened)
        self.items: dict[int, dict] = {}
        self.orders: list[dict] = []
        self.ids = itertools.count(880001)
        self._bucket, self._bucket_at = max(rate_limit, 1), time.monotonic()
        self._serve()

    # --- what tests look at ---------------------------------------------------------

    def reset_log(self) -> None:
        with self.lock:
            self.calls.clear()

    def served(self) -> list[str]:
        """Paths of the calls answered normally."""
        return [path for path, what in self.calls if what == "ok"]

    def skus(self) -> Counter:
        """How many live-or-unlisted items carry each SKU (a duplicate shows as 2)."""
        with self.lock:
            return Counter(item["sku"] for item in self.items.values())

    def by_sku(self, sku: str) -> dict:
        [item] = [item for item in self.items.values() if item["sku"] == sku]
        return item

    # --- the server ----------------------------------------------------------------------

    def wsgi(self, environ, start_response):
        request = Request(environ)
        path = request.path
        if not self._take_token():
            self._log(path, "rate-limited")
            return self.rate_limited()(environ, start_response)
        fault = self._draw_fault()
        if fault == "429":
            self._log(path, "fault-429")
            return self.rate_limited()(environ, start_response)
        if fault == "500":
            self._log(path, "fault-500")
            return Response("upstream exploded", status=500)(environ, start_response)
        response = self.handle(request)
        if fault == "timeout":  # applied, but the answer arrives after the client gave up
            self._log(path, "fault-timeout")
            time.sleep(self.hang_seconds)
        else:
            self._log(path, "ok")
        return response(environ, start_response)

    def _log(self, path: str, what: str) -> None:
        with self.lock:
            self.calls.append((path, what))

    def _take_token(self) -> bool:
        if not self.rate_limit:
            return True
        with self.lock:
            now = time.monotonic()
            self._bucket = min(self.rate_limit, self._bucket + (now - self._bucket_at) * self.rate_limit)
            self._bucket_at = now
            if self._bucket >= 1:
                self._bucket -= 1
                return True
            return False

    def _draw_fault(self) -> str | None:
        with self.lock:
            if self.fault_rate and self.rng.random() < self.fault_rate:
                return self.rng.choice(["429", "500", "timeout"])
        return None

    def new_id(self) -> int:
        return next(self.ids)


def _json(body: dict, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")


# --- Shopee -----------------------------------------------------------------------------


class FakeShopee(FakeMarketplace):
    """Shopee Open Platform v2: /api/v2/…, signed query parameters, JSON bodies, errors in the body."""

    PUBLIC = {"/api/v2/media_space/upload_image"}

    def __init__(self, **options):
        super().__init__(**options)
        self.images: set[str] = set()
        self.uploaded_images: list[bytes] = []
        self.refused_images = 0
        self.order_queries: list[tuple[int, int]] = []

    def rate_limited(self) -> Response:
        return _json({"error": "error_rate_limit", "message": "Too many requests.", "request_id": "r"}, 429)

    def _error(self, error: str, message: str, status: int = 400) -> Response:
        return _json({"error": error, "message": message, "request_id": "r"}, status)

    def _check_signature(self, request: Request) -> Response | None:
        args, path = request.args, request.path
        try:
            partner_id, timestamp = int(args["partner_id"]), int(args["timestamp"])
        except (KeyError, ValueError):
            return self._error("error_param", "partner_id and timestamp are required.")
        if partner_id != SHOPEE["partner_id"]:
            return self._error("error_auth", "Unknown partner_id.", 403)
        if abs(time.time() - timestamp) > 300:
            return self._error("error_auth", "Timestamp expired.", 403)
        base = f"{partner_id}{path}{timestamp}"
        if path not in self.PUBLIC:
            if args.get("access_token") != SHOPEE["access_token"] or args.get("shop_id") != str(SHOPEE["shop_id"]):
                return self._error("error_auth", "Invalid access_token or shop_id.", 403)
            base += f"{SHOPEE['access_token']}{SHOPEE['shop_id']}"
        expected = hmac.new(SHOPEE["partner_key"].encode(), base.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, args.get("sign", "")):
            return self._error("error_sign", "Wrong sign.", 403)
        return None

    def handle(self, request: Request) -> Response:
        refused = self._check_signature(request)
        if refused is not None:
            return refused
        handler = getattr(self, "api_" + request.path.removeprefix("/api/v2/").replace("/", "__"), None)
        if handler is None:
            return self._error("error_not_found", "No such API.", 404)
        with self.lock:
            return handler(request)

    def _ok(self, response: dict) -> Response:
        return _json({"error": "", "message": "", "request_id": "r", "response": response})

    def api_media_space__upload_image(self, request: Request) -> Response:
        upload = request.files.get("image")
        content = upload.read() if upload else b""
        if not content.startswith(IMAGE_MAGIC):
            self.refused_images += 1
            return self._error("error_param", "image must be a JPG or PNG file.")
        self.uploaded_images.append(content)
        image_id = "sg-11134201-" + hashlib.sha1(content).hexdigest()[:20]
        self.images.add(image_id)
        return self._ok({"image_info": {"image_id": image_id}})

    def _item_fields(self, body: dict, required: bool) -> dict | str:
        fields = {}
        for key in ("item_name", "description", "weight", "category_id", "image", "logistic_info"):
            if key not in body:
                if required:
                    return f"{key} is required."
                continue
            fields[key] = body[key]
        if "weight" in fields and not (isinstance(fields["weight"], int | float) and fields["weight"] > 0):
            return "weight must be a positive number (kg)."
        if "image" in fields:
            ids = fields["image"].get("image_id_list") or []
            if not ids or any(image_id not in self.images for image_id in ids):
                return "image.image_id_list must hold uploaded image ids."
        if "logistic_info" in fields and not fields["logistic_info"]:
            return "logistic_info must enable a channel."
        return fields

    def api_product__add_item(self, request: Request) -> Response:
        body = request.get_json(silent=True) or {}
        fields = self._item_fields(body, required=True)
        if isinstance(fields, str):
            return self._error("error_param", fields)
        if not isinstance(body.get("original_price"), int | float) or body["original_price"] <= 0:
            return self._error("error_param", "original_price is required.")
        item_id = self.new_id()
        self.items[item_id] = {
            "item_id": item_id,
            "sku": body.get("item_sku", ""),
            **fields,
            "price": body["original_price"],
            "stock": (body.get("seller_stock") or [{"stock": 0}])[0]["stock"],
            "status": body.get("item_status", "NORMAL"),
        }
        return self._ok({"item_id": item_id, "item_name": fields["item_name"]})

    def _item(self, item_id) -> dict | None:
        return self.items.get(int(item_id)) if str(item_id).isdigit() else None

    def api_product__update_item(self, request: Request) -> Response:
        body = request.get_json(silent=True) or {}
        item = self._item(body.get("item_id", ""))
        if item is None:
            return self._error("error_item_not_found", "Item not found.")
        fields = self._item_fields(body, required=False)
        if isinstance(fields, str):
            return self._error("error_param", fields)
        item.update(fields)
        return self._ok({"item_id": item["item_id"]})

    def api_product__update_price(self, request: Request) -> Response:
        body = request.get_json(silent=True) or {}
        item = self._item(body.get("item_id", ""))
        if item is None:
            return self._error("error_item_not_found", "Item not found.")
        [entry] = body["price_list"]
        item["price"] = entry["original_price"]
        return self._ok({"success_list": [{"model_id": 0, "original_price": item["price"]}], "failure_list": []})

    def api_product__update_stock(self, request: Request) -> Response:
        body = request.get_json(silent=True) or {}
        item = self._item(body.get("item_id", ""))
        if item is None:
            return self._error("error_item_not_found", "Item not found.")
        [entry] = body["stock_list"]
        item["stock"] = entry["seller_stock"][0]["stock"]
        return self._ok({"success_list": [{"model_id": 0, "stock": item["stock"]}], "failure_list": []})

    def api_product__unlist_item(self, request: Request) -> Response:
        body = request.get_json(silent=True) or {}
        done = []
        for entry in body.get("item_list", []):
            item = self._item(entry["item_id"])
            if item is not None:
                item["status"] = "UNLIST" if entry["unlist"] else "NORMAL"
                done.append({"item_id": item["item_id"], "unlist": entry["unlist"]})
        return self._ok({"success_list": done, "failure_list": []})

    def api_product__search_item(self, request: Request) -> Response:
        sku = request.args.get("item_sku")
        if not sku:
            return self._error("error_param", "A search needs item_sku or item_name.")
        ids = sorted(item["item_id"] for item in self.items.values() if item["sku"] == sku)
        return self._ok({"item_id_list": ids, "total_count": len(ids)})

    def api_product__get_item_base_info(self, request: Request) -> Response:
        wanted = [int(value) for value in request.args.get("item_id_list", "").split(",") if value]
        listed = []
        for item_id in wanted:
            item = self.items.get(item_id)
            if item:
                listed.append(
                    {
                        "item_id": item_id,
                        "item_sku": item["sku"],
                        "item_name": item["item_name"],
                        "description": item["description"],
                        "category_id": item["category_id"],
                        "weight": item["weight"],
                        "item_status": item["status"],
                        "price_info": [{"original_price": item["price"], "current_price": item["price"]}],
                        "stock_info_v2": {"seller_stock": [{"stock": item["stock"]}]},
                    }
                )
        return self._ok({"item_list": listed})

    def api_order__get_order_list(self, request: Request) -> Response:
        args = request.args
        if args.get("time_range_field") not in ("create_time", "update_time"):
            return self._error("error_param", "time_range_field is required.")
        try:
            time_from, time_to, page_size = int(args["time_from"]), int(args["time_to"]), int(args["page_size"])
        except (KeyError, ValueError):
            return self._error("error_param", "time_from, time_to and page_size are required.")
        if not 0 < time_to - time_from <= 15 * 24 * 3600:
            return self._error("error_param", "time_from and time_to must be at most 15 days apart.")
        if not 1 <= page_size <= 100:
            return self._error("error_param", "page_size must be 1-100.")
        field = args["time_range_field"]
        matching = [order for order in self.orders if time_from <= order[field] <= time_to]
        offset = int(args.get("cursor") or 0)
        page = matching[offset : offset + page_size]
        more = offset + page_size < len(matching)
        self.order_queries.append((time_from, time_to))
        return self._ok(
            {
                "order_list": [{"order_sn": order["order_sn"]} for order in page],
                "more": more,
                "next_cursor": str(offset + page_size) if more else "",
            }
        )

    def api_order__get_order_detail(self, request: Request) -> Response:
        wanted = set(request.args.get("order_sn_list", "").split(","))
        if len(wanted) > 50:
            return self._error("error_param", "At most 50 order_sn a call.")
        return self._ok({"order_list": [order for order in self.orders if order["order_sn"] in wanted]})

    def add_order(self, order_sn: str, lines: list[tuple[str, int]], at: int | None = None) -> None:
        items = [{"item_sku": sku, "model_sku": "", "model_quantity_purchased": quantity} for sku, quantity in lines]
        moment = int(time.time()) if at is None else at
        self.orders.append(
            {
                "order_sn": order_sn,
                "item_list": items,
                "order_status": "READY_TO_SHIP",
                "create_time": moment,
                "update_time": moment,
            }
        )

    def set_order_status(self, order_sn: str, status: str, at: int | None = None) -> None:
        [order] = [order for order in self.orders if order["order_sn"] == order_sn]
        order["order_status"], order["update_time"] = status, int(time.time()) if at is None else at


# --- Lazada -----------------------------------------------------------------------------


class FakeLazada(FakeMarketplace):
    """Lazada Open Platform: /rest + API path, signed system parameters, XML payloads, `code` "0" = ok."""

    def __init__(self, **options):
        super().__init__(**options)
        self.migrated_images: list[bytes] = []
        self.refused_images = 0

    def rate_limited(self) -> Response:
        return _json({"type": "ISP", "code": "ApiCallLimit", "message": "Too many calls.", "request_id": "r"})

    def _error(self, code: str, message: str) -> Response:
        return _json({"type": "ISV", "code": code, "message": message, "request_id": "r"})

    def _ok(self, data) -> Response:
        return _json({"code": "0", "data": data, "request_id": "r"})

    def _check_signature(self, api_path: str, params: dict) -> Response | None:
        for name in ("app_key", "timestamp", "sign_method", "sign", "access_token"):
            if not params.get(name):
                return self._error("MissingParameter", f"{name} is required.")
        if params["app_key"] != LAZADA["app_key"]:
            return self._error("InvalidAppKey", "Unknown app_key.")
        if params["sign_method"] != "sha256":
            return self._error("InvalidSignMethod", "sign_method must be sha256.")
        if abs(time.time() * 1000 - int(params["timestamp"])) > 7_200_000:
            return self._error("InvalidTimestamp", "Timestamp is out of range.")
        # Written apart from the adapter on purpose: the two must agree (and both with lazop-sdk).
        text = api_path
        for key in sorted(params):
            if key != "sign":
                text += key + params[key]
        expected = hmac.new(LAZADA["app_secret"].encode(), text.encode(), hashlib.sha256).hexdigest().upper()
        if not hmac.compare_digest(expected, params["sign"]):
            return self._error("IncompleteSignature", "The request signature does not conform to platform standards")
        if params["access_token"] != LAZADA["access_token"]:
            return self._error("IllegalAccessToken", "The specified access token is invalid or expired")
        return None

    def handle(self, request: Request) -> Response:
        api_path = request.path.removeprefix("/rest")
        params = {key: value for key, value in request.values.items()}
        refused = self._check_signature(api_path, params)
        if refused is not None:
            return refused
        handler = getattr(self, "api_" + api_path.strip("/").replace("/", "__"), None)
        if handler is None:
            return self._error("InvalidApiPath", "The specified API path is invalid.")
        with self.lock:
            return handler(params)

    def _payload(self, params: dict) -> ElementTree.Element | str:
        try:
            root = ElementTree.fromstring(params.get("payload", ""))
        except ElementTree.ParseError:
            return "payload is not well-formed XML."
        return root if root.tag == "Request" else "payload must be a <Request>."

    def api_image__migrate(self, params: dict) -> Response:
        root = self._payload(params)
        if isinstance(root, str) or not root.findtext("Image/Url", "").startswith("http"):
            return self._error("InvalidImage", "Image/Url is required.")
        url = root.findtext("Image/Url")
        # Lazada downloads the picture itself, and takes JPG or PNG only.
        try:
            fetched = requests.get(url, timeout=5)
        except requests.RequestException:
            return self._error("InvalidImage", "Image/Url could not be downloaded.")
        if fetched.status_code != 200 or not fetched.content.startswith(IMAGE_MAGIC):
            self.refused_images += 1
            return self._error("InvalidImage", "Image/Url must be a JPG or PNG picture.")
        self.migrated_images.append(fetched.content)
        hosted = f"https://vn-live.slatic.net/p/{hashlib.sha1(url.encode()).hexdigest()[:24]}.jpg"
        return self._ok({"image": {"url": hosted, "hash_code": hosted[-28:-4]}})

    def _product_fields(self, product: ElementTree.Element, required: bool) -> dict | str:
        fields = {}
        values = {
            "category": product.findtext("PrimaryCategory"),
            "name": product.findtext("Attributes/name"),
            "description": product.findtext("Attributes/description"),
            "brand": product.findtext("Attributes/brand"),
            "sku": product.findtext("Skus/Sku/SellerSku"),
            "weight": product.findtext("Skus/Sku/package_weight"),
            "images": [image.text for image in product.findall("Skus/Sku/Images/Image")],
        }
        for key, value in values.items():
            if not value:
                if required:
                    return f"{key} is required."
                continue
            fields[key] = value
        if any(not url.startswith("https://vn-live.slatic.net/") for url in fields.get("images", [])):
            return "Images must be hosted by Lazada (use /image/migrate)."
        return fields

    def api_product__create(self, params: dict) -> Response:
        root = self._payload(params)
        if isinstance(root, str):
            return self._error("InvalidPayload", root)
        product = root.find("Product")
        fields = self._product_fields(product, required=True) if product is not None else "Product is required."
        if isinstance(fields, str):
            return self._error("201", fields)
        price, quantity = product.findtext("Skus/Sku/price"), product.findtext("Skus/Sku/quantity")
        if not price or not quantity:
            return self._error("201", "price and quantity are required.")
        item_id = self.new_id()
        self.items[item_id] = {
            "item_id": item_id,
            **fields,
            "price": int(float(price)),
            "stock": int(quantity),
            "status": "active",
        }
        sku_list = [{"seller_sku": fields["sku"], "sku_id": item_id * 10, "shop_sku": f"{item_id}_VNAMZ"}]
        return self._ok({"item_id": item_id, "sku_list": sku_list})

    def api_product__update(self, params: dict) -> Response:
        root = self._payload(params)
        product = None if isinstance(root, str) else root.find("Product")
        item = self.items.get(int(product.findtext("ItemId") or 0)) if product is not None else None
        if item is None:
            return self._error("208", "Item not found.")
        fields = self._product_fields(product, required=False)
        if isinstance(fields, str):
            return self._error("201", fields)
        item.update(fields)
        return self._ok({})

    def api_product__price_quantity__update(self, params: dict) -> Response:
        root = self._payload(params)
        if isinstance(root, str):
            return self._error("InvalidPayload", root)
        for sku in root.findall("Product/Skus/Sku"):
            item = self.items.get(int(sku.findtext("ItemId") or 0))
            if item is None or item["sku"] != sku.findtext("SellerSku"):
                return self._error("208", "SKU not found.")
            if sku.findtext("Price"):
                item["price"] = int(float(sku.findtext("Price")))
            if sku.findtext("Quantity"):
                item["stock"] = int(sku.findtext("Quantity"))
        return self._ok({})

    def api_product__remove(self, params: dict) -> Response:
        skus = json.loads(params.get("seller_sku_list", "[]"))
        if not skus:
            return self._error("MissingParameter", "seller_sku_list is required.")
        for item_id in [item_id for item_id, item in self.items.items() if item["sku"] in skus]:
            del self.items[item_id]
        return self._ok({})

    def api_products__get(self, params: dict) -> Response:
        skus = set(json.loads(params.get("sku_seller_list", "[]")))
        products = [
            {
                "item_id": item["item_id"],
                "primary_category": int(item["category"]),
                "attributes": {"name": item["name"], "description": item["description"], "brand": item["brand"]},
                "skus": [
                    {
                        "SellerSku": item["sku"],
                        "price": f"{item['price']}.00",
                        "quantity": item["stock"],
                        "Status": item["status"],
                        "package_weight": item["weight"],
                    }
                ],
            }
            for item in self.items.values()
            if not skus or item["sku"] in skus
        ]
        return self._ok({"total_products": len(products), "products": products})

    def api_orders__get(self, params: dict) -> Response:
        if params.get("update_after"):
            after, field = datetime.fromisoformat(params["update_after"]), "updated_at"
        elif params.get("created_after"):
            after, field = datetime.fromisoformat(params["created_after"]), "created_at"
        else:
            return self._error("MissingParameter", "created_after or update_after is required.")
        limit, offset = int(params.get("limit", 100)), int(params.get("offset", 0))
        if not 1 <= limit <= 100:
            return self._error("InvalidParameter", "limit must be 1-100.")
        matching = sorted(
            (order for order in self.orders if order[field] >= after.timestamp()), key=lambda order: order[field]
        )
        orders = [
            {
                "order_id": order["order_id"],
                "statuses": sorted({item["status"] for item in order["order_items"]}),
                "updated_at": _lazada_time(order["updated_at"]),
            }
            for order in matching[offset : offset + limit]
        ]
        return self._ok({"count": len(orders), "countTotal": len(matching), "orders": orders})

    def api_orders__items__get(self, params: dict) -> Response:
        wanted = set(json.loads(params.get("order_ids", "[]")))
        return self._ok(
            [
                {"order_id": order["order_id"], "order_items": order["order_items"]}
                for order in self.orders
                if order["order_id"] in wanted
            ]
        )

    def add_order(self, order_id: int, lines: list[tuple[str, int]], at: int | None = None) -> None:
        items = [
            {"sku": sku, "order_item_id": index, "status": "pending"}
            for sku, quantity in lines
            for index in range(quantity)
        ]
        moment = int(time.time()) if at is None else at
        self.orders.append({"order_id": order_id, "order_items": items, "created_at": moment, "updated_at": moment})

    def set_order_status(self, order_id: int, status: str, at: int | None = None) -> None:
        [order] = [order for order in self.orders if order["order_id"] == order_id]
        for item in order["order_items"]:
            item["status"] = status
        order["updated_at"] = int(time.time()) if at is None else at


def _lazada_time(moment: int) -> str:
    """Lazada's own way of writing a time: '2026-12-01 17:00:00 +0700'."""
    return datetime.fromtimestamp(moment, timezone(timedelta(hours=7))).strftime("%Y-%m-%d %H:%M:%S %z")
