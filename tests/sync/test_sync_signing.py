"""Request signing: Lazada's checked against the official lazop-sdk, Shopee's against the documented base string."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from marketplace_sync.lazada import LazadaCredentials, lazada_sign
from marketplace_sync.lazada import signed_params as lazada_params
from marketplace_sync.shopee import ShopeeCredentials
from marketplace_sync.shopee import signed_params as shopee_params
from tests.sync.marketplace_fakes import LAZADA, FakeLazada

lazop = pytest.importorskip("lazop_sdk", reason="the Lazada oracle needs lazop-sdk (requirements-dev.txt)")


@pytest.mark.parametrize(
    ("api_path", "params"),
    [
        ("/products/get", {"filter": "all", "sku_seller_list": '["QN-BL-0001"]'}),
        ("/product/create", {"payload": "<Request><Product><Attributes><name>Miến dong Bình Liêu</name>"}),
        ("/orders/get", {"created_after": "2026-11-18T00:00:00+07:00", "limit": "100", "offset": "0"}),
    ],
)
def test_lazada_signature_is_the_official_sdks(api_path, params):
    credentials = LazadaCredentials("123456", "s3cr3t-ñ", "tok")

    signed = lazada_params(credentials, api_path, params, timestamp_ms=1795245598963)

    unsigned = {key: value for key, value in signed.items() if key != "sign"}
    assert signed["sign"] == lazop.sign("s3cr3t-ñ", api_path, unsigned)
    assert signed["sign"] == lazada_sign("s3cr3t-ñ", api_path, signed)


def test_the_official_sdk_is_accepted_by_our_fake_lazada():
    with FakeLazada() as fake:
        client = lazop.LazopClient(f"{fake.url}/rest", LAZADA["app_key"], LAZADA["app_secret"], timeout=5)
        request = lazop.LazopRequest("/products/get", "GET")
        request.add_api_param("filter", "all")
        request.add_api_param("sku_seller_list", '["QN-BL-0001"]')

        good = client.execute(request, LAZADA["access_token"])
        forged = lazop.LazopClient(f"{fake.url}/rest", LAZADA["app_key"], "wrong", timeout=5).execute(
            request, LAZADA["access_token"]
        )

    assert good.code == "0" and good.body["data"]["products"] == []
    assert forged.code == "IncompleteSignature"


def test_shopee_signature_follows_the_documented_base_string():
    credentials = ShopeeCredentials(partner_id=2001234, partner_key="k3y", shop_id=770001, access_token="tok")

    shop_call = shopee_params(credentials, "/api/v2/product/add_item", timestamp=1795245598)
    public_call = shopee_params(credentials, "/api/v2/media_space/upload_image", timestamp=1795245598)

    base = "2001234/api/v2/product/add_item1795245598tok770001"
    assert shop_call["sign"] == hmac.new(b"k3y", base.encode(), hashlib.sha256).hexdigest()
    assert (shop_call["access_token"], shop_call["shop_id"]) == ("tok", 770001)
    public_base = "2001234/api/v2/media_space/upload_image1795245598"
    assert public_call["sign"] == hmac.new(b"k3y", public_base.encode(), hashlib.sha256).hexdigest()
    assert "access_token" not in public_call
