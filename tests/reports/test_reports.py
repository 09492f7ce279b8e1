"""The reports' figures against the hand-worked province of tests/reports/report_fixtures.py.

On SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date

import pytest

from catalogue.errors import InvalidInput
from catalogue.reports import catalogue_figures as figures
from catalogue.reports import indicators, sales
from catalogue.reports.periods import Period, custom_period, period_from
from tests.conftest import TODAY
from tests.reports.report_fixtures import province

NOVEMBER = Period("month", date(2026, 11, 1), date(2026, 11, 30))


def _rows(rows) -> list[tuple]:
    return [(row.key, row.orders, row.units, row.revenue_vnd) for row in rows]


@pytest.fixture
def world(app):
    return province()


def test_the_provinces_november_counts_paid_and_marketplace_sales_once_each(world):
    assert sales.totals(NOVEMBER) == sales.SalesRow(None, "", 5, 10, 1_105_000)
    assert sales.refunded(NOVEMBER) == sales.SalesRow(None, "", 1, 1, 85_000)
    assert _rows(sales.sales_by("channel", NOVEMBER, TODAY)) == [
        ("shop", 3, 6, 730_000),
        ("shopee", 1, 3, 255_000),
        ("lazada", 1, 1, 120_000),
        ("tiktok", 0, 0, 0),  # every marketplace has its row
    ]
    assert _rows(sales.sales_by("rail", NOVEMBER, TODAY)) == [
        ("vietqr", 1, 3, 290_000),
        ("vnpay", 1, 1, 200_000),
        ("momo", 0, 0, 0),  # O3 was refunded
        ("zalopay", 0, 0, 0),  # every rail the shop knows has its row
        ("stripe", 1, 2, 240_000),
        (None, 2, 4, 375_000),  # the marketplaces do not say how their buyers paid
    ]
    # O1 has a line from each locality, so it counts once in each row.
    assert [
        (row.label, row.orders, row.units, row.revenue_vnd) for row in sales.sales_by("locality", NOVEMBER, TODAY)
    ] == [
        ("Vân Đồn", 4, 5, 680_000),
        ("Bình Liêu", 2, 5, 425_000),
    ]
    assert _rows(sales.sales_by("stars", NOVEMBER, TODAY)) == [
        (5, 0, 0, 0),
        (4, 2, 5, 425_000),
        (3, 3, 4, 480_000),
        (None, 1, 1, 200_000),  # p3's certificate lapsed: it holds no stars today
    ]
    assert [(row.key, row.orders, row.revenue_vnd) for row in sales.sales_by("group", NOVEMBER, TODAY)] == [
        ("thuc-pham", 3, 625_000),
        ("do-uong", 3, 480_000),
    ]
    top = sales.sales_by("product", NOVEMBER, TODAY)
    assert [(row.label, row.orders, row.units, row.revenue_vnd) for row in top] == [
        ("Rượu mơ", 3, 4, 480_000),
        ("Miến dong", 2, 5, 425_000),
        ("Trà hoa vàng", 1, 1, 200_000),
    ]
    assert [(row.key, row.revenue_vnd) for row in sales.sales_by("producer", NOVEMBER, TODAY)] == [
        (world["b"].id, 680_000),
        (world["a"].id, 425_000),
    ]
    assert [producer.name for producer in sales.producers_without_sales(NOVEMBER)] == ["HTX Chè Bình Liêu"]
    assert indicators.cashless_share(sales.sales_by("rail", NOVEMBER, TODAY)).share == 1.0
    # The shop's three sold orders (O1, O2, O5), none invoiced yet; marketplace orders are theirs to invoice.
    assert indicators.invoiced_share(NOVEMBER) == indicators.Share(0, 3, target=0.9)
    with pytest.raises(InvalidInput) as refused:
        sales.sales_by("weather", NOVEMBER, TODAY)
    assert list(refused.value.errors) == ["group_by"]


def test_months_follow_vietnams_calendar_and_list_the_empty_ones(world):
    year = period_from({"period": "year", "year": "2026"}, TODAY)
    by_month = _rows(sales.sales_by("month", year, TODAY))

    assert [row[0] for row in by_month] == [f"2026-{month:02d}" for month in range(1, 13)]
    assert by_month[9] == ("2026-10", 0, 0, 0)  # O5 was placed at 00:30 on 1 November, Vietnam time
    assert by_month[10] == ("2026-11", 5, 10, 1_105_000)
    assert by_month[11] == ("2026-12", 1, 1, 85_000)  # O6: 00:30 on 1 December
    assert sales.totals(custom_period("2026-12-01", "2026-12-01")).revenue_vnd == 85_000


def test_a_producer_sees_only_its_own_lines(world):
    a, b = world["a"].id, world["b"].id

    assert sales.totals(NOVEMBER, a) == sales.SalesRow(None, "", 2, 5, 425_000)  # O1's p1 line and S1
    assert sales.totals(NOVEMBER, b) == sales.SalesRow(None, "", 4, 5, 680_000)
    assert sales.refunded(NOVEMBER, a).revenue_vnd == 85_000
    assert sales.refunded(NOVEMBER, b).orders == 0
    assert [row.label for row in sales.sales_by("product", NOVEMBER, TODAY, a)] == ["Miến dong"]
    assert _rows(sales.sales_by("channel", NOVEMBER, TODAY, b)) == [
        ("shop", 3, 4, 560_000),
        ("shopee", 0, 0, 0),
        ("lazada", 1, 1, 120_000),
        ("tiktok", 0, 0, 0),
    ]
    assert sales.totals(NOVEMBER, world["c"].id) == sales.SalesRow(None, "", 0, 0, 0)
    _overview_agrees_with_each_grouping([None, a, b])


def test_the_catalogue_today(world):
    assert [(row.key, row.products) for row in figures.on_sale_by("stars", TODAY)] == [(5, 0), (4, 2), (3, 1)]
    assert [(row.key, row.products) for row in figures.on_sale_by("group", TODAY)] == [("thuc-pham", 2), ("do-uong", 1)]
    assert [(row.key, row.products) for row in figures.on_sale_by("locality", TODAY)] == [
        ("binh-lieu", 2),
        ("van-don", 1),
    ]
    assert [(row.key, row.products) for row in figures.on_sale_by("group", TODAY, world["b"].id)] == [("do-uong", 1)]
    lapsing = figures.lapsing_certificates(TODAY)
    assert [(row.product_name, row.expires_on, row.days_left, row.window) for row in lapsing] == [
        ("Chè Bình Liêu", date(2026, 12, 10), 19, 30),
        ("Rượu mơ", date(2027, 1, 20), 60, 60),
    ]
    assert [row.product_name for row in figures.lapsing_certificates(TODAY, world["a"].id)] == []
    found = figures.gaps(TODAY)
    assert {gap: [name for _, name in rows] for gap, rows in found.items()} == {
        "photo": ["Chè Bình Liêu", "Rượu mơ"],
        "weight": ["Rượu mơ"],
        "marketplace": ["Chè Bình Liêu"],  # pending on Shopee is not live
    }
    assert figures.gap_counts(TODAY) == {"photo": 2, "weight": 1, "marketplace": 1}
    coverage = figures.marketplace_coverage(TODAY)
    assert [(row.marketplace, row.live, row.on_sale) for row in coverage] == [
        ("shopee", 1, 3),
        ("lazada", 1, 3),
        ("tiktok", 0, 3),
    ]
    assert coverage[0].share == pytest.approx(1 / 3)


def _overview_agrees_with_each_grouping(producers: list) -> None:
    """The page's one-statement overview says what each grouping's own query says."""
    for producer_id in producers:
        overview = sales.sales_overview(NOVEMBER, TODAY, producer_id)

        for grouping in ("locality", "stars", "group", "product", "producer"):
            assert overview[grouping] == sales.sales_by(grouping, NOVEMBER, TODAY, producer_id), grouping
        for grouping in ("month", "channel", "rail"):
            assert sales.from_cells(grouping, overview["cells"], NOVEMBER) == sales.sales_by(
                grouping, NOVEMBER, TODAY, producer_id
            )
        assert sales.totals_from(overview["cells"]) == sales.totals(NOVEMBER, producer_id)


def _rollup_rows() -> list[tuple]:
    from sqlalchemy import select

    from catalogue.extensions import db
    from catalogue.reports.rollup import settle_pending_days

    settle_pending_days()
    from catalogue.reports.models import SalesDay, SalesDayProduct

    db.session.expire_all()
    return [
        *db.session.execute(select(SalesDay.__table__).order_by(*SalesDay.__table__.primary_key.columns)).all(),
        *db.session.execute(
            select(SalesDayProduct.__table__).order_by(*SalesDayProduct.__table__.primary_key.columns)
        ).all(),
    ]


def test_the_rollup_follows_each_status_change_and_equals_a_rebuild(app, world):

    from catalogue.extensions import db
    from catalogue.orders.locking import lock_order
    from catalogue.orders.services import transition
    from catalogue.reports.rollup import rebuild

    o1 = lock_order("QN-O1")
    transition(o1, "refund_pending", "the office cancelled it")
    db.session.rollback()  # a change rolled back leaves the rollup as it was
    assert sales.totals(NOVEMBER).revenue_vnd == 1_105_000

    o1 = lock_order("QN-O1")
    transition(o1, "refund_pending", "the office cancelled it")
    o7 = lock_order("QN-O7")
    transition(o7, "paid", "paid at last")
    db.session.commit()

    assert sales.totals(NOVEMBER) == sales.SalesRow(None, "", 5, 8, 900_000)  # − O1 (3, 290.000) + O7 (1, 85.000)
    assert sales.refunded(NOVEMBER) == sales.SalesRow(None, "", 2, 4, 375_000)
    maintained = _rollup_rows()
    rebuild(db.session.connection(), date(2026, 10, 1), date(2026, 12, 31))
    db.session.commit()
    assert _rollup_rows() == maintained


def test_the_invoiced_share_counts_an_order_once_each_of_its_producers_invoiced(world):
    from sqlalchemy import select

    from catalogue.extensions import db
    from catalogue.orders.models import Order
    from tests.invoices.invoice_helpers import HOUSEHOLD_TAX_CODE, issue_for

    world["b"].tax_code = HOUSEHOLD_TAX_CODE  # each producer its own valid tax code
    o1, o2 = (db.session.scalar(select(Order).where(Order.code == code)) for code in ("QN-O1", "QN-O2"))
    issue_for(o1, world["a"])  # O1 has b's line too, which b has not invoiced
    issue_for(o2, world["b"])  # O2's only producer

    assert indicators.invoiced_share(NOVEMBER) == indicators.Share(1, 3, target=0.9)
    assert indicators.invoiced_share(NOVEMBER, world["a"].id) == indicators.Share(1, 1, target=0.9)
    assert indicators.invoiced_share(NOVEMBER, world["b"].id) == indicators.Share(1, 3, target=0.9)
    assert indicators.invoiced_share(NOVEMBER, world["c"].id) == indicators.Share(0, 0, target=0.9)


def test_a_sale_rebuilds_only_its_day_once_committed_and_a_rollback_rebuilds_nothing(app, world):
    from sqlalchemy import select

    from catalogue.extensions import db
    from catalogue.orders.locking import lock_order
    from catalogue.orders.services import transition
    from catalogue.reports.models import SalesDay, SalesPendingDay
    from tests.conftest import count_statements

    before = _rollup_rows()
    o7 = lock_order("QN-O7")
    transition(o7, "paid", "paid at last")
    db.session.rollback()
    assert list(db.session.scalars(select(SalesPendingDay.day))) == []  # a rollback unmarks
    assert _rollup_rows() == before

    o7 = lock_order("QN-O7")
    transition(o7, "paid", "paid at last")
    with count_statements(db.engine) as statements:
        db.session.commit()

    # The payment's transaction marked 15/11 (Vietnam time); once committed, that day alone was rebuilt.
    assert len([sql for sql in statements if sql.startswith("DELETE FROM sales_days ")]) == 1
    assert list(db.session.scalars(select(SalesPendingDay.day))) == []
    fifteenth = select(SalesDay.orders).where(SalesDay.day == date(2026, 11, 15), SalesDay.producer_id == 0)
    assert list(db.session.scalars(fifteenth)) == [1]
    assert sales.totals(NOVEMBER) == sales.SalesRow(None, "", 6, 11, 1_190_000)  # + O7 (1 × 85.000)


def test_a_day_is_marked_by_the_last_statement_before_the_commit_after_every_stock_row(app, world):
    """A day's mark is one row all of that day's sales write: taken last, it never waits while a sale holds a
    product's row (a shop order writes itself, then takes the stock; a marketplace sale takes the stock first).
    Taken at the flush, a cancellation's mark came before its stock row, and two sales could deadlock."""
    from sqlalchemy import event

    from catalogue.extensions import db
    from catalogue.orders.locking import lock_order
    from catalogue.orders.services import transition
    from catalogue.products.stock import return_stock

    o7 = lock_order("QN-O7")
    transition(o7, "cancelled", "the buyer cancelled")
    db.session.flush()  # the status change is written first, as a cancellation's is
    return_stock(world["p1"].id, 1)  # then the product's row is locked
    sent: list[str] = []

    def statement(_connection, _cursor, sql, *_):
        sent.append(sql)

    def commit(_connection):
        sent.append("COMMIT")

    event.listen(db.engine, "before_cursor_execute", statement)
    event.listen(db.engine, "commit", commit)
    try:
        db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", statement)
        event.remove(db.engine, "commit", commit)

    before_commit = sent[: sent.index("COMMIT")]
    assert [sql.split("(")[0].strip() for sql in before_commit] == ["INSERT INTO sales_pending_days"]


def test_outside_the_tests_a_burst_of_sales_is_settled_once_a_moment_later_not_by_the_sales(app, world):
    import time

    from sqlalchemy import select

    from catalogue.extensions import db
    from catalogue.orders.locking import lock_order
    from catalogue.orders.services import transition
    from catalogue.reports.models import SalesPendingDay
    from tests.conftest import count_statements

    app.config["ROLLUP_SETTLE_DELAY"] = 0.3
    with count_statements(db.engine) as statements:
        o7 = lock_order("QN-O7")
        transition(o7, "paid", "paid at last")
        db.session.commit()
        o1 = lock_order("QN-O1")
        transition(o1, "refund_pending", "the office cancelled it")
        db.session.commit()
        marked = list(db.session.scalars(select(SalesPendingDay.day).order_by(SalesPendingDay.day)))
        db.session.commit()
        deadline = time.monotonic() + 10
        while db.session.scalars(select(SalesPendingDay.day)).first() and time.monotonic() < deadline:
            db.session.commit()
            time.sleep(0.05)

    # O1 was placed on 5/11, O7 on 15/11 (Vietnam time): both pending when the sales returned.
    assert marked == [date(2026, 11, 5), date(2026, 11, 15)]
    assert list(db.session.scalars(select(SalesPendingDay.day))) == []
    assert len([sql for sql in statements if sql.startswith("DELETE FROM sales_pending_days")]) == 1  # one settle
    assert sales.totals(NOVEMBER) == sales.SalesRow(None, "", 5, 8, 900_000)  # − O1 (3, 290.000) + O7 (1, 85.000)


def test_reading_the_reports_writes_nothing_and_leaves_a_lost_settle_to_the_job(app, world):
    from sqlalchemy import insert, select

    from catalogue.extensions import db
    from catalogue.invoices.sweep import coverage
    from catalogue.reports.models import SalesPendingDay
    from catalogue.reports.rollup import settle_pending_days
    from tests.conftest import count_statements

    db.session.execute(insert(SalesPendingDay).values(day=date(2026, 11, 16)))  # a settle that was lost
    db.session.commit()

    with count_statements(db.engine) as statements:
        sales.totals(NOVEMBER)
        sales.sales_overview(NOVEMBER, TODAY, None)
        sales.producers_without_sales(NOVEMBER)
        indicators.invoiced_share(NOVEMBER)
        coverage()
        db.session.commit()

    assert statements and [sql for sql in statements if sql.split()[0] in ("INSERT", "UPDATE", "DELETE")] == []
    assert list(db.session.scalars(select(SalesPendingDay.day))) == [date(2026, 11, 16)]
    assert settle_pending_days() == 1  # what the beat job runs
    assert list(db.session.scalars(select(SalesPendingDay.day))) == []


def test_a_marketplace_cancellation_takes_its_sale_out_of_the_figures(app, world):
    from catalogue import clock
    from catalogue.sync.orders import cancel_marketplace_sale

    sale, changed = cancel_marketplace_sale("shopee", "SP-1", [], clock.now())

    assert changed and sale.cancelled_at is not None
    assert sales.totals(NOVEMBER) == sales.SalesRow(None, "", 4, 7, 850_000)  # − SP-1 (3 × 85.000)
    assert _rows(sales.sales_by("channel", NOVEMBER, TODAY))[1] == ("shopee", 0, 0, 0)
    maintained = _rollup_rows()
    from catalogue.extensions import db
    from catalogue.reports.rollup import rebuild

    rebuild(db.session.connection(), date(2026, 10, 1), date(2026, 12, 31))
    assert _rollup_rows() == maintained


@pytest.mark.parametrize("backend", ["sqlite"])
def test_flask_reports_rebuild_restores_a_lost_rollup(app, world):
    from sqlalchemy import delete

    from catalogue.extensions import db
    from catalogue.reports.models import SalesDay, SalesDayProduct

    kept = _rollup_rows()
    db.session.execute(delete(SalesDay))
    db.session.execute(delete(SalesDayProduct))
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["reports", "rebuild"])

    assert result.exit_code == 0, result.output
    assert result.output == "Rolled up 2026-11-01 – 2026-12-01.\n"
    assert _rollup_rows() == kept
