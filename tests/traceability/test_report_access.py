"""A lot's test report is read under the lot listing's rule (issue 22, "what leaves the shop").

Reports have sequential ids: before, anyone could walk `/lots/reports/1, 2, 3…` and download the
reports of listings that are not public (drafts, paused or unrated products). Now a report is
public only while its product is on sale; otherwise only its producer or the office reads it,
and the answer is never stored by a shared cache.
"""

from __future__ import annotations

import pytest

from catalogue.accounts.principal import SYSTEM
from catalogue.extensions import db
from catalogue.traceability import reports
from tests.access_helpers import auth, cast, portal_client
from tests.traceability.traceability_helpers import a_lot, pdf_bytes


@pytest.fixture
def world(app):
    world = cast()
    lot = a_lot(world["product"])
    world["report"] = reports.add_report(SYSTEM, lot.id, "Phiếu", pdf_bytes(), "kq.pdf")
    return world


def _withdraw(product) -> None:
    product.status = "archived"
    db.session.commit()


def test_a_report_of_a_product_on_sale_is_public_and_cacheable(app, world):
    served = app.test_client().get(f"/lots/reports/{world['report'].id}")

    assert served.status_code == 200
    assert "public" in served.headers["Cache-Control"]


def test_a_stranger_cannot_download_the_report_of_a_listing_that_is_not_public(app, world):
    _withdraw(world["product"])
    url = f"/lots/reports/{world['report'].id}"

    anonymous = app.test_client().get(url)
    other_producer = portal_client(app, world, "other_producer").get(url)
    other_token = app.test_client().get(url, headers=auth(world["tokens"]["other_producer"]))

    assert [anonymous.status_code, other_producer.status_code, other_token.status_code] == [404, 404, 404]
    assert b"%PDF" not in anonymous.data + other_producer.data + other_token.data


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_its_producer_and_the_office_still_read_it_never_through_a_shared_cache(app, world, role):
    _withdraw(world["product"])

    served = portal_client(app, world, role).get(f"/lots/reports/{world['report'].id}")
    by_token = app.test_client().get(f"/lots/reports/{world['report'].id}", headers=auth(world["tokens"][role]))

    assert served.status_code == 200 and served.data.startswith(b"%PDF-")
    assert by_token.status_code == 200
    for answer in (served, by_token):
        assert "private" in answer.headers["Cache-Control"] and "no-store" in answer.headers["Cache-Control"]


def test_the_origin_page_of_a_withdrawn_product_does_not_link_its_reports_to_strangers(app, world):
    _withdraw(world["product"])
    lot = world["report"].lot

    page = app.test_client().get(f"/nguon-goc/{lot.code}")  # the page itself; a bare /t/ GET is a machine's (linkset)

    assert page.status_code == 200
    assert f"/lots/reports/{world['report'].id}" not in page.get_data(as_text=True)
