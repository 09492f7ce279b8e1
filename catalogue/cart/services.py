"""Cart rules: only products on sale, never more than the stock, prices from the server.

The cart itself is a plain mapping {product_id: quantity} that the storefront keeps
in the signed session; these functions take it and return a new one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from catalogue.errors import InvalidInput, NotFound
from catalogue.products.models import Product
from catalogue.products.services import products_by_ids

MAX_QUANTITY = 99
MAX_LINES = 50


@dataclass(frozen=True)
class CartNotice:
    """Something the shopper should know: `kind` is limited, sold_out or unavailable."""

    kind: str
    product_name: str
    available: int = 0


@dataclass(frozen=True)
class CartLine:
    product: Product
    quantity: int
    unit_price_vnd: int | None = None  # a live session's price, when the checkout comes from its page

    @property
    def total_vnd(self) -> int:
        return (self.product.price_vnd if self.unit_price_vnd is None else self.unit_price_vnd) * self.quantity


@dataclass
class PricedCart:
    """The cart as shown: lines still on sale, totals in VND, and notices."""

    lines: list[CartLine]
    notices: list[CartNotice] = field(default_factory=list)

    @property
    def total_vnd(self) -> int:
        return sum(line.total_vnd for line in self.lines)

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)


def add_item(cart: dict[int, int], product_id: int, quantity: int, today: date) -> tuple[dict[int, int], list]:
    """Add `quantity` of a product; capped at the stock, refused when sold out."""
    return set_quantity(cart, product_id, cart.get(product_id, 0) + quantity, today)


def set_quantity(cart: dict[int, int], product_id: int, quantity: int, today: date) -> tuple[dict[int, int], list]:
    """Set a line's quantity (0 removes it); capped at the stock and at 99."""
    if quantity < 0 or quantity > MAX_QUANTITY * 100:
        raise InvalidInput("Quantity is out of range.", {"quantity": [f"Must be between 0 and {MAX_QUANTITY}."]})
    updated = dict(cart)
    if quantity == 0:
        updated.pop(product_id, None)
        return updated, []
    product = products_by_ids([product_id], today).get(product_id)
    if product is None:
        raise NotFound("This product is not on sale.")
    if product.stock == 0:
        updated.pop(product_id, None)
        return updated, [CartNotice("sold_out", product.name)]
    if product_id not in updated and len(updated) >= MAX_LINES:
        raise InvalidInput("The cart is full.", {"product_id": [f"At most {MAX_LINES} different products."]})
    allowed = min(quantity, product.stock, MAX_QUANTITY)
    updated[product_id] = allowed
    notices = [CartNotice("limited", product.name, allowed)] if allowed < quantity else []
    return updated, notices


def price_cart(cart: dict[int, int], today: date) -> tuple[PricedCart, dict[int, int]]:
    """Price the cart now; lines no longer on sale or in stock are dropped or reduced, with notices."""
    products = products_by_ids(list(cart), today)
    lines, notices, kept = [], [], {}
    for product_id, quantity in cart.items():
        product = products.get(product_id)
        if product is None:
            notices.append(CartNotice("unavailable", ""))
            continue
        if product.stock == 0:
            notices.append(CartNotice("sold_out", product.name))
            continue
        allowed = min(quantity, product.stock)
        if allowed < quantity:
            notices.append(CartNotice("limited", product.name, allowed))
        lines.append(CartLine(product, allowed))
        kept[product_id] = allowed
    return PricedCart(lines, notices), kept


def at_prices(cart: PricedCart, prices: dict[int, int]) -> PricedCart:
    """The cart shown at a live session's prices (each only where 0 < price ≤ the product's price now)."""
    lines = [
        CartLine(line.product, line.quantity, price)
        if (price := prices.get(line.product.id)) is not None and 0 < price <= line.product.price_vnd
        else line
        for line in cart.lines
    ]
    return PricedCart(lines, cart.notices)
