"""What clients do to a running cluster, over HTTPS through nginx: the office's sign-in and certificate upload,
a shopper's order, the bank's SePay webhook. Shared by tests/cluster and bench/cluster.py, bench/soak.py."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
import zlib

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from catalogue.invoices import signing
from tests.cluster.harness import ROOT, Cluster

OFFICE_EMAIL, OFFICE_PASSWORD = "office@cluster.test", "Van-phong-OCOP-Quang-Ninh-2026!"
CERTIFICATE_PASSWORD = "mật-khẩu-chứng-thư"
_transactions = itertools.count(900_001)


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def browser(cluster: Cluster, name: str | None = None) -> requests.Session:
    """A browser-like client through nginx over HTTPS: to node `name` only, or to the balanced site."""
    session = requests.Session()
    session.verify = False
    session.trust_env = False  # else REQUESTS_CA_BUNDLE in the environment overrides verify=False
    base = cluster.via_nginx(name) if name else cluster.base
    session.headers["Referer"] = f"{base}/portal/login"
    session.base = base
    return session


def sign_in(session: requests.Session, email: str, password: str) -> requests.Response:
    page = session.get(f"{session.base}/portal/login", timeout=10)
    return session.post(f"{session.base}/portal/login", data={"csrf_token": csrf(page.text), "email": email,
                        "password": password}, timeout=10, allow_redirects=False)  # fmt: skip


def invoicing_producers(cluster: Cluster, count: int) -> list[dict]:
    """Producers the seed set up to invoice (a valid tax code), each with one public product in stock."""
    listed = requests.get(f"{cluster.base}/api/v1/products?per_page=100", verify=False, timeout=10).json()["items"]
    public = {item["id"] for item in listed}
    rows = cluster.sql(
        "SELECT r.id, r.tax_code, p.id, p.stock FROM producers r JOIN invoice_settings s ON s.producer_id = r.id "
        "JOIN products p ON p.producer_id = r.id WHERE s.enabled AND p.stock >= 50 ORDER BY r.id, p.id"
    )
    chosen: dict[int, dict] = {}
    for producer_id, tax_code, product_id, stock in rows:
        if product_id in public and producer_id not in chosen:
            chosen[producer_id] = {"id": producer_id, "tax_code": tax_code, "product_id": product_id, "stock": stock}
    if len(chosen) < count:
        raise RuntimeError(f"only {len(chosen)} invoicing producers with a public product in stock")
    return list(chosen.values())[:count]


UPLOAD = """
import datetime, json, sys
from catalogue import create_app
from catalogue.accounts.models import SCOPES
from catalogue.accounts.principal import Principal
from catalogue.invoices.settings import upload_certificate

office = Principal(user_id=None, role="admin", producer_id=None, scopes=frozenset(SCOPES), label="cluster office")
with create_app().app_context():
    for producer_id, path, password in json.loads(sys.argv[1]):
        data = open(path, "rb").read()
        upload_certificate(office, producer_id, data, password, datetime.datetime.now(datetime.UTC))
"""


def upload_certificates(cluster: Cluster, producers: list[dict]) -> None:
    """The office's certificate upload (catalogue.invoices.settings.upload_certificate, what the portal's form
    calls), run on the host with the cluster's settings: the portal's own path needs the office's second factor.
    Production signs only with a producer's own certificate, sealed in the shared bucket."""
    uploads = []
    for producer in producers:
        identity = signing.make_identity(producer["tax_code"], f"Chu the {producer['id']}")
        data = pkcs12.serialize_key_and_certificates(
            b"cluster", identity.key, identity.certificate, None,
            serialization.BestAvailableEncryption(CERTIFICATE_PASSWORD.encode()),
        )  # fmt: skip
        path = cluster.folder / f"producer-{producer['id']}.p12"
        path.write_bytes(data)
        uploads.append((producer["id"], str(path), CERTIFICATE_PASSWORD))
    done = subprocess.run([sys.executable, "-c", UPLOAD, json.dumps(uploads)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env=cluster.environment(via_host=True))  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"certificate upload failed:\n{done.stdout}\n{done.stderr}")


def order_body(product_ids: list[int], email: str, quantity: int = 1) -> dict:
    return {
        "lines": [{"product_id": product_id, "quantity": quantity} for product_id in product_ids],
        # a phone of the buyer's own: the per-contact order limit counts across the whole module
        "customer": {
            "name": "Nguyễn Thị Lan",
            "email": email,
            "phone": "09" + str(zlib.crc32(email.encode()) % 10**8).zfill(8),
        },
        "shipping_address": {"line1": "12 đường Hạ Long", "ward": "Phường Bãi Cháy", "province": "Quảng Ninh"},
        "payment_method": "vietqr",
    }


def place(session: requests.Session, base: str, product_ids: list[int], email: str) -> requests.Response:
    return session.post(f"{base}/api/v1/orders", json=order_body(product_ids, email), verify=False, timeout=30)


def pay_by_sepay(session: requests.Session, cluster: Cluster, placed: dict) -> requests.Response:
    """The bank's feed (SePay) reports the shopper's transfer: signed with the cluster's API key."""
    environment = cluster.environment()
    number = next(_transactions)
    payment = placed["payment"]
    body = {
        "id": number, "gateway": "Vietcombank", "transactionDate": "2026-11-21 14:02:37",
        "accountNumber": environment["VIETQR_ACCOUNT_NO"], "code": None, "content": payment["content"],
        "transferType": "in", "transferAmount": payment["amount_vnd"], "accumulated": 19_077_000,
        "subAccount": None, "referenceCode": f"FT{number}", "description": f"BankAPINotify {payment['content']}",
    }  # fmt: skip
    return session.post(
        f"{cluster.base}/webhooks/bank-transfer",
        data=json.dumps(body, ensure_ascii=False).encode(),
        headers={
            "Authorization": f"Apikey {environment['BANK_WEBHOOK_API_KEY']}",
            "Content-Type": "application/json",
        },  # fmt: skip
        verify=False,
        timeout=30,
    )
