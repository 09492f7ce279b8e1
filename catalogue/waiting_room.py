"""The web side of the flash sale's waiting room: which requests are pages, counted for the pace.

`catalogue.orders.placement_limits` paces placements only while the process serves pages, and starts pages
one at a time beside a paced placement (`Pages`). Here each request is counted as a page from its start to its
teardown (a stream's body is sent after that, waiting for changes most of the time), except:

- a request that may place an order: the POST of a view marked `places_orders`;
- the waiting room's own question (a view marked `not_a_page`: the checkout page of a turned-away order asking
  for room): counted as a page, its end would pace the order it asked for;
- a probe (`catalogue.observability.PROBES`): a load balancer asks every few seconds and Prometheus
  scrapes, which would keep the pace on with no shopper to give way to.

The pace is judged per worker: a worker that served no page in the last second places unpaced, even while
the others on the same cores serve shoppers. Under load every worker serves pages; where shoppers browse
lightly, the orders' share of the CPU is small anyway.

`_page_ended` must run: Flask stops running teardown functions at the first that raises, and runs the last
registered first, so it stays the app's last registered (tests/orders/test_waiting_room.py checks that).

Every view that places orders is marked: under tests, `catalogue.orders.wiring.place_order` refuses a
placement that was counted as a page (tests/orders/test_waiting_room.py), so a new one fails its own tests.
"""

from __future__ import annotations

from flask import Flask, current_app, request

from catalogue.observability import PROBES
from catalogue.orders import placement_limits

_COUNTED = "catalogue.counted_as_page"


def places_orders(view):
    """Marks a view whose POST may place an order: its POSTs are placements, not pages."""
    view.places_orders = True
    return view


def not_a_page(view):
    """Marks a view every request of which is part of placing an order, not a page."""
    view.not_a_page = True
    return view


def init_waiting_room(app: Flask) -> None:
    """Count the pages this process serves (`placement_limits.pages`), from each request's start to its teardown."""
    app.before_request(_page_started)
    app.teardown_request(_page_ended)


def counted_as_page() -> bool:
    """Whether the current request is counted as a page."""
    return bool(request.environ.get(_COUNTED))


def _is_page() -> bool:
    if request.path in PROBES:
        return False
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "not_a_page", False):
        return False
    if request.method != "POST":
        return True
    view = getattr(getattr(view, "view_class", None), "post", view)  # a MethodView's POST is its `post`
    return not getattr(view, "places_orders", False)


def _page_started() -> None:
    if _is_page():
        placement_limits.pages.started()  # may wait a moment while a paced placement runs (Pages.started)
        request.environ[_COUNTED] = True


def _page_ended(_error=None) -> None:
    if request.environ.pop(_COUNTED, False):
        placement_limits.pages.ended()
