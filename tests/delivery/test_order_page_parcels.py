"""Issue 23 said only the first parcel's tracking number showed on the order page; the parcels list
(one per producer) shows each parcel's own tracking number, linked to its carrier."""

from sqlalchemy import select

from catalogue.delivery.models import Parcel
from catalogue.extensions import db
from catalogue.orders.models import Order
from tests.delivery.delivery_helpers import give_pickup
from tests.invoices.invoice_helpers import invoicing_shelf, place
from tests.payments.rail_helpers import use_rails


def test_every_parcels_tracking_number_shows_on_the_order_page(app, empty_client):
    use_rails(app)
    shelf = invoicing_shelf()
    give_pickup(shelf["htx"], "Xã Bình Liêu")
    give_pickup(shelf["home"], "Đặc khu Vân Đồn")
    db.session.commit()
    placed = place(empty_client, (shelf["mien"], 2), (shelf["men_la"], 1))
    order = db.session.scalar(select(Order).where(Order.code == placed["code"]))
    parcels = list(db.session.scalars(select(Parcel).where(Parcel.order_id == order.id).order_by(Parcel.id)))
    assert len(parcels) == 2
    for parcel, code in zip(parcels, ("GHN111AAA", "VTP222BBB"), strict=True):
        parcel.tracking_code = code
    db.session.commit()

    page = empty_client.get(f"/orders/{placed['code']}?token={placed['access_token']}", follow_redirects=True).get_data(
        as_text=True
    )

    assert page.count('data-testid="order-parcel"') == 2
    assert "GHN111AAA" in page and "VTP222BBB" in page
