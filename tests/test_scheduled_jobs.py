"""The Celery beat schedule runs the periodic jobs; each job is the same service as its CLI command."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from catalogue import clock
from catalogue.extensions import db
from catalogue.orders.models import Order
from tests.order_helpers import body, shelf, stock_of


def test_beat_schedules_sync_sales_certificates_and_reservations():
    from catalogue.sync.tasks import make_celery

    schedule = make_celery("redis://127.0.0.1:6379/5").conf.beat_schedule

    assert {name: entry["task"].rsplit(".", 1)[1] for name, entry in schedule.items()} == {
        "sync-shopee": "sync_marketplace",
        "sync-lazada": "sync_marketplace",
        "orders-shopee": "import_sales",
        "orders-lazada": "import_sales",
        "notice-expired-certificates": "notice_expired",
        "expire-reservations": "expire_reservations",
        "send-invoices": "send_due",
    }
    assert schedule["expire-reservations"]["schedule"] == 60


@pytest.mark.parametrize("backend", ["sqlite"])
def test_expire_reservations_task_releases_stock(app, empty_client, monkeypatch, backend):
    from catalogue.sync.tasks import expire_reservations

    products = shelf()
    placed = empty_client.post("/api/v1/orders", json=body((products["mien"].id, 4))).get_json()
    order = db.session.scalar(select(Order).where(Order.code == placed["code"]))
    order.reserved_until = clock.now() - timedelta(minutes=1)
    db.session.commit()
    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    monkeypatch.setenv("CATALOGUE_ENV", "testing")
    monkeypatch.setenv("SECRET_KEY", "test")

    assert expire_reservations.run() == 1
    assert stock_of(products["mien"]) == 10
