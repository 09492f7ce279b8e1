"""Producers see each product's state on the marketplaces the sync jobs recorded."""

from tests.access_helpers import auth, cast, portal_client


def test_dashboard_shows_listing_state_and_errors(app, empty_client):
    world = cast()
    sync = auth(world["tokens"]["sync_token"])
    url = f"/api/v1/products/{world['product'].id}/listings"
    empty_client.put(f"{url}/shopee", json={"external_id": "9001", "status": "live", "synced_version": 1}, headers=sync)
    problem = {"status": "error", "error": "No net weight: Lazada needs the weight to work out shipping."}
    empty_client.put(f"{url}/lazada", json=problem, headers=sync)

    html = portal_client(app, world, "owner").get("/portal/").get_data(as_text=True)

    assert "Shopee: đang bán" in html
    # The worker's English sentence is for its log; the producer reads what it means and what to do.
    assert "Lazada: lỗi" in html and "hãy nhập “Khối lượng tịnh (g)” ở trang sản phẩm" in html
    assert "No net weight" not in html


def test_sync_jobs_may_read_listing_state(app, empty_client):
    world = cast()
    response = empty_client.get(
        f"/api/v1/products/{world['product'].id}/listings", headers=auth(world["tokens"]["sync_token"])
    )
    assert response.status_code == 200 and response.get_json() == {"items": []}


def test_the_office_sees_a_products_marketplace_state(app, empty_client):
    world = cast()
    url = f"/api/v1/products/{world['product'].id}/listings/shopee"
    empty_client.put(
        url, json={"external_id": "9001", "status": "delisted"}, headers=auth(world["tokens"]["sync_token"])
    )

    html = (
        portal_client(app, world, "admin").get(f"/portal/admin/products/{world['product'].id}").get_data(as_text=True)
    )

    assert "Shopee: đã gỡ" in html and "#9001" in html
