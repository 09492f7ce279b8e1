"""Delivery figures: parcels by status, the share delivered by the carrier's expected day, the average fee
per parcel by zone, returns; a producer's are its own parcels only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from catalogue.delivery.models import OTHER_REGION, SAME_PROVINCE
from catalogue.extensions import db
from catalogue.reports.delivery import delivery_figures
from catalogue.reports.periods import Period
from tests import factories
from tests.access_helpers import a_parcel

NOW = datetime.now(UTC)
PERIOD = Period("custom", (NOW - timedelta(days=3)).date(), (NOW + timedelta(days=3)).date())


def _parcel(code, producer, product, status, fee, zone, expected=None, delivered=None):
    order = factories.order([(product, 1)], code, "paid", stock_held=True)
    db.session.flush()
    parcel = a_parcel(order, producer)
    parcel.status, parcel.fee_vnd, parcel.zone = status, fee, zone
    parcel.expected_delivery, parcel.delivered_at = expected, delivered
    return parcel


def test_figures_count_parcels_on_time_fees_by_zone_and_returns(app):
    ref = factories.reference_data()
    htx = factories.producer("HTX Miến dong Bình Liêu", ref["binh_lieu"])
    home = factories.producer("Hộ Rượu Vân Đồn", ref["van_don"], legal_form="household")
    mien = factories.product("Miến dong", htx, ref["processed"], price_vnd=85000, stock=50)
    ruou = factories.product("Rượu men lá", home, ref["processed"], price_vnd=120000, stock=50)
    db.session.flush()
    day = NOW.replace(hour=0, minute=0, second=0, microsecond=0)
    _parcel("QN-A", htx, mien, "delivered", 30_000, SAME_PROVINCE, expected=day, delivered=day + timedelta(hours=15))
    _parcel("QN-B", htx, mien, "delivered", 40_000, SAME_PROVINCE, expected=day - timedelta(days=2), delivered=day)
    _parcel("QN-C", htx, mien, "returned", 45_000, OTHER_REGION)
    _parcel("QN-D", home, ruou, "in_transit", 38_000, OTHER_REGION)
    _parcel("QN-E", home, ruou, "delivered", 50_000, OTHER_REGION, delivered=day)  # no expected day: not judged
    db.session.commit()

    office = delivery_figures(PERIOD)
    mine = delivery_figures(PERIOD, htx.id)

    assert office.by_status == {"delivered": 3, "returned": 1, "in_transit": 1} and office.parcels == 5
    assert (office.delivered_with_date, office.delivered_on_time, office.on_time_share) == (2, 1, 0.5)
    assert office.fee_by_zone == {SAME_PROVINCE: (2, 35_000), OTHER_REGION: (3, 44_333)}
    assert office.returned == 1
    assert mine.by_status == {"delivered": 2, "returned": 1}
    assert mine.fee_by_zone == {SAME_PROVINCE: (2, 35_000), OTHER_REGION: (1, 45_000)}
    assert delivery_figures(Period("custom", PERIOD.first - timedelta(days=30), PERIOD.first - timedelta(days=20))
                            ).parcels == 0  # fmt: skip
