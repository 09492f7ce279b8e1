"""Checkout and the buyer's view of an order (contract §4)."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from catalogue.orders import wiring
from catalogue.orders.schemas import OrderRequestSchema, OrderSchema, PlacedOrderSchema
from catalogue.orders.services import Address, Customer, LineRequest
from catalogue.payments import payment_gateway

orders = Blueprint("orders", __name__, url_prefix="/orders", description="Checkout and orders.")
blueprints = (orders,)


def bearer_token() -> str | None:
    """The token of `Authorization: Bearer …` (or `?token=` for links sent to buyers)."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.args.get("token")


@orders.route("")
class Orders(MethodView):
    @orders.arguments(OrderRequestSchema)
    @orders.response(201, PlacedOrderSchema)
    @orders.alt_response(409, description="A line cannot be reserved; nothing was reserved.")
    @orders.alt_response(422, description="Invalid input, e.g. an unknown ward.")
    def post(self, body):
        """Checkout: reserve the stock of every line and create the card payment."""
        placed = wiring.place_order(
            [LineRequest(**line) for line in body["lines"]],
            Customer(**body["customer"]),
            Address(**body["shipping_address"]),
        )
        order = placed.order
        order.access_token = placed.access_token
        order.payment = {
            "payment_intent_id": order.payment_intent_id,
            "client_secret": order.payment_client_secret,
            "publishable_key": payment_gateway().publishable_key,
        }
        return order


@orders.route("/<code>")
class OrderByCode(MethodView):
    @orders.response(200, OrderSchema)
    def get(self, code: str):
        """The order, for its buyer (`Authorization: Bearer <access_token>`)."""
        return wiring.order_for_buyer(code, bearer_token())


@orders.route("/<code>/cancel")
class CancelOrder(MethodView):
    @orders.response(200, OrderSchema)
    def post(self, code: str):
        """The buyer cancels before paying; the stock is released at once."""
        return wiring.cancel_by_buyer(code, bearer_token())
