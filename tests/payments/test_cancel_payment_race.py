"""A buyer's cancel racing the bank transfer that pays the same order, through gunicorn workers.

Each trial places an order over HTTP, then releases the buyer's cancel and the bank feed's
notice at the same instant into different worker processes. Whichever lands first, the
order ends consistent: paid once (the cancel refused, or the late payment taking its stock
again), its history a single chain with no two transitions out of one state, the stock
conserved and the money counted once.
"""

from __future__ import annotations

from collections import Counter

import pytest
import requests
from sqlalchemy import func, select

from catalogue.extensions import db
from catalogue.orders.models import Order, OrderEvent
from catalogue.payments.models import Payment
from tests.live import gunicorn_serving, race
from tests.order_helpers import body, shelf, stock_of
from tests.payments.rail_helpers import BANK_FEEDS, SEPAY_KEY, VIETQR, sepay_body

TRIALS = 20
QUANTITY = 2
# The trials place an order the moment the last race ended (its bank-feed and cancel requests are pages to the
# waiting room's pace): the suite's waiting room settings (off) go along; the waiting room has its own tests.
SERVED_SETTINGS = ("CATALOGUE_ENV", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "SQLALCHEMY_ENGINE_OPTIONS", "MEDIA_ROOT",
                   "CATALOGUE_TODAY", "PUBLIC_BASE_URL", "PASSWORD_HASH_METHOD", "ORDER_PLACEMENTS_IN_FLIGHT",
                   "ORDER_PLACEMENTS_PER_SECOND")  # fmt: skip


def _served_config(app) -> dict:
    """The test app's database and settings, with VietQR and the bank feeds on and Stripe off."""
    config = {name: app.config[name] for name in SERVED_SETTINGS if app.config.get(name) is not None}
    config["CATALOGUE_TODAY"] = str(config["CATALOGUE_TODAY"])
    return {**config, **VIETQR, **BANK_FEEDS, "RATELIMIT_ENABLED": False}


def _place(session: requests.Session, base: str, product_id: int) -> dict:
    placed = session.post(
        f"{base}/api/v1/orders", json=body((product_id, QUANTITY), payment_method="vietqr"), timeout=30
    )
    assert placed.status_code == 201, placed.text
    return placed.json()


def _cancel_or_pay(base: str, order: dict, transaction_id: int):
    def act(index: int) -> tuple[str, int, object]:
        if index == 0:
            answer = requests.post(f"{base}/api/v1/orders/{order['code']}/cancel", timeout=60,
                                   headers={"Authorization": f"Bearer {order['access_token']}"})  # fmt: skip
            return "cancel", answer.status_code, None
        transfer = sepay_body(transaction_id, order["payment"]["content"], order["total_vnd"])
        answer = requests.post(f"{base}/webhooks/bank-transfer", json=transfer, timeout=60,
                               headers={"Authorization": f"Apikey {SEPAY_KEY}"})  # fmt: skip
        return "pay", answer.status_code, answer.json().get("outcomes")

    return act


def _history(code: str) -> list[tuple[str | None, str]]:
    order_id = db.session.scalar(select(Order.id).where(Order.code == code))
    return list(
        db.session.execute(
            select(OrderEvent.from_status, OrderEvent.to_status)
            .where(OrderEvent.order_id == order_id)
            .order_by(OrderEvent.id)
        ).tuples()
    )


def _received(code: str) -> int:
    order_id = db.session.scalar(select(Order.id).where(Order.code == code))
    return db.session.scalar(
        select(func.coalesce(func.sum(Payment.amount_vnd), 0)).where(
            Payment.order_id == order_id, Payment.kind == "payment", Payment.state == "received"
        )
    )


@pytest.mark.slow
def test_a_cancel_and_a_payment_at_once_leave_every_order_paid_once(app):
    product = shelf()["mien"]
    product.stock = TRIALS * QUANTITY
    db.session.commit()
    initial = product.stock
    seen = Counter()

    with gunicorn_serving(_served_config(app), workers=3) as base, requests.Session() as session:
        for _ in range(3):  # every worker booted before the first race
            session.get(f"{base}/healthz", timeout=30)
        for trial in range(TRIALS):
            order = _place(session, base, product.id)
            answers = dict(
                (who, (status, outcome)) for who, status, outcome in race(2, _cancel_or_pay(base, order, 9000 + trial))
            )

            db.session.expire_all()
            final = db.session.scalar(select(Order).where(Order.code == order["code"]))
            history = _history(order["code"])
            seen[(answers["cancel"][0], tuple(answers["pay"][1] or ()))] += 1
            assert answers["pay"][0] == 200, answers
            assert answers["cancel"][0] in (200, 403), answers  # cancelled, or refused because it was paid
            # One chain: each step starts where the last one ended, so nothing left one state twice.
            assert [start for start, _ in history] == [None] + [end for _, end in history[:-1]], history
            assert final.status == "paid" and final.stock_held, (answers, history)
            assert _received(order["code"]) == order["total_vnd"]
            if answers["cancel"][0] == 200:  # the cancel won: the payment came late and took the stock again
                assert [end for _, end in history] == ["pending_payment", "cancelled", "paid"], history
            else:  # the payment won: the buyer is told to ask the shop
                assert [end for _, end in history] == ["pending_payment", "paid"], history

    holding = db.session.scalar(select(func.count(Order.id)).where(Order.stock_held.is_(True)))
    assert holding == TRIALS
    assert stock_of(product) == initial - TRIALS * QUANTITY  # conserved: every unit is on a paid order
    print(f"interleavings seen: {dict(seen)}")
