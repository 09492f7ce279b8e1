"""With a broker, a payment's invoices are issued by a real Celery worker (Redis on 127.0.0.1)."""

from __future__ import annotations

import pytest

from tests.invoices.invoice_helpers import (
    every_invoice_checked,  # noqa: F401 - the fixture
    invoices_of,
    invoicing_shelf,
    pay,
    place,
    use_rails,
)
from tests.sync.test_sync_celery import celery_redis  # noqa: F401 - the fixture

pytestmark = [pytest.mark.parametrize("backend", ["sqlite"]), pytest.mark.usefixtures("every_invoice_checked")]


def test_a_paid_order_is_invoiced_by_the_celery_worker(app, empty_client, celery_redis, monkeypatch):  # noqa: F811
    from celery.contrib.testing.worker import start_worker

    from catalogue.invoices import tasks
    from catalogue.orders.services import find_order
    from catalogue.tasks import make_celery

    # The worker's task builds its own app from the environment: point it at this test's database.
    monkeypatch.setenv("CATALOGUE_ENV", "testing")
    monkeypatch.setenv("SECRET_KEY", app.config["SECRET_KEY"])
    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    celery = make_celery(celery_redis)
    task = celery.task(name="catalogue.invoices.tasks.invoice_order")(tasks.invoice_order.run)
    monkeypatch.setattr(tasks, "invoice_order", task)
    app.config["CELERY_BROKER_URL"] = celery_redis
    use_rails(app)
    shelf = invoicing_shelf()
    placed = place(empty_client, (shelf["mien"], 1), (shelf["men_la"], 1))

    pay(empty_client, placed, 1)  # queues the job; nothing is issued in the request
    assert invoices_of(placed["code"]) == []
    with start_worker(celery, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        again = task.delay(find_order(placed["code"]).id).get(timeout=60)  # runs after the queued job

    assert again == []  # the payment's job issued them; a second run issues nothing
    assert [(i.series, i.number) for i in invoices_of(placed["code"])] == [("C26TAA", 1), ("C26TBB", 1)]
