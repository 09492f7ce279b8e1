"""The lots API: the list envelope of the rest of the API, English errors, and the ward code it returns accepted."""

from __future__ import annotations

import pytest

from tests.access_helpers import auth, cast
from tests.traceability.traceability_helpers import LOT

BODY = {**LOT, "produced_on": "2026-11-01", "expires_on": "2027-11-01"}


@pytest.fixture
def world(app):
    return cast()


def _post(client, world, body: dict):
    product_id = world["product"].id
    return client.post(f"/api/v1/products/{product_id}/lots", json=body, headers=auth(world["tokens"]["owner"]))


def test_the_list_answers_the_envelope_and_pages(app, world):
    client = app.test_client()
    made = [_post(client, world, {**BODY, "lot_number": f"L-{n}"}).get_json()["id"] for n in range(3)]
    url = f"/api/v1/products/{world['product'].id}/lots"

    everything = client.get(url).get_json()
    second = client.get(url, query_string={"page": 2, "per_page": 2}).get_json()
    too_many = client.get(url, query_string={"per_page": 101})

    assert (everything["total"], everything["page"], everything["per_page"]) == (3, 1, 100)
    assert sorted(item["id"] for item in everything["items"]) == sorted(made)
    assert (second["total"], second["page"], second["per_page"], len(second["items"])) == (3, 2, 2, 1)
    assert too_many.status_code == 422 and "per_page" in too_many.get_json()["errors"]


def test_bad_lots_are_refused_in_english_naming_the_field(app, world):
    client = app.test_client()

    refused = _post(client, world, {**BODY, "origin_ward": "Phường Không Có", "expires_on": "2026-10-01"})

    answer = refused.get_json()
    assert refused.status_code == 422
    assert answer["message"] == "The lot is not valid yet: correct the marked fields."
    assert answer["errors"]["origin_ward"] == ["Choose a ward, commune or special zone of Quảng Ninh."]
    assert answer["errors"]["expires_on"] == ["The best-before date cannot be before the production date."]


def test_the_portal_keeps_its_vietnamese_words(app, world):
    from catalogue.errors import InvalidInput
    from catalogue.traceability import services as lots
    from tests.traceability.test_traceability import TODAY, _principal

    with app.test_request_context(), pytest.raises(InvalidInput) as refused:
        lots.create_lot(_principal("owner@example.com"), world["product"].id, {**LOT, "quantity": 0}, TODAY)

    assert refused.value.errors["quantity"] == ["Số lượng từ 1 đến 10.000.000."]


def test_the_ward_code_a_lot_returns_is_accepted_back(app, world):
    client = app.test_client()
    made = _post(client, world, BODY).get_json()
    code = made["origin_ward"]["code"]

    again = _post(client, world, {**BODY, "lot_number": "L-2", "origin_ward": code})
    changed = client.patch(
        f"/api/v1/products/{world['product'].id}/lots/{made['id']}",
        json={"origin_ward": code.zfill(5)},
        headers=auth(world["tokens"]["owner"]),
    )
    unknown = _post(client, world, {**BODY, "lot_number": "L-3", "origin_ward": "99999"})

    assert code.isdigit()
    assert again.status_code == 201 and again.get_json()["origin_ward"] == made["origin_ward"]
    assert changed.status_code == 200 and changed.get_json()["origin_ward"] == made["origin_ward"]
    assert unknown.status_code == 422 and "origin_ward" in unknown.get_json()["errors"]
