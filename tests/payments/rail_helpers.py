"""Turning the domestic rails on in a test app, and the bank feeds' signed webhooks."""

from __future__ import annotations

import json
import time

from sqlalchemy import select

from catalogue.extensions import db
from catalogue.orders.models import Order
from catalogue.payments import init_payments
from catalogue.payments.bank_feeds import casso_signature
from catalogue.payments.models import Payment
from tests.payments.payment_fakes import MOMO_TEST, VNPAY_TEST

SEPAY_KEY = "sepay-shop-key"
CASSO_KEY = "casso-shop-key"
VIETQR = {"VIETQR_BANK_BIN": "970436", "VIETQR_ACCOUNT_NO": "1023456789", "VIETQR_ACCOUNT_NAME": "HTX OCOP QUANG NINH"}
BANK_FEEDS = {"BANK_WEBHOOK_API_KEY": SEPAY_KEY, "CASSO_WEBHOOK_KEY": CASSO_KEY}
# The seller's facts production needs before it looks at payments (catalogue.config).
OPERATOR = {
    "OPERATOR_NAME": "HTX Dịch vụ OCOP Quảng Ninh", "OPERATOR_ADDRESS": "Số 2 đường Hạ Long, phường Bãi Cháy",
    "OPERATOR_HOTLINE": "0203 3 888 999", "OPERATOR_EMAIL": "hotro@ocop.example.vn",
    "OPERATOR_REGISTRATION_NO": "5701234567", "OPERATOR_REGISTRATION_ISSUER": "Sở Tài chính tỉnh Quảng Ninh",
    "OPERATOR_REGISTRATION_DATE": "2024-01-02",
}  # fmt: skip


def use_rails(app, vnpay_url: str | None = None, momo_url: str | None = None, stripe: bool = True, **settings):
    """Turn on VietQR and the bank feeds (and VNPay / MoMo at the fakes' URLs); Stripe stays as the test gave it."""
    config = {**VIETQR, **BANK_FEEDS, **settings}
    if vnpay_url:
        config.update(VNPAY_TMN_CODE=VNPAY_TEST["tmn_code"], VNPAY_HASH_SECRET=VNPAY_TEST["hash_secret"],
                      VNPAY_URL=vnpay_url)  # fmt: skip
    if momo_url:
        config.update(MOMO_PARTNER_CODE=MOMO_TEST["partner_code"], MOMO_ACCESS_KEY=MOMO_TEST["access_key"],
                      MOMO_SECRET_KEY=MOMO_TEST["secret_key"], MOMO_API_BASE=momo_url)  # fmt: skip
    if not stripe:
        config["PAYMENT_GATEWAY"] = None
    app.config.update(config)
    gateway = app.extensions["payment_gateway"]
    init_payments(app)
    if not stripe:
        app.extensions["payment_gateway"] = gateway  # the fake stays: nothing may reach a real Stripe


def sepay_body(transaction_id: int, content: str, amount: int, direction: str = "in") -> dict:
    """A SePay transaction as it posts it."""
    return {
        "id": transaction_id, "gateway": "Vietcombank", "transactionDate": "2026-11-21 14:02:37",
        "accountNumber": VIETQR["VIETQR_ACCOUNT_NO"], "code": None, "content": content, "transferType": direction,
        "transferAmount": amount, "accumulated": 19_077_000, "subAccount": None,
        "referenceCode": f"FT{transaction_id}", "description": f"BankAPINotify {content}",
    }  # fmt: skip


def post_sepay(client, body: dict, key: str = SEPAY_KEY):
    """POST /webhooks/bank-transfer as SePay does (any client with `.post(url, data=, headers=)`)."""
    return client.post(
        "/webhooks/bank-transfer",
        data=json.dumps(body, ensure_ascii=False).encode(),
        headers={"Authorization": f"Apikey {key}", "Content-Type": "application/json"},
    )


def casso_body(transaction_id: int, description: str, amount: int) -> dict:
    """A Casso v2 transaction (a negative amount is money out)."""
    return {
        "error": 0,
        "data": {
            "id": transaction_id, "reference": f"MB{transaction_id}", "description": description, "amount": amount,
            "runningBalance": 25_000_000, "transactionDateTime": "2026-11-21 15:06:37",
            "accountNumber": VIETQR["VIETQR_ACCOUNT_NO"], "bankName": "Vietcombank", "bankAbbreviation": "VCB",
            "counterAccountName": "NGUYEN THI LAN",
        },
    }  # fmt: skip


def post_casso(client, body: dict, key: str = CASSO_KEY):
    """POST /webhooks/bank-transfer as Casso v2 does, signed with `key`."""
    timestamp = str(int(time.time() * 1000))
    signature = casso_signature(key, timestamp, body)
    return client.post(
        "/webhooks/bank-transfer",
        data=json.dumps(body, ensure_ascii=False, indent=2).encode(),
        headers={"X-Casso-Signature": f"t={timestamp},v1={signature}", "Content-Type": "application/json"},
    )


def ledger_of(code: str | None) -> list[tuple]:
    """(kind, state, method, amount) of an order's rows, or of the rows with no order when `code` is None."""
    db.session.expire_all()
    query = select(Payment).order_by(Payment.id)
    if code is None:
        query = query.where(Payment.order_id.is_(None))
    else:
        query = query.join(Order, Order.id == Payment.order_id).where(Order.code == code)
    return [(row.kind, row.state, row.method, row.amount_vnd) for row in db.session.scalars(query)]


def status_of(code: str) -> str:
    db.session.expire_all()
    return db.session.scalar(select(Order.status).where(Order.code == code))


def all_rows() -> int:
    db.session.expire_all()
    return len(db.session.scalars(select(Payment.id)).all())
