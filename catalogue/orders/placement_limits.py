"""Order placement is limited: units per line and per order, orders per client and per contact.

Placing an order reserves stock for RESERVATION_MINUTES without paying. Unbounded, an anonymous
client reserved a product's whole stock in three requests and did it again every 15 minutes. So:

- a line may hold at most ORDER_MAX_UNITS_PER_LINE units and an order ORDER_MAX_UNITS_PER_ORDER
  (a refusal names the cap: a buyer who needs more calls the shop);
- a client (its address) may place ORDER_LIMIT_PER_CLIENT orders, and one email or one phone
  number ORDER_LIMIT_PER_CONTACT (limits' notation: "10 per hour", "5/hour;20/day").

Attempts are counted in Flask-Limiter's storage (RATELIMIT_STORAGE_URI: Redis in production, so
every worker and node agrees), before the stock is touched: a burst of concurrent requests is
counted one by one, and an attempt refused for another reason still counts (the reservation is the
abuse, not the payment). Each is set by the office in the environment; defaults below.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from http import HTTPStatus

from limits import RateLimitItem, parse_many

from catalogue.errors import DomainError, InvalidInput
from catalogue.extensions import limiter

DEFAULTS = {
    "ORDER_MAX_UNITS_PER_LINE": 20,
    "ORDER_MAX_UNITS_PER_ORDER": 50,
    "ORDER_LIMIT_PER_CLIENT": "10 per hour;30 per day",
    "ORDER_LIMIT_PER_CONTACT": "5 per hour;15 per day",
}


class TooManyOrders(DomainError):
    """Too many orders from this client or contact just now; `limit` says which limit, for the refusal."""

    http_status = HTTPStatus.TOO_MANY_REQUESTS

    def __init__(self, message: str, who: str, limit: RateLimitItem) -> None:
        super().__init__(message, {who: [f"At most {limit}."]})
        self.who, self.limit = who, limit


def setting(config: Mapping, name: str):
    """The office's setting `name`, or its default."""
    value = config.get(name)
    return DEFAULTS[name] if value in (None, "") else value


def check_units(config: Mapping, quantities: Sequence[int]) -> None:
    """InvalidInput naming `lines` when a line or the whole order holds more units than the caps allow."""
    per_line, per_order = (
        int(setting(config, "ORDER_MAX_UNITS_PER_LINE")),
        int(setting(config, "ORDER_MAX_UNITS_PER_ORDER")),
    )
    errors = {
        str(index): {"quantity": [f"At most {per_line} units of one product per order."]}
        for index, quantity in enumerate(quantities)
        if quantity > per_line
    }
    if errors:
        raise InvalidInput(
            f"At most {per_line} units of one product per order; call the shop for more.", {"lines": errors}
        )
    if sum(quantities) > per_order:
        raise InvalidInput(
            f"At most {per_order} units per order ({sum(quantities)} asked); call the shop for more.",
            {"lines": [f"At most {per_order} units per order."]},
        )


def contact_keys(email: str, phone: str) -> list[tuple[str, str]]:
    """The buyer's email (case-folded) and phone (digits, +84 read as 0) as they are counted."""
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("84") and len(digits) > 9:
        digits = "0" + digits[2:]
    keys = [("email", (email or "").strip().casefold())]
    if digits:
        keys.append(("phone", digits))
    return keys


def count_attempt(config: Mapping, client: str, email: str, phone: str) -> None:
    """Count this placement for the client and each contact; TooManyOrders (nothing placed) past a limit."""
    if not limiter.enabled or limiter.limiter is None:
        return
    strategy = limiter.limiter
    counted = [("client", client, setting(config, "ORDER_LIMIT_PER_CLIENT"))]
    counted += [(who, value, setting(config, "ORDER_LIMIT_PER_CONTACT")) for who, value in contact_keys(email, phone)]
    for who, value, limits in counted:
        for limit in parse_many(str(limits)):
            if not strategy.hit(limit, str(config.get("RATELIMIT_KEY_PREFIX") or ""), "order-placement", who, value):
                raise TooManyOrders(
                    f"Too many orders from this {'address' if who == 'client' else who} (at most {limit}); "
                    "try again later or call the shop.",
                    who,
                    limit,
                )
