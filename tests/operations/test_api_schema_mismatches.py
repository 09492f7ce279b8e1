"""What the OpenAPI document says and what the API does agree (issue 22, "Schema mismatches")."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from catalogue.extensions import db
from catalogue.traceability.models import Lot
from tests.access_helpers import auth, cast
from tests.traceability.traceability_helpers import a_lot

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])  # no database-specific behaviour here


def test_the_openapi_document_validates(client, backend):
    document = client.get("/api/v1/openapi.json").get_json()

    validate(document)  # raises on an invalid document (a default that breaks its own format was one)
    invoice = document["components"]["schemas"]["InvoiceRequest"]["properties"]["email"]
    assert "default" not in invoice


def test_a_null_order_cursor_is_accepted_as_documented_and_never_moves_one_back(empty_client, backend):
    world = cast()
    token, url = auth(world["tokens"]["sync_token"]), "/api/v1/sync/cursors/shopee/orders"

    never = empty_client.put(url, json={"updated_after": None}, headers=token)
    assert never.status_code == 200 and never.get_json() == {"updated_after": None}
    assert empty_client.put(url, json={"updated_after": 1_764_000_000}, headers=token).status_code == 200
    assert empty_client.put(url, json={"updated_after": None}, headers=token).status_code == 409
    assert empty_client.get(url, headers=token).get_json() == {"updated_after": 1_764_000_000}


def test_a_patch_that_changes_nothing_is_a_422(app, backend):
    world = cast()
    lot = a_lot(world["product"])
    client = app.test_client()
    owner = auth(world["tokens"]["owner"])
    product_url = f"/api/v1/products/{world['product'].id}"
    lot_url = f"{product_url}/lots/{lot.id}"

    for url, headers in ((product_url, {**owner, "If-Match": "*"}), (lot_url, owner)):
        empty = client.patch(url, json={}, headers=headers)
        assert empty.status_code == 422, url
        assert empty.get_json()["errors"] == {"_schema": ["The body names no field to change."]}, url
        no_body = client.patch(url, headers=headers)  # no body at all
        assert (no_body.status_code, no_body.get_json()["code"]) == (422, 422), (url, no_body.get_json())
    db.session.expire_all()
    assert db.session.get(Lot, lot.id).quantity == 5
