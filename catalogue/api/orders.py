"""Checkout and the buyer's view of an order (contract §4)."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from flask import request
from flask.views import MethodView
from marshmallow import RAISE, fields, validate

from catalogue import clock
from catalogue.accounts.principal import Principal
from catalogue.accounts.services import TOKEN_PREFIX
from catalogue.api.auth import authenticated, bearer_token, current_principal, require
from catalogue.api.blueprint import ApiBlueprint, refuses, secured
from catalogue.orders import wiring
from catalogue.orders.schemas import (
    OrderRequestSchema,
    OrderSchema,
    ParcelSchema,
    PaymentRequestSchema,
    PaymentSchema,
    PlacedOrderSchema,
    ShipParcelSchema,
    ShippingQuoteRequestSchema,
    ShippingQuoteSchema,
)
from catalogue.orders.services import Address, CompanyInvoice, Customer, LineRequest
from catalogue.payments import payment_gateway
from catalogue.payments.ledger import order_money
from catalogue.products.schemas import NoArgs
from catalogue.urls import absolute_url
from catalogue.waiting_room import places_orders

orders = ApiBlueprint("orders", __name__, url_prefix="/orders", description="Checkout and orders.")
shipping = ApiBlueprint("shipping", __name__, url_prefix="/shipping", description="Delivery fees (contract §8).")
blueprints = (orders, shipping)


def buyer_token() -> str | None:
    """The order's access token: `Authorization: Bearer …`, or `?token=` in links sent to buyers."""
    return bearer_token() or request.args.get("token")


def _staff() -> Principal | None:
    """An API-token caller (producer or OCOP office), as opposed to a buyer with an order token."""
    token = bearer_token()
    return current_principal() if token and token.startswith(TOKEN_PREFIX) else None


class _StaffView:
    """The order as staff see it: the office every line; a producer its own lines and only their amounts.

    A producer sharing an order with another must not learn what the other sold: its subtotal and
    total are its lines', the shipping fee (the buyer's, to the shop) is 0 for it, and the ledger
    shows the order's payment state with its own total only (the buyer's token is never dumped).
    """

    def __init__(self, order, lines, whole: bool) -> None:
        self._order, self.lines = order, lines
        if not whole:
            own = sum(line.line_total_vnd for line in lines)
            self.subtotal_vnd = self.total_vnd = own
            self.shipping_fee_vnd = 0
            self.producer_money = {"state": order_money(order).state, "total_vnd": own}

    def __getattr__(self, name):
        return getattr(self._order, name)


def _for_staff(order, lines, principal: Principal) -> _StaffView:
    view = _StaffView(order, lines, whole=principal.is_admin)
    producers = {line.producer_id for line in lines}
    view.parcels = [parcel for parcel in order.parcels if principal.is_admin or parcel.producer_id in producers]
    return view


def with_some_token(view):
    """Decorator: a 401 before anything else when the caller sends no token at all (the buyer's or staff's).

    A token that does not open this order stays a 404: nobody learns that an order code exists.
    """

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not buyer_token():
            authenticated()  # the 401 with WWW-Authenticate: Bearer
        return view(*args, **kwargs)

    return secured(refuses(401, 403, 404)(wrapper))


class OrderArgs(NoArgs):
    """`?token=` (the order's access token, as the buyer's links carry it) and nothing else."""

    token = fields.String(
        validate=validate.Length(max=200), metadata={"description": "The order's access token, instead of the header."}
    )


@orders.route("")
class Orders(MethodView):
    @places_orders
    @refuses(
        409, 503,
        described={
            409: "A line cannot be reserved; nothing was reserved.",
            503: "Nothing was placed or reserved: as many orders are being placed at this moment as the shop takes at "
                 "once, or as it starts in a second while shoppers browse (`error_code` `order.busy`; send it again "
                 "after the `Retry-After` header's seconds), or the payment provider did not answer "
                 "(`payment.unavailable`).",
        },
    )  # fmt: skip
    @orders.arguments(OrderRequestSchema)
    @orders.response(201, PlacedOrderSchema)
    def post(self, body):
        """Checkout: reserve the stock of every line and start the payment by `payment_method`
        (default: Stripe when configured, else the first rail on)."""
        placed = wiring.place_order(
            [LineRequest(**line) for line in body["lines"]],
            Customer(**body["customer"], company=CompanyInvoice(**body["invoice"]) if "invoice" in body else None),
            Address(**body["shipping_address"]),
            body.get("payment_method"),
        )
        order = placed.order
        order.access_token = placed.access_token
        order.placed_money = placed.money  # None: read when dumped
        order.payment = payment_answer(order, placed.payment, placed.access_token)
        return order


def payment_answer(order, started, access_token: str | None = None) -> dict:
    """The `payment` of an answer: Stripe's intent as today, or what the VietQR / VNPay / MoMo attempt needs."""
    if started is None:
        return {
            "provider": "stripe",
            "payment_intent_id": order.payment_intent_id,
            "client_secret": order.payment_client_secret,
            "publishable_key": payment_gateway().publishable_key,
        }
    answer = {"provider": started.method, "reference": started.reference, "amount_vnd": started.amount_vnd,
              "deadline": started.deadline}  # fmt: skip
    if started.redirect_url:
        answer["redirect_url"] = started.redirect_url
    if started.transfer is not None:
        transfer = started.transfer
        image = absolute_url(f"/orders/{order.code}/vietqr.svg")
        answer.update(
            qr_payload=transfer.payload,
            qr_image_url=f"{image}?{urlencode({'token': access_token})}" if access_token else image,
            bank_bin=transfer.bank_bin,
            account_no=transfer.account_no,
            account_name=transfer.account_name,
            content=transfer.content,
            is_demo=transfer.is_demo,
        )
    return answer


@orders.route("/<code>")
class OrderByCode(MethodView):
    @refuses(404)
    @secured
    @orders.arguments(OrderArgs, location="query", unknown=RAISE)
    @orders.response(200, OrderSchema)
    def get(self, _, code: str):
        """The order: for its buyer (the order's access token), a producer with lines in it
        (`orders:read`; only its lines), or the OCOP office."""
        staff = _staff()
        if staff is not None:
            return _for_staff(*wiring.order_for_staff(code, staff), staff)
        return wiring.order_for_buyer(code, buyer_token())


@orders.route("/<code>/payments")
class OrderPayments(MethodView):
    @with_some_token
    @refuses(409, described={409: "The order no longer waits for a payment."})
    @orders.arguments(PaymentRequestSchema)
    @orders.response(201, PaymentSchema)
    def post(self, body, code: str):
        """The buyer (the order's access token) pays again, maybe by another rail, before the reservation
        expires: VietQR shows what is still due; VNPay and MoMo start a new attempt."""
        started = wiring.start_payment(code, buyer_token(), body["payment_method"])
        return payment_answer(wiring.order_for_buyer(code, buyer_token()), started)


@orders.route("/<code>/cancel")
class CancelOrder(MethodView):
    @with_some_token
    @refuses(
        409, 503,
        described={409: "The rail refused the refund; nothing was returned and the order is unchanged.",
                   503: "The rail could not be reached; the refund was not made and the order is unchanged."},
    )  # fmt: skip
    @orders.arguments(OrderArgs, location="query", unknown=RAISE)
    @orders.response(200, OrderSchema)
    def post(self, _, code: str):
        """The buyer cancels before paying (stock released at once); the OCOP office cancels any order,
        refunding a paid one: through Stripe (it turns `refunded` when Stripe answers the refund `succeeded`,
        or on Stripe's refund event when it was `pending`), through MoMo (it turns `refunded` when MoMo
        confirms the refund), or by hand for bank transfers and VNPay."""
        return wiring.cancel_order(code, _staff(), buyer_token())


@orders.route("/<code>/parcels/<int:parcel_id>/ship")
class ShipParcel(MethodView):
    @require("orders:read")
    @refuses(
        404, 409,
        described={404: "No such parcel in this order, or not the caller's to ship.",
                   409: "The parcel has left already, the order is not paid, or no carrier is configured."},
    )  # fmt: skip
    @orders.arguments(ShipParcelSchema)
    @orders.response(200, ParcelSchema)
    def post(self, body, code: str, parcel_id: int):
        """The parcel's producer (`orders:read`) or the office ships it (contract §8): `{}` books it with the
        configured carrier (a job: asking twice books once; `booking_state` and `last_error` say how it went),
        `{"carrier", "tracking_code"}` records a parcel sent another way."""
        from catalogue.delivery import booking
        from catalogue.extensions import db

        principal = authenticated()
        if body:
            return booking.record_shipped(principal, code, parcel_id, body["carrier"], body["tracking_code"],
                                          clock.now())  # fmt: skip
        parcel = booking.request_booking(principal, code, parcel_id, clock.now())
        db.session.expire_all()  # the job ran after the commit (without a broker): read what it wrote
        return db.session.get(booking.Parcel, parcel.id)


@shipping.route("/quote")
class ShippingQuote(MethodView):
    @shipping.arguments(ShippingQuoteRequestSchema)
    @shipping.response(200, ShippingQuoteSchema)
    def post(self, body):
        """The parcels (one per producer) and fees an order of `lines` to `shipping_address` would get:
        the carrier's fee where one is configured and answers in time, else the shop's zone table.
        422 naming the line for a product without a weight or a parcel over the carrier's limits, and
        `shipping_address.ward` for an unknown ward."""
        address = body["shipping_address"]
        return wiring.quote_delivery(
            [LineRequest(**line) for line in body["lines"]],
            Address(address.get("line1", ""), address["ward"], address["province"]),
        )
