"""The waiting room of a flash sale: a process places at most ORDER_PLACEMENTS_IN_FLIGHT orders at once.

Past it a buyer is told at once to come back (503 with Retry-After): nothing is placed, reserved or
counted against the buyer's own limits, and the thread is free for the shoppers reading pages.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
import requests
from sqlalchemy import func, select

from catalogue import metrics
from catalogue.extensions import db
from catalogue.orders import payment_start, placement_limits
from catalogue.orders.models import Order
from tests.live import race, serving
from tests.order_helpers import a_page_being_served, body, shelf, stock_of, stopped_pace_clock
from tests.orders.test_checkout_pages import FORM
from tests.orders.test_order_concurrency import _post
from tests.storefront_helpers import cart_of, csrf_token


def _orders() -> int:
    return db.session.scalar(select(func.count()).select_from(Order))


@pytest.fixture
def one_at_a_time(app):
    """One placement at a time in this process, no wait: a held gate turns the next buyer away."""
    app.config.update(ORDER_PLACEMENTS_IN_FLIGHT=1, ORDER_ADMISSION_WAIT_MS=0, ORDER_RETRY_AFTER_SECONDS=2)
    return placement_limits.gate(1)


def test_a_buyer_past_the_limit_is_asked_to_come_back_and_nothing_is_placed(app, empty_client, one_at_a_time):
    product = shelf()["mien"]
    app.config["ORDER_LIMIT_PER_CLIENT"] = "1 per hour"  # being turned away is not an attempt
    turned_away = metrics.ORDERS_TURNED_AWAY._value.get()

    with one_at_a_time:  # another buyer's order is being placed
        response = empty_client.post("/api/v1/orders", json=body((product.id, 2)))

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    answer = response.get_json()
    assert answer["error_code"] == "order.busy"
    assert "nothing was placed" in answer["message"] and "2 s" in answer["message"]
    assert (stock_of(product), _orders()) == (10, 0)
    assert metrics.ORDERS_TURNED_AWAY._value.get() == turned_away + 1

    again = empty_client.post("/api/v1/orders", json=body((product.id, 2)))  # the place is free now
    assert again.status_code == 201
    assert (stock_of(product), _orders()) == (8, 1)


def test_a_short_wait_lets_two_buyers_who_meet_both_in(app, empty_client, one_at_a_time):
    product = shelf()["mien"]
    app.config["ORDER_ADMISSION_WAIT_MS"] = 5000
    one_at_a_time.__enter__()
    threading.Timer(0.2, one_at_a_time.leave).start()  # the other order is placed meanwhile

    started = time.monotonic()
    response = empty_client.post("/api/v1/orders", json=body((product.id, 1)))

    assert response.status_code == 201
    assert 0.15 < time.monotonic() - started < 4


def test_only_as_many_wait_as_may_be_placed_the_rest_come_back_at_once(app, one_at_a_time):
    """One placement running, one waiting for it: a third buyer is turned away at once, not after the wait, so
    waiting buyers never hold more of the threads than the limit."""
    product = shelf()["mien"]
    app.config["ORDER_ADMISSION_WAIT_MS"] = 3000
    request = body((product.id, 1))
    with serving(app) as base, one_at_a_time:
        answers: list[int] = []
        waiter = threading.Thread(target=lambda: answers.append(_post(f"{base}/api/v1/orders", request)))
        waiter.start()
        deadline = time.monotonic() + 5
        while one_at_a_time._waiting == 0 and time.monotonic() < deadline:
            time.sleep(0.01)

        started = time.monotonic()
        third = _post(f"{base}/api/v1/orders", request)
        turned_away_in = time.monotonic() - started
    waiter.join(timeout=10)

    assert third == 503 and turned_away_in < 1
    assert answers == [201]  # the one waiting got the place when it came free


def test_no_limit_when_set_to_zero(app, empty_client, one_at_a_time):
    product = shelf()["mien"]
    app.config["ORDER_PLACEMENTS_IN_FLIGHT"] = 0

    with one_at_a_time:
        response = empty_client.post("/api/v1/orders", json=body((product.id, 1)))

    assert response.status_code == 201


def test_never_more_placements_at_once_than_the_limit(app, monkeypatch):
    """Twelve buyers at once on a served app whose placements are slow (a far card provider): at most two ever
    run together, the others are turned away whole, and stock and orders agree with the answers."""
    product = shelf()["mien"]
    app.config.update(ORDER_PLACEMENTS_IN_FLIGHT=2, ORDER_ADMISSION_WAIT_MS=0)
    place, running, most, lock = payment_start.place_order, [0], [0], threading.Lock()

    def slow_place(*args, **kwargs):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            time.sleep(0.3)
            return place(*args, **kwargs)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(payment_start, "place_order", slow_place)
    request = body((product.id, 1))
    with serving(app) as base:
        statuses = Counter(race(12, lambda _: _post(f"{base}/api/v1/orders", request)))

    assert most[0] == 2
    assert statuses[201] >= 2 and statuses[201] + statuses[503] == 12
    assert (stock_of(product), _orders()) == (10 - statuses[201], statuses[201])


def test_the_checkout_page_keeps_the_form_and_says_it_will_send_it_again(app, empty_client, one_at_a_time):
    mien = shelf()["mien"]
    token = csrf_token(empty_client, f"/products/{mien.slug}")
    empty_client.post("/cart/add", data={"product_id": mien.id, "quantity": 2, "csrf_token": token})
    token = csrf_token(empty_client, "/checkout")

    with one_at_a_time:
        response = empty_client.post("/checkout", data={**FORM, "csrf_token": token})

    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert "Đang có nhiều người đặt hàng cùng lúc nên đơn của bạn chưa được đặt" in html
    assert 'data-retry-after="2"' in html  # checkout.js sends the form again after that
    assert 'value="Nguyễn Thị Lan"' in html and 'value="12 đường Hạ Long"' in html
    assert cart_of(empty_client) == {str(mien.id): 2}
    assert (stock_of(mien), _orders()) == (10, 0)

    placed = empty_client.post("/checkout", data={**FORM, "csrf_token": token})  # sent again: placed
    assert placed.status_code == 303
    assert (stock_of(mien), _orders()) == (8, 1)


def test_the_page_asks_for_room_before_sending_again(app, empty_client, one_at_a_time):
    """The question the waiting page asks costs no page: 204 when a placement would start now, 503 with
    Retry-After while every place is taken, never kept by a cache."""
    free = empty_client.get("/checkout/room")
    with one_at_a_time:
        full = empty_client.get("/checkout/room")
    app.config["ORDER_PLACEMENTS_IN_FLIGHT"] = 0
    unlimited = empty_client.get("/checkout/room")

    assert (free.status_code, full.status_code, unlimited.status_code) == (204, 503, 204)
    assert full.headers["Retry-After"] == "2"
    assert free.headers["Cache-Control"] == full.headers["Cache-Control"] == "no-store"
    assert not one_at_a_time.full  # the place held was given back


@pytest.fixture
def paced(monkeypatch):
    """This process's paces afresh (each test, each database), on a clock that stands still until the test moves it,
    while a shopper's page is being served (the pace gives way to pages; alone, placements are not paced)."""
    clock = stopped_pace_clock(monkeypatch)
    a_page_being_served(monkeypatch)
    return clock


@pytest.fixture
def one_a_second(app, paced):
    """One placement started per second in this process, and no gate: a placement just started spends the pace."""
    app.config.update(ORDER_PLACEMENTS_IN_FLIGHT=0, ORDER_PLACEMENTS_PER_SECOND=1, ORDER_RETRY_AFTER_SECONDS=1)
    return placement_limits.pace(1)


def test_past_the_pace_a_buyer_is_asked_to_come_back_and_nothing_is_placed(app, empty_client, one_a_second, paced):
    """The pace bounds the placements a process starts each second (the orders' share of the CPU), whatever the
    gate: past it the buyer gets the waiting room's 503, uncounted, and is placed once the second has passed."""
    product = shelf()["mien"]
    app.config["ORDER_LIMIT_PER_CLIENT"] = "1 per hour"  # being turned away is not an attempt
    turned_away = metrics.ORDERS_TURNED_AWAY._value.get()

    assert one_a_second.take()  # another buyer's placement started just now
    response = empty_client.post("/api/v1/orders", json=body((product.id, 2)))

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.get_json()["error_code"] == "order.busy"
    assert (stock_of(product), _orders()) == (10, 0)
    assert metrics.ORDERS_TURNED_AWAY._value.get() == turned_away + 1

    paced.advance(0.99)  # not yet a second
    assert empty_client.post("/api/v1/orders", json=body((product.id, 2))).status_code == 503
    paced.advance(0.02)  # the second has passed
    again = empty_client.post("/api/v1/orders", json=body((product.id, 2)))
    assert again.status_code == 201
    assert (stock_of(product), _orders()) == (8, 1)


def test_a_buyer_past_their_own_limits_takes_none_of_the_pace(app, empty_client, one_a_second, paced):
    """A client refused by its own limits (429) leaves the second's placement to another buyer: else one client
    sending a few orders a second would keep everyone out."""
    product = shelf()["mien"]
    app.config["ORDER_LIMIT_PER_CLIENT"] = "1 per hour"
    assert empty_client.post("/api/v1/orders", json=body((product.id, 1))).status_code == 201
    paced.advance(1.01)

    refused = empty_client.post("/api/v1/orders", json=body((product.id, 1)))
    other = body((product.id, 1))
    other["customer"] = {**other["customer"], "email": "hoa@example.com", "phone": "0987654321"}
    another = empty_client.post("/api/v1/orders", json=other, environ_overrides={"REMOTE_ADDR": "10.0.0.2"})

    assert refused.status_code == 429
    assert another.status_code == 201
    assert (stock_of(product), _orders()) == (8, 2)


def test_a_placement_the_pace_turns_away_gives_its_place_in_the_gate_back(app, paced, monkeypatch):
    """Another buyer's placement starts while this one's limits are checked: the pace turns this one away, and
    its place in the gate is free for the next buyer. So is it when its own limits refuse it, and neither
    refusal counts against the buyer's limits."""
    app.config.update(ORDER_PLACEMENTS_IN_FLIGHT=1, ORDER_PLACEMENTS_PER_SECOND=1, ORDER_ADMISSION_WAIT_MS=0,
                      ORDER_LIMIT_PER_CLIENT="2 per hour")  # fmt: skip
    chosen, buyer = placement_limits.pace(1), ("10.0.0.7", "lan@example.com", "0912345678")
    check = placement_limits.check_attempt

    def another_starts_meanwhile(*args) -> None:
        check(*args)
        assert chosen.take()

    monkeypatch.setattr(placement_limits, "check_attempt", another_starts_meanwhile)
    with pytest.raises(placement_limits.Busy), placement_limits.admitted(app.config, buyer):
        pytest.fail("admitted past the pace")
    assert not placement_limits.gate(1).full
    monkeypatch.setattr(placement_limits, "check_attempt", check)

    placement_limits.count_attempt(app.config, *buyer)
    placement_limits.count_attempt(app.config, *buyer)  # its two orders of the hour, elsewhere
    paced.advance(1.01)
    with pytest.raises(placement_limits.TooManyOrders), placement_limits.admitted(app.config, buyer):
        pytest.fail("admitted past its limits")
    assert not placement_limits.gate(1).full and not chosen.spent


def test_the_page_asks_for_room_and_the_pace_answers_too(app, empty_client, one_a_second, paced):
    assert empty_client.get("/checkout/room").status_code == 204
    assert one_a_second.take()

    spent = empty_client.get("/checkout/room")
    paced.advance(1.01)
    free_again = empty_client.get("/checkout/room")

    assert (spent.status_code, free_again.status_code) == (503, 204)
    assert spent.headers["Retry-After"] == "1"


def test_never_more_placements_a_second_than_the_pace(app, paced):
    """Twelve buyers at once on a served app paced at 3 a second (the clock standing still): 3 placed, 9 turned
    away whole, stock and orders agreeing with the answers."""
    product = shelf()["mien"]
    app.config.update(ORDER_PLACEMENTS_IN_FLIGHT=0, ORDER_PLACEMENTS_PER_SECOND=3)
    request = body((product.id, 1))
    with serving(app) as base:
        statuses = Counter(race(12, lambda _: _post(f"{base}/api/v1/orders", request)))

    assert statuses == Counter({201: 3, 503: 9})
    assert (stock_of(product), _orders()) == (7, 3)


def test_the_pace_gives_way_to_pages_only(app, monkeypatch):
    """The pace keeps the CPU for shoppers reading pages: while this process serves none, placements take it all
    (an order-only burst is not paced); while a page is in flight in another thread, or ended less than a second
    ago, the pace holds. Neither a placement's request nor the room question is a page itself."""
    app.config.update(ORDER_PLACEMENTS_IN_FLIGHT=0, ORDER_PLACEMENTS_PER_SECOND=1)
    clock = stopped_pace_clock(monkeypatch)
    pages = placement_limits.pages
    product = shelf()["mien"]
    order = body((product.id, 1))
    with serving(app) as base:
        alone = [_post(f"{base}/api/v1/orders", order) for _ in range(3)]
        asked_alone = requests.get(f"{base}/checkout/room", timeout=30).status_code
        assert not pages.served  # neither the placements nor the room question counted as pages

        pages.started()  # a shopper's page, in flight in another thread
        beside_a_page = [_post(f"{base}/api/v1/orders", order) for _ in range(2)]
        asked_beside = requests.get(f"{base}/checkout/room", timeout=30).status_code
        pages.ended()
        after_the_page = _post(f"{base}/api/v1/orders", order)  # the page ended this very second
        clock.advance(1.01)
        a_second_later = [_post(f"{base}/api/v1/orders", order) for _ in range(2)]

    assert alone == [201, 201, 201]  # three in the same second: unpaced, and not counted in the pace
    assert asked_alone == 204
    assert beside_a_page == [201, 503]  # the second's one placement, then the pace is spent
    assert asked_beside == 503
    assert after_the_page == 503
    assert a_second_later == [201, 201] and not pages.served
    assert (stock_of(product), _orders()) == (4, 6)


def test_every_view_that_places_orders_is_marked_so(app, empty_client, monkeypatch):
    """A placement counted as a page would keep its own pace on: under tests `admitted` refuses a request that
    was counted as a page, so a new path that places orders without `places_orders` fails its own tests."""
    product = shelf()["mien"]
    view = app.view_functions["orders.Orders"].view_class
    monkeypatch.setattr(view.post, "places_orders", False)

    with pytest.raises(RuntimeError, match="places_orders"):
        empty_client.post("/api/v1/orders", json=body((product.id, 1)))

    assert (stock_of(product), _orders()) == (10, 0)


def test_probes_are_not_pages(app, empty_client, monkeypatch):
    """A load balancer's health checks and Prometheus' scrapes come every few seconds: counted as pages, they would
    keep the pace on with no shopper to give way to."""
    stopped_pace_clock(monkeypatch)
    pages = placement_limits.pages

    for probe in ("/healthz", "/readyz", "/metrics"):
        assert empty_client.get(probe).status_code in (200, 401, 503)
    probed = pages.served
    assert empty_client.get("/").status_code == 200

    assert not probed
    assert pages.served


def _page_starting(pages) -> threading.Event:
    """Another thread's page starting now; the event is set once it has started."""
    started = threading.Event()
    threading.Thread(target=lambda: (pages.started(), started.set()), daemon=True).start()
    return started


def test_while_a_paced_placement_runs_pages_start_one_at_a_time(app, paced, monkeypatch):
    """A paced placement shares its worker's interpreter lock with the page threads beside it: they start one at
    a time while it runs, and all at once again when it ends."""
    monkeypatch.setattr(placement_limits.Pages, "STEP_ASIDE_SECONDS", 30)  # nothing here passes by the timeout
    app.config.update(ORDER_PLACEMENTS_IN_FLIGHT=0, ORDER_PLACEMENTS_PER_SECOND=3)
    pages = placement_limits.pages  # one page in flight already (`paced`)

    with placement_limits.admitted(app.config):
        second = _page_starting(pages)
        assert not second.wait(0.2)  # waits for the page before it
        pages.ended()
        assert second.wait(10)
        third, fourth = _page_starting(pages), _page_starting(pages)
        assert not third.wait(0.2) and not fourth.is_set()
    assert third.wait(10) and fourth.wait(10)  # the placement ended: both start

    pages.ended(), pages.ended(), pages.ended()
    app.config["ORDER_PLACEMENTS_PER_SECOND"] = 0  # unpaced: nothing steps aside
    pages.started()
    with placement_limits.admitted(app.config):
        assert _page_starting(pages).wait(10)


def test_a_page_steps_aside_for_a_bounded_time(app, paced, monkeypatch):
    """A page beside a placement and a page that never end (a slow export, say) still starts, after
    STEP_ASIDE_SECONDS."""
    monkeypatch.setattr(placement_limits.Pages, "STEP_ASIDE_SECONDS", 0.3)
    app.config.update(ORDER_PLACEMENTS_IN_FLIGHT=0, ORDER_PLACEMENTS_PER_SECOND=3)

    with placement_limits.admitted(app.config):
        began = time.monotonic()
        placement_limits.pages.started()
        waited = time.monotonic() - began

    assert 0.3 <= waited < 10


def test_nothing_stops_a_page_from_being_counted_out(app):
    """Flask stops running teardown functions at the first that raises and runs the last registered first: the
    page count's is the app's last registered, so it runs first, and no blueprint has teardowns of its own. Else
    a page left counted would keep the pace on for good."""
    from catalogue import waiting_room

    assert app.teardown_request_funcs[None][-1] is waiting_room._page_ended
    assert [name for name, funcs in app.teardown_request_funcs.items() if funcs and name is not None] == []
