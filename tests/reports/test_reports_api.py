"""GET /api/v1/reports/sales: the province's figures for the office, a producer's own; refusals as JSON."""

from __future__ import annotations

import pytest

from catalogue.accounts import services as accounts
from tests.access_helpers import auth
from tests.reports.report_fixtures import province

NOVEMBER = "period=month&month=2026-11"


@pytest.fixture(params=["sqlite"])
def backend(request):
    """The figures are checked on both databases in test_reports; here what the API says and refuses."""
    return request.param


@pytest.fixture
def world(app):
    made = province()
    accounts.create_user("office@example.com", "mật khẩu đủ dài 123", "admin")
    accounts.create_user("a@example.com", "mật khẩu đủ dài 123", "producer", made["a"].slug)
    made["tokens"] = {
        "admin": accounts.create_token("office@example.com", ["admin"])[0],
        "a": accounts.create_token("a@example.com", ["orders:read"])[0],
        "a_catalogue_only": accounts.create_token("a@example.com", ["catalogue:write"])[0],
    }
    return made


def test_the_office_reads_the_provinces_sales_by_channel(app, world):
    response = app.test_client().get(
        f"/api/v1/reports/sales?group_by=channel&{NOVEMBER}", headers=auth(world["tokens"]["admin"])
    )

    assert response.status_code == 200
    assert response.json == {
        "group_by": "channel",
        "period": {"kind": "month", "from": "2026-11-01", "to": "2026-11-30"},
        "producer": None,
        "totals": {"orders": 5, "units": 10, "revenue_vnd": 1_105_000},
        "rows": [
            {"key": "shop", "label": "shop", "orders": 3, "units": 6, "revenue_vnd": 730_000},
            {"key": "shopee", "label": "shopee", "orders": 1, "units": 3, "revenue_vnd": 255_000},
            {"key": "lazada", "label": "lazada", "orders": 1, "units": 1, "revenue_vnd": 120_000},
            {"key": "tiktok", "label": "tiktok", "orders": 0, "units": 0, "revenue_vnd": 0},
        ],
    }


def test_a_producer_reads_its_own_and_the_office_reads_anyones(app, world):
    client = app.test_client()
    custom = "from=2026-11-01&to=2026-11-30"

    own = client.get(f"/api/v1/reports/sales?group_by=stars&{custom}", headers=auth(world["tokens"]["a"]))
    office = client.get(
        f"/api/v1/reports/sales?group_by=stars&{custom}&producer={world['a'].slug}",
        headers=auth(world["tokens"]["admin"]),
    )

    assert own.status_code == office.status_code == 200
    assert own.json == office.json
    assert own.json["producer"] == world["a"].slug
    assert own.json["totals"] == {"orders": 2, "units": 5, "revenue_vnd": 425_000}
    assert [(row["key"], row["revenue_vnd"]) for row in own.json["rows"]] == [
        ("5", 0), ("4", 425_000), ("3", 0), (None, 0),
    ]  # fmt: skip


REFUSALS = [
    (None, "group_by=month", 401, {}),
    ("a_catalogue_only", "group_by=month", 403, {}),
    ("a", "group_by=month&producer=cong-ty-ruou-van-don", 403, {}),
    ("admin", "group_by=weather", 422, {"group_by": [
        "Must be one of: month, locality, stars, group, channel, rail, product, producer."]}),
    ("admin", "group_by=month&colour=red", 422, {"colour": ["Unknown field."]}),
    ("admin", "period=month&month=2026-13", 422, {"month": ["Tháng phải có dạng NNNN-TT, ví dụ 2026-12."]}),
    ("admin", "from=2026-11-30&to=2026-11-01", 422, {"to": ["Ngày kết thúc không được trước ngày bắt đầu."]}),
    ("admin", "from=2026-11-31&to=2026-12-01", 422, {"from": ["Not a valid date."]}),
    ("admin", "producer=no-such-producer", 404, {}),
]  # fmt: skip


def test_refusals_are_json(app, world):
    client = app.test_client()

    for token, query, status, errors in REFUSALS:
        response = client.get(f"/api/v1/reports/sales?{query}", headers=auth(world["tokens"][token] if token else None))

        assert (query, response.status_code) == (query, status)
        assert response.json["code"] == status and response.json["errors"] == errors


def test_the_access_matrix(app):
    from tests.access_helpers import ROLES, cast

    made = cast()
    client = app.test_client()
    owner = made["owner_producer"].slug
    expected = {
        "own": {"owner": 200, "other_producer": 200, "sync_token": 403, "anonymous": 401, "admin": 200},
        "the owner's": {"owner": 200, "other_producer": 403, "sync_token": 403, "anonymous": 401, "admin": 200},
    }

    answers = {
        name: {
            role: client.get(f"/api/v1/reports/sales{query}", headers=auth(made["tokens"][role])).status_code
            for role in ROLES
        }
        for name, query in (("own", ""), ("the owner's", f"?producer={owner}"))
    }

    assert answers == expected
