"""Domain events: the order's state machine says what happened, and whoever cares reacts.

The publisher never imports its subscribers (invoicing, the sales rollup, mail, parcel booking):
`create_app` subscribes them, so `catalogue.orders` does not know `catalogue.invoices` exists
(Saleor's `transaction.on_commit`, Zulip's `send_event_on_commit`). An event is plain values
(ids, codes, statuses), never an ORM row, so an after-commit handler reads fresh state itself.

Each subscription has a phase:

- `IN_TRANSACTION` runs the handler at once, inside the publishing use case: what it writes
  commits or rolls back with the change, and its refusal (an exception) refuses the use case.
  For what must be atomic with the change: the buyer's invoice request is written with the order.
- `AFTER_COMMIT` queues the handler with `transactions.after_commit`: it runs only once the
  outermost use case has committed, never if it is refused, and a failure is logged without
  undoing the change. For what calls out or enqueues (a Celery job, an email): a job enqueued
  before the commit could run before the row it needs exists, or for a change rolled back.

Published outside any use case (a test's direct call), in-transaction handlers still run, and
after-commit ones are skipped: nothing says that change will be kept (the sweeps catch up).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from flask import Flask, current_app

from catalogue.transactions import after_commit, in_use_case

log = logging.getLogger(__name__)

Phase = Literal["in_transaction", "after_commit"]
IN_TRANSACTION: Phase = "in_transaction"
AFTER_COMMIT: Phase = "after_commit"
_REGISTRY = "catalogue.events"


@dataclass(frozen=True)
class OrderPlaced:
    """A pending order was written (its id is flushed); `company` is the buyer's CompanyInvoice, if asked."""

    order_id: int
    code: str
    company: Any = None


@dataclass(frozen=True)
class OrderStatusChanged:
    """Any move of the order's lifecycle (catalogue.orders.services.transition)."""

    order_id: int
    code: str
    from_status: str
    to_status: str
    reason: str


# The status events below are published by the lifecycle's one rule (`transition`); `by` says who or what
# made it so, as `transition` was told: the rail that paid (`vietqr`…), who cancelled (`buyer`, `office`,
# `expiry`), what refunded. A refund that could not start puts the order back as it was: that publishes
# OrderStatusChanged only, never `order_paid` or `order_cancelled` a second time.


@dataclass(frozen=True)
class OrderPaid:
    """The order became `paid` (`order_paid`): invoices are issued, the buyer is mailed, the parcel can be booked."""

    order_id: int
    code: str
    by: str = ""


@dataclass(frozen=True)
class OrderCancelled:
    """The order became `cancelled` (`order_cancelled`); the buyer is mailed when `by` is `buyer` or `office`."""

    order_id: int
    code: str
    by: str = ""


@dataclass(frozen=True)
class OrderRefunded:
    """The order became `refunded` (`order_refunded`): the invoices are adjusted."""

    order_id: int
    code: str
    by: str = ""


@dataclass(frozen=True)
class ParcelReturned:
    """A parcel came back and its return is settled (`parcel_returned`): its producer's invoice is adjusted."""

    order_id: int
    code: str
    parcel_id: int
    producer_id: int


@dataclass(frozen=True)
class PartReturned:
    """A parcel came back while the rest of its order was delivered or is still on its way (`part_returned`).

    Published once per parcel, after its return is settled and the order has followed its parcels
    (catalogue.delivery.tracking), only when the order did not come back whole: then OrderReturned tells the
    buyer about all of it.
    """

    order_id: int
    code: str
    parcel_id: int
    producer_id: int


@dataclass(frozen=True)
class OrderReturned:
    """Every parcel of the order ended and none was delivered: they came back (`order_returned`).

    Published once, when the order turns refund_pending (or refunded, its refunds made already) because of
    it (catalogue.delivery.tracking.follow_parcels): the buyer is told what goes back, once.
    """

    order_id: int
    code: str


@dataclass(frozen=True)
class RefundStarted:
    """A paid order's money is going back to the buyer (`refund_started`): what the buyer is told, once per step.

    Published when the refund plan leaves everything to the office's hand path (`by_hand_vnd`), when
    a provider took the refund and confirms it later (Stripe: nothing returned yet), and when the
    providers confirmed what they returned (`by_api_vnd`, through rail `by_api_method`; the rest,
    `by_hand_vnd`, still the office's). `cancelled_by`: `office`, or `sold_out` (money that came
    after the order's stock was gone).
    """

    order_id: int
    code: str
    cancelled_by: str
    by_api_vnd: int = 0
    by_api_method: str = ""
    by_hand_vnd: int = 0


@dataclass(frozen=True)
class OrderShipped:
    """A producer's parcel of a paid order left (`order_shipped`), one event per parcel.

    `producer_ids`: whose lines the parcel holds; `whole_order`: it was the last parcel (the order
    is now `shipped`).
    """

    order_id: int
    code: str
    producer_ids: tuple[int, ...]
    tracking_number: str
    whole_order: bool


@dataclass(frozen=True)
class SaleRecorded:
    """A sale landed (`sale_recorded`): a shop order paid, or a marketplace sale recorded.

    `channel` is `shop` or the marketplace (`shopee`…), `sale_key` the order's code or the
    marketplace's order id, `lines` the (product id, quantity) pairs sold (a marketplace line with an
    unknown SKU names no product and is left out).
    """

    channel: str
    sale_key: str
    lines: tuple[tuple[int, int], ...]


Handler = Callable[[Any], object]


def subscribe(app: Flask, event_type: type, handler: Handler, phase: Phase = AFTER_COMMIT) -> None:
    """Have `handler(event)` run for every `event_type` this app publishes, in `phase`; once, however often called."""
    if phase not in (IN_TRANSACTION, AFTER_COMMIT):
        raise ValueError(f"Unknown phase {phase!r}.")
    handlers = app.extensions.setdefault(_REGISTRY, {}).setdefault(event_type, [])
    if (phase, handler) not in handlers:
        handlers.append((phase, handler))


def subscribers(app: Flask, event_type: type) -> list[tuple[Phase, Handler]]:
    """The (phase, handler) pairs subscribed to `event_type`, in subscription order."""
    return list(app.extensions.get(_REGISTRY, {}).get(event_type, []))


def publish(event: object) -> None:
    """Tell the subscribers: in-transaction ones now (their exception refuses the use case), the rest after commit."""
    queued = in_use_case()
    for phase, handler in subscribers(current_app, type(event)):
        if phase == IN_TRANSACTION:
            handler(event)
        elif queued:
            after_commit(_bound(handler, event))
        else:
            log.debug("%s published outside a use case; %s is not told", type(event).__name__, handler)


def _bound(handler: Handler, event: object) -> Callable[[], object]:
    return lambda: handler(event)
