"""The Celery beat schedule runs the periodic jobs; each job is the same service as its CLI command."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from catalogue import clock
from catalogue.extensions import db
from catalogue.orders.models import Order
from tests.order_helpers import body, shelf, stock_of


def test_beat_schedules_the_servers_jobs_and_the_workers_apart():
    from catalogue.tasks import make_celery as server_celery
    from marketplace_sync.tasks import make_celery as worker_celery

    server = server_celery("redis://127.0.0.1:6379/5").conf.beat_schedule
    worker = worker_celery("redis://127.0.0.1:6379/5").conf.beat_schedule

    assert {name: entry["task"] for name, entry in server.items()} == {
        "notice-expired-certificates": "catalogue.tasks.notice_expired",
        "expire-reservations": "catalogue.tasks.expire_reservations",
        "send-invoices": "catalogue.invoices.tasks.send_due",
        "settle-sales-rollup": "catalogue.tasks.settle_sales_rollup",
        "retry-mail": "catalogue.tasks.retry_mail",
        "delivery-sweep": "catalogue.delivery.tasks.sweep",
        "flush-scans": "catalogue.tasks.flush_scans",
    }
    assert {name: entry["task"] for name, entry in worker.items()} == {
        "sync-shopee": "marketplace_sync.tasks.sync_marketplace",
        "sync-lazada": "marketplace_sync.tasks.sync_marketplace",
        "orders-shopee": "marketplace_sync.tasks.import_orders",
        "orders-lazada": "marketplace_sync.tasks.import_orders",
        "sync-tiktok": "marketplace_sync.tasks.sync_marketplace",
        "orders-tiktok": "marketplace_sync.tasks.import_orders",
    }
    assert server["expire-reservations"]["schedule"] == 60
    assert server["settle-sales-rollup"]["schedule"] == 60


@pytest.mark.parametrize("backend", ["sqlite"])
def test_expire_reservations_task_releases_stock(app, empty_client, monkeypatch, backend):
    from catalogue.tasks import expire_reservations

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


@pytest.mark.parametrize("backend", ["sqlite"])
def test_settle_sales_rollup_task_rebuilds_the_days_left_pending(app, monkeypatch, backend):
    from datetime import date

    from sqlalchemy import insert

    from catalogue.reports.models import SalesPendingDay
    from catalogue.tasks import settle_sales_rollup

    db.session.execute(insert(SalesPendingDay).values([{"day": date(2026, 11, 15)}, {"day": date(2026, 11, 16)}]))
    db.session.commit()
    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    monkeypatch.setenv("CATALOGUE_ENV", "testing")
    monkeypatch.setenv("SECRET_KEY", "test")

    assert settle_sales_rollup.run() == 2
    assert list(db.session.scalars(select(SalesPendingDay.day))) == []
