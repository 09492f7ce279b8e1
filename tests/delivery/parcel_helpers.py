"""A shop with a real carrier adapter talking to its fake (GHN or Viettel Post), two producers with pickup
wards, and a paid VietQR order of both: what the booking, tracking and return tests start from."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from catalogue import clock
from catalogue.accounts import services as accounts
from catalogue.carriers.port import BOOKED, RETURNED
from catalogue.carriers.registry import Carriers
from catalogue.delivery.models import Parcel
from catalogue.delivery.tracking import poll_quiet
from catalogue.extensions import db
from catalogue.orders.models import Order
from tests.delivery.carrier_harness import WEBHOOK_TOKEN, CarrierCase
from tests.delivery.delivery_helpers import give_pickup
from tests.invoices.invoice_helpers import invoicing_shelf, pay
from tests.payments.rail_helpers import use_rails

HANOI = {"line1": "5 Hàng Bạc", "ward": "Phường Hoàn Kiếm", "province": "Hà Nội"}
PASSWORD = "mật khẩu đủ dài 123"


def use_real_carrier(app, case, fake):
    """The shop books with `case`'s adapter pointed at `fake`; its callbacks carry WEBHOOK_TOKEN."""
    adapter = case.make_adapter(fake)
    app.config["CARRIERS"] = Carriers((adapter,))
    app.config[f"{case.name.upper()}_WEBHOOK_TOKEN"] = WEBHOOK_TOKEN
    app.extensions.pop("shipping_quote_cache", None)
    return adapter


def shipping_shelf(app) -> dict:
    """Two producers (an HTX in Bình Liêu, a household in Vân Đồn) with users and API tokens."""
    use_rails(app)
    shelf = invoicing_shelf()
    give_pickup(shelf["htx"], "Xã Bình Liêu")
    give_pickup(shelf["home"], "Đặc khu Vân Đồn")
    db.session.commit()
    accounts.create_user("htx@example.com", PASSWORD, "producer", shelf["htx"].slug)
    accounts.create_user("home@example.com", PASSWORD, "producer", shelf["home"].slug)
    accounts.create_user("office@example.com", PASSWORD, "admin")
    shelf["tokens"] = {
        "htx": accounts.create_token("htx@example.com", ["orders:read"])[0],
        "home": accounts.create_token("home@example.com", ["orders:read"])[0],
        "catalogue_only": accounts.create_token("htx@example.com", ["catalogue:write"])[0],
        "office": accounts.create_token("office@example.com", ["admin"])[0],
    }
    return shelf


def paid_two_producer_order(client, shelf, transaction_id: int = 1) -> dict:
    """A VietQR order of both producers' products to Hà Nội, paid by a signed SePay transfer; the placed answer."""
    from tests.order_helpers import body

    placed = client.post(
        "/api/v1/orders",
        json=body((shelf["mien"].id, 2), (shelf["men_la"].id, 1), payment_method="vietqr", shipping_address=HANOI),
    )
    assert placed.status_code == 201, placed.get_json()
    placed = placed.get_json()
    pay(client, placed, transaction_id)
    return placed


def parcel_of(code: str, producer) -> Parcel:
    db.session.expire_all()
    return db.session.scalar(
        select(Parcel)
        .join(Order, Order.id == Parcel.order_id)
        .where(Parcel.producer_id == producer.id, Order.code == code)  # fmt: skip
    )


def ship(client, code: str, parcel_id: int, token: str | None, body: dict | None = None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post(f"/api/v1/orders/{code}/parcels/{parcel_id}/ship", json=body or {}, headers=headers)


def book_both(client, shelf, code: str) -> None:
    """Each producer books its own parcel of the order with the shop's carrier."""
    for producer, token in ((shelf["htx"], "htx"), (shelf["home"], "home")):
        answer = ship(client, code, parcel_of(code, producer).id, shelf["tokens"][token])
        assert answer.get_json()["status"] == BOOKED, answer.get_json()


def carrier_calls_back(client, case: CarrierCase, fake, tracking_code: str):
    """The carrier's signed status callback for the parcel, as its fake says it; answered 200."""
    call = case.callback(fake, tracking_code, WEBHOOK_TOKEN)
    answer = client.post(f"/webhooks/{case.name}", query_string=dict(call.args), data=call.body,
                         headers={"Content-Type": "application/json"})  # fmt: skip
    assert answer.status_code == 200, answer.get_json()
    return answer


def bring_back(client, case: CarrierCase, fake, parcel: Parcel) -> None:
    """The carrier brings the parcel back and calls back; then calls again, and the sweep polls it too."""
    fake.set_status(parcel.tracking_code, case.native[RETURNED])
    carrier_calls_back(client, case, fake, parcel.tracking_code)
    carrier_calls_back(client, case, fake, parcel.tracking_code)  # replayed
    poll_quiet(clock.now() + timedelta(hours=7))


def parcel_amount(order: Order, parcel: Parcel) -> int:
    """What the buyer paid for a parcel: its producer's lines and its fee."""
    return sum(line.line_total_vnd for line in order.lines if line.producer_id == parcel.producer_id) + parcel.fee_vnd


def seen_by_buyer(client, placed: dict) -> dict:
    """The order as its buyer reads it: GET /api/v1/orders/{code} with the order's token."""
    token = {"Authorization": f"Bearer {placed['access_token']}"}
    answer = client.get(f"/api/v1/orders/{placed['code']}", headers=token)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()
