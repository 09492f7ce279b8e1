"""The migrations build exactly the schema the models describe, on both databases."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from catalogue.clock import VIETNAM
from catalogue.extensions import db
from catalogue.models_base import as_utc
from catalogue.orders.models import Order
from catalogue.reports import sales
from catalogue.reports.periods import Period
from catalogue.reports.rollup import settle_pending_days
from tests.fakes import intent_event, signed
from tests.order_helpers import body, shelf
from tests.payments.rail_helpers import post_sepay, sepay_body, use_rails


def _differences(connection):
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    ignored_tables = {"product_search", "alembic_version"}
    return [
        difference
        for difference in compare_metadata(context, db.metadata)
        if not _is_search_index(difference, ignored_tables)
    ]


def _is_search_index(difference, ignored_tables) -> bool:
    """The full-text index is dialect-specific SQL, outside the models by design."""
    kind, obj = difference[0], difference[1]
    if kind == "remove_table":
        return obj.name in ignored_tables or obj.name.startswith("product_search_")
    if kind == "remove_index":
        return obj.name == "ix_products_search_text"
    return False


def test_models_and_migrations_agree(app):
    with db.engine.connect() as connection:
        assert _differences(connection) == []


def test_full_text_index_exists_after_upgrade(app, backend):
    inspector = inspect(db.engine)
    if backend == "sqlite":
        assert "product_search" in inspector.get_table_names()
    else:
        assert "ix_products_search_text" in {index["name"] for index in inspector.get_indexes("products")}


@pytest.mark.slow
def test_downgrade_to_base_and_upgrade_again(app):
    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM products")).scalar() == 0
        assert _differences(connection) == []


def test_the_upgrade_names_the_rail_whose_money_completed_each_paid_order(app, empty_client):
    # given, as 0016 left them: an order chosen VNPay last, paid 150 000 by transfer then 50 000 by MoMo,
    # and an order still waiting with 10 000 received
    use_rails(app)
    products = shelf()
    paid, waiting = (
        empty_client.post("/api/v1/orders", json=body((products["mien"].id, 2), payment_method="vietqr")).get_json()
        for _ in range(2)
    )
    post_sepay(empty_client, sepay_body(1, paid["payment"]["content"], 150_000))
    post_sepay(empty_client, sepay_body(2, paid["payment"]["content"], 50_000))
    post_sepay(empty_client, sepay_body(3, waiting["payment"]["content"], 10_000))
    db.session.execute(text("UPDATE payments SET method = 'momo' WHERE provider_transaction_id = '2'"))
    db.session.execute(text("UPDATE orders SET payment_method = 'vnpay' WHERE code = :code"), {"code": paid["code"]})
    db.session.commit()
    day = as_utc(db.session.scalar(select(Order.created_at).where(Order.code == paid["code"]))).astimezone(VIETNAM)
    period = Period("custom", day.date(), day.date())
    assert [row.key for row in sales.sales_by("rail", period, day.date()) if row.orders] == ["vietqr"]
    db.session.rollback()  # the report's read ends, so the downgrade's DDL does not wait for it
    downgrade(revision="0016_rails")

    # when the database is upgraded
    upgrade()

    # then the paid order is settled by the rail of the 50 000 that completed it, the waiting one by none,
    # and the rollup of its day is rebuilt under that rail
    db.session.expire_all()
    settled = dict(db.session.execute(text("SELECT code, settled_by FROM orders")).all())
    assert settled == {paid["code"]: "momo", waiting["code"]: None}
    settle_pending_days()  # what the beat job does with the days the upgrade marked (reads never write)
    assert [row.key for row in sales.sales_by("rail", period, day.date()) if row.orders] == ["momo"]


def test_the_rails_upgrade_keeps_every_payment_and_takes_a_new_rail(app, empty_client):
    # given, as 0015 left them: an order with a transfer on it
    use_rails(app)
    placed = empty_client.post("/api/v1/orders", json=body((shelf()["mien"].id, 1), payment_method="vietqr"))
    post_sepay(empty_client, sepay_body(1, placed.get_json()["payment"]["content"], 10_000))
    db.session.commit()
    downgrade(revision="0015_money_desk")
    before = db.session.execute(text("SELECT id, order_id, method, amount_vnd FROM payments ORDER BY id")).all()
    db.session.rollback()  # the read ends, so the upgrade's DDL does not wait for it

    # when the database is upgraded
    upgrade()

    # then every row is as it was, and a payment by a rail the 0009 constraint did not list is taken
    db.session.expire_all()
    assert db.session.execute(text("SELECT id, order_id, method, amount_vnd FROM payments ORDER BY id")).all() == before
    assert db.session.scalar(text("SELECT count(*) FROM order_lines")) == 1
    db.session.execute(
        text("INSERT INTO payments (order_id, kind, state, method, provider, reference, amount_vnd, reason, details, "
             "occurred_at, created_at, resolved_by) VALUES (:order_id, 'payment', 'received', 'zalopay', 'zalopay', "
             "'r', 1, '', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '')"),
        {"order_id": before[0].order_id},
    )  # fmt: skip
    db.session.commit()


def test_the_stripe_upgrade_folds_processed_events_into_the_ledger_so_a_replay_stays_a_duplicate(app, empty_client):
    # given, as 0017 left them: a card order paid before the ledger kept Stripe's rows (no attempt, no payment),
    # its success recorded only in processed_webhook_events
    placed = empty_client.post("/api/v1/orders", json=body((shelf()["mien"].id, 2))).get_json()
    code, intent = placed["code"], placed["payment"]["payment_intent_id"]
    db.session.rollback()
    downgrade(revision="0017_settled_by")
    db.session.execute(text("DELETE FROM payments"))
    db.session.execute(text("UPDATE orders SET status = 'paid', settled_by = 'stripe' WHERE code = :code"),
                       {"code": code})  # fmt: skip
    db.session.execute(
        text("INSERT INTO processed_webhook_events (provider, event_id, event_type, order_code, received_at) "
             "VALUES ('stripe', 'evt_old', 'payment_intent.succeeded', :code, CURRENT_TIMESTAMP)"),
        {"code": code},
    )  # fmt: skip
    db.session.commit()

    # when the database is upgraded
    upgrade()

    # then the PaymentIntent is the order's attempt, its money the payment keyed by it, the table gone,
    # and the same event played again is a duplicate that changes nothing
    db.session.expire_all()
    total = placed["total_vnd"]
    rows = db.session.execute(
        text("SELECT kind, state, provider_transaction_id, amount_vnd FROM payments ORDER BY id")
    ).all()
    assert [tuple(row) for row in rows] == [
        ("attempt", "succeeded", f"attempt:{intent}", total),
        ("payment", "received", intent, total),
    ]
    assert "processed_webhook_events" not in inspect(db.engine).get_table_names()
    data, signature = signed(intent_event("evt_old", "succeeded", intent, code, amount=total))
    again = empty_client.post("/webhooks/stripe", data=data, headers={"Stripe-Signature": signature})
    assert again.get_json() == {"received": True, "outcome": "duplicate"}


def test_the_sort_key_upgrade_recomputes_stored_name_keys_so_a_space_sorts_first(app):
    """Issue 23: keys stored before 0022 put "Bánh" before "Ba kích"; the upgrade recomputes them."""
    from catalogue.producers.models import Producer
    from catalogue.products.models import Product
    from tests import factories

    data = factories.reference_data()
    maker = factories.producer("HTX Bông tai", data["binh_lieu"])
    factories.producer("HTX Bộ gốm", data["binh_lieu"])
    factories.product("Bánh gật gù", maker, data["processed"])
    factories.product("Ba kích tím", maker, data["processed"])
    db.session.commit()

    def products():
        return db.session.scalars(select(Product.name).order_by(Product.name_sort_key)).all()

    def producers():
        return db.session.scalars(select(Producer.name).order_by(Producer.name_sort_key)).all()

    downgrade(revision="0025_live_sessions")
    db.session.expire_all()
    assert products() == ["Bánh gật gù", "Ba kích tím"]  # as 0025 left them
    assert producers() == ["HTX Bông tai", "HTX Bộ gốm"]
    db.session.rollback()

    upgrade()

    db.session.expire_all()
    assert products() == ["Ba kích tím", "Bánh gật gù"]
    assert producers() == ["HTX Bộ gốm", "HTX Bông tai"]
