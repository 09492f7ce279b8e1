"""Two web nodes and a worker in their own network namespaces behind nginx, on PostgreSQL, Redis (and S3).

Run by `make test-cluster` (root, nginx and socat needed; `.ci/run` installs them). What one node
does, the other sees: a price at once, a sign-out, the rate limits; a node killed under load costs
only the requests it had in flight; each node's /metrics counts what it served.
"""

from __future__ import annotations

import copy
import json
import os
import re
import signal
import threading
import time
from collections import Counter

import pytest
import requests
import urllib3

from tests.cluster import flows
from tests.cluster.harness import NODES, Cluster

pytestmark = pytest.mark.skipif(
    os.environ.get("CATALOGUE_CLUSTER") != "1", reason="the cluster test runs under `make test-cluster` (root, nginx)"
)
urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)  # nginx's certificate is the test's own

PRODUCER_PASSWORD = "Mien-dong-Binh-Lieu-2026!"
ADMIN_PASSWORD = "Van-phong-OCOP-Quang-Ninh-2026!"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    built = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        built.up()
        slug = built.sql("SELECT slug FROM producers ORDER BY id LIMIT 1")[0][0]
        built.flask("users", "create", "--email", "htx@cluster.test", "--password", PRODUCER_PASSWORD,
                    "--role", "producer", "--producer", slug)  # fmt: skip
        built.flask(
            "users", "create", "--email", "office@cluster.test", "--password", ADMIN_PASSWORD, "--role", "admin"
        )
        out = built.flask("tokens", "create", "--email", "office@cluster.test", "--scope", "admin", "--name", "cluster")
        built.admin_token = re.findall(r"[A-Za-z0-9_\-]{30,}", out)[-1]
        yield built
    finally:
        built.down()


def _node(cluster, name: str) -> requests.Session:
    session = requests.Session()
    session.headers["X-Forwarded-Proto"] = "https"  # as nginx would tell it (PROXY_COUNT=1)
    session.headers["X-Forwarded-For"] = "198.51.100.7"
    return session


def _first_product(cluster) -> dict:
    return requests.get(f"{cluster.base}/api/v1/products?per_page=1", verify=False, timeout=10).json()["items"][0]


def test_a_price_changed_on_node_a_shows_on_node_b_at_once(cluster):
    product = _first_product(cluster)
    a, b = _node(cluster, "a"), _node(cluster, "b")
    before = b.get(f"{cluster.node_url('b')}/api/v1/products/{product['id']}", timeout=10)
    new_price = before.json()["price_vnd"] + 1000

    changed = a.patch(
        f"{cluster.node_url('a')}/api/v1/products/{product['id']}",
        json={"price_vnd": new_price},
        headers={"Authorization": f"Bearer {cluster.admin_token}", "If-Match": before.headers["ETag"]},
        timeout=10,
    )

    assert changed.status_code == 200, changed.text
    assert (
        b.get(f"{cluster.node_url('b')}/api/v1/products/{product['id']}", timeout=10).json()["price_vnd"] == new_price
    )


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def _browser(cluster, name: str) -> requests.Session:
    """A browser-like client that reaches node `name` only, through nginx over HTTPS."""
    session = requests.Session()
    session.verify = False
    session.trust_env = False  # else REQUESTS_CA_BUNDLE in the environment overrides verify=False
    session.headers["Referer"] = f"{cluster.via_nginx(name)}/portal/login"
    return session


def _sign_in(session: requests.Session, base: str, email: str, password: str) -> requests.Response:
    page = session.get(f"{base}/portal/login", timeout=10)
    return session.post(f"{base}/portal/login", data={"csrf_token": _csrf(page.text), "email": email,
                        "password": password}, timeout=10, allow_redirects=False)  # fmt: skip


def test_a_session_signed_in_on_a_and_signed_out_on_b_is_dead_on_a(cluster):
    a, on_a = _browser(cluster, "a"), cluster.via_nginx("a")
    signed_in = _sign_in(a, on_a, "htx@cluster.test", PRODUCER_PASSWORD)
    assert signed_in.status_code == 303, signed_in.text
    copied = list(a.cookies)  # the cookies themselves (domain, path): a later Set-Cookie replaces them
    assert a.get(f"{on_a}/portal/", timeout=10, allow_redirects=False).status_code == 200

    b, on_b = _browser(cluster, "b"), cluster.via_nginx("b")
    for cookie in copied:
        b.cookies.set_cookie(copy.copy(cookie))
    page = b.get(f"{on_b}/portal/", timeout=10, allow_redirects=False)
    assert page.status_code == 200  # node B knows the session signed in on A
    b.headers["Referer"] = f"{on_b}/portal/"
    signed_out = b.post(f"{on_b}/portal/logout", data={"csrf_token": _csrf(page.text)}, timeout=10,
                        allow_redirects=False)  # fmt: skip
    assert signed_out.status_code in (302, 303)

    replay = _browser(cluster, "a")
    for cookie in copied:
        replay.cookies.set_cookie(copy.copy(cookie))
    again = replay.get(f"{on_a}/portal/", timeout=10, allow_redirects=False)
    assert again.status_code == 302 and "/portal/login" in again.headers["Location"]


def _order_body(product: dict, email: str) -> dict:
    return {
        "lines": [{"product_id": product["id"], "quantity": 1}],
        "customer": {"name": "Nguyễn Thị Lan", "email": email, "phone": "0912 345 678"},
        "shipping_address": {"line1": "12 đường Hạ Long", "ward": "Phường Bãi Cháy", "province": "Quảng Ninh"},
        "payment_method": "vietqr",
    }


def test_the_order_limit_per_contact_holds_across_both_nodes(cluster):
    product = _first_product(cluster)
    answers = []
    for attempt in range(4):
        name = "ab"[attempt % 2]
        answered = _node(cluster, name).post(
            f"{cluster.node_url(name)}/api/v1/orders", json=_order_body(product, "lan.limit@cluster.test"), timeout=15
        )
        answers.append(answered.status_code)

    assert answers == [201, 201, 201, 429], answers  # ORDER_LIMIT_PER_CONTACT = 3 per hour


def _scraped(text: str, route: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith("catalogue_http_requests_total{") and f'route="{route}"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_each_node_counts_what_it_served_on_its_own_metrics(cluster):
    before = {name: _scraped(requests.get(f"{cluster.node_url(name)}/metrics", timeout=10).text, "/api/v1/categories")
              for name in ("a", "b")}  # fmt: skip
    for name, count in (("a", 7), ("b", 4)):
        session = _node(cluster, name)
        for _ in range(count):
            assert session.get(f"{cluster.node_url(name)}/api/v1/categories", timeout=10).status_code == 200

    after = {name: _scraped(requests.get(f"{cluster.node_url(name)}/metrics", timeout=10).text, "/api/v1/categories")
             for name in ("a", "b")}  # fmt: skip
    assert (after["a"] - before["a"], after["b"] - before["b"]) == (7, 4)


def test_requests_go_through_nginx_with_a_request_id_and_the_client_address(cluster):
    response = requests.get(f"{cluster.base}/api/v1/categories", verify=False, timeout=10)

    assert response.status_code == 200
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])  # nginx's $request_id, carried through
    http = requests.get(f"{cluster.base.replace('https', 'http')}/api/v1/categories", timeout=5)
    assert http.status_code == 400  # plain HTTP on the TLS port: nginx refuses it, the app never sees it


def test_killing_node_a_under_load_costs_only_the_requests_in_flight(cluster):
    product = _first_product(cluster)
    urls = [f"{cluster.base}/api/v1/products/{product['id']}", f"{cluster.base}/api/v1/categories",
            f"{cluster.base}/"]  # fmt: skip
    outcomes: list[tuple[float, int]] = []
    stop = threading.Event()
    started = time.monotonic()

    def load(index: int) -> None:
        with requests.Session() as session:
            while not stop.is_set():
                try:
                    status = session.get(urls[index % len(urls)], verify=False, timeout=15).status_code
                except requests.RequestException:
                    status = 0
                outcomes.append((time.monotonic() - started, status))

    threads = [threading.Thread(target=load, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    time.sleep(2)
    killed_at = time.monotonic() - started
    cluster.stop_node("a", signal.SIGKILL)
    time.sleep(4)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    try:
        after = Counter(status for at, status in outcomes if at > killed_at + 1)
        before = Counter(status for at, status in outcomes if at <= killed_at)
        assert before[200] > 20 and after[200] > 20, (before, after)
        assert set(after) == {200}, after  # GETs are retried on B by nginx: nothing failed once A was gone
        assert sum(n for s, n in Counter(s for _, s in outcomes).items() if s != 200) <= 6  # at most the in-flight ones
    finally:
        cluster.start_node("a")


def test_every_node_is_ready_and_names_its_dependencies(cluster):
    for name in ("a", "b"):
        ready = requests.get(f"{cluster.node_url(name)}/readyz", timeout=10).json()
        assert ready["status"] == "ready" and set(ready["checks"]) >= {"database", "redis", "storage"}, ready
    worker_metrics = requests.get(f"http://{NODES['w']}:9101/metrics", timeout=10)
    assert worker_metrics.status_code == 200


def test_a_photo_uploaded_through_node_a_is_served_by_node_b(cluster):
    import io

    from PIL import Image

    product_id = int(cluster.sql("SELECT p.id FROM products p JOIN producers r ON r.id = p.producer_id "
                                 "ORDER BY r.id, p.id LIMIT 1")[0][0])  # fmt: skip
    a, on_a = _browser(cluster, "a"), cluster.via_nginx("a")
    assert _sign_in(a, on_a, "htx@cluster.test", PRODUCER_PASSWORD).status_code == 303
    page = a.get(f"{on_a}/portal/products/{product_id}", timeout=10)
    photo = io.BytesIO()
    Image.new("RGB", (640, 480), (180, 40, 40)).save(photo, "PNG")
    a.headers["Referer"] = f"{on_a}/portal/products/{product_id}"
    uploaded = a.post(
        f"{on_a}/portal/products/{product_id}/images", timeout=30, allow_redirects=False,
        data={"csrf_token": _csrf(page.text)}, files={"image": ("photo.png", photo.getvalue(), "image/png")},
    )  # fmt: skip
    assert uploaded.status_code in (302, 303), uploaded.text[:500]

    key = cluster.sql(
        "SELECT path FROM product_images WHERE product_id = %(id)s ORDER BY id DESC LIMIT 1", id=product_id
    )
    b = _browser(cluster, "b")
    served = b.get(f"{cluster.via_nginx('b')}/media/{key[0][0]}", timeout=10)
    assert served.status_code == 200 and served.headers["Content-Type"].startswith("image/")
    assert not any((cluster.folder / "media").rglob("*.png")), "nothing on a node's disk"


def _invoices(cluster, order_code: str) -> list[tuple]:
    return cluster.sql(
        "SELECT i.producer_id, i.number FROM invoices i JOIN orders o ON o.id = i.order_id "
        "WHERE o.code = %(code)s AND i.kind = 'original' ORDER BY i.producer_id",
        code=order_code,
    )


def _paid_order(cluster, products: list[int], email: str) -> str:
    shopper = requests.Session()
    placed = flows.place(shopper, cluster.base, products, email)
    assert placed.status_code == 201, placed.text
    paid = flows.pay_by_sepay(shopper, cluster, placed.json())
    assert paid.status_code == 200 and paid.json()["outcomes"] == ["paid"], paid.text
    return placed.json()["code"]


def _wait(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"{what}: not within {seconds} s")


def test_killing_the_worker_mid_invoice_issues_the_invoice_exactly_once_after_restart(cluster):
    import psycopg
    import redis

    producers = flows.invoicing_producers(cluster, 2)
    flows.upload_certificates(cluster, producers)  # production signs only with the producer's own certificate
    products, ids = [p["product_id"] for p in producers], sorted(p["id"] for p in producers)
    first = _paid_order(cluster, products, "lan.invoice1@cluster.test")
    before = _wait(lambda: (rows := _invoices(cluster, first)) and len(rows) == 2 and rows, 60, "first invoices")

    # Hold the job mid-flight: inside its transaction (the order locked) it waits for the first producer's
    # counter row, which the test holds; a number is being taken when the worker dies.
    url = cluster.postgres_admin_url.rsplit("/", 1)[0] + "/ocop_cluster"
    with psycopg.connect(url) as holder:
        holder.execute("SELECT last_number FROM invoice_counters WHERE producer_id = %(id)s FOR UPDATE", {"id": ids[0]})
        second = _paid_order(cluster, products, "lan.invoice2@cluster.test")
        _wait(lambda: cluster.sql("SELECT pid FROM pg_stat_activity WHERE datname = 'ocop_cluster' "
                                  "AND wait_event_type = 'Lock' AND query ILIKE '%%invoice_counters%%'"),
              30, "the invoice job waiting on the counter")  # fmt: skip
        cluster.stop_node("w", signal.SIGKILL)  # the worker's process group, as a power cut would
        holder.rollback()
    broker = redis.Redis(db=cluster.redis_db + 1)
    assert broker.hlen("unacked") >= 1, "acknowledged late: the message is still the broker's"
    idle = "SELECT pid FROM pg_stat_activity WHERE datname = 'ocop_cluster' AND state LIKE 'idle in transaction%%'"
    _wait(lambda: not cluster.sql(idle), 30, "the dead job's transaction ended")
    assert _invoices(cluster, second) == [], "the killed job's numbers were rolled back"

    cluster.start_node("w")
    redone = _wait(lambda: (rows := _invoices(cluster, second)) and len(rows) == 2 and rows, 90, "redelivered job")
    third = _paid_order(cluster, products, "lan.invoice3@cluster.test")
    after = _wait(lambda: (rows := _invoices(cluster, third)) and len(rows) == 2 and rows, 60, "third invoices")

    time.sleep(3)  # a second delivery of the job, if there were one, would have landed by now
    for index, producer_id in enumerate(ids):
        numbers = [before[index][1], redone[index][1], after[index][1]]
        assert [row[0] for row in (before[index], redone[index], after[index])] == [producer_id] * 3
        assert numbers == list(range(numbers[0], numbers[0] + 3)), (producer_id, numbers)  # no gap, no repeat
        assert cluster.sql(
            "SELECT count(*), count(DISTINCT number) FROM invoices i JOIN orders o ON o.id = i.order_id "
            "WHERE i.producer_id = %(id)s AND o.code = ANY(%(codes)s)",
            id=producer_id,
            codes=[first, second, third],
        ) == [(3, 3)]
    assert broker.hlen("unacked") == 0


def test_the_login_limit_counts_attempts_on_both_nodes(cluster):
    answers = []
    try:
        for attempt in range(8):
            name = "ab"[attempt % 2]
            session = _browser(cluster, name)
            answers.append(
                _sign_in(session, cluster.via_nginx(name), "nobody@cluster.test", "wrong-password-1").status_code
            )
    finally:  # the address is every test's (nginx on 127.0.0.1): later sign-ins must not find it locked out
        import redis

        redis.Redis(db=cluster.redis_db).flushdb()  # RATELIMIT_STORAGE_URI's database holds only the limits

    # LOGIN_LIMIT is 5 a minute per address (and per email), counted in Redis: alternating nodes, a limit
    # counted per node would let 4 + 4 through; counted once, the attempts after the 5th are refused by both
    # nodes (earlier sign-ins of this module from the same address count too, so it may come sooner)
    first = answers.index(429)
    assert first <= 5 and set(answers[first:]) == {429}, answers
    assert {attempt % 2 for attempt in range(first, len(answers))} == {0, 1}, "both nodes refused"


def test_live_streams_are_held_by_their_own_process_and_a_sale_reaches_every_one_through_nginx(cluster):
    """docs/live-selling.md: the web nodes' sync workers never hold a live page's stream; nginx sends
    /live/<code>/events to each node's gthread process (deploy/systemd/ocop-live.service), unbuffered. Eight
    streams held through nginx (twice the four sync workers of both nodes): the shop still answers at once,
    and an order placed through nginx shows its stock on every stream within two seconds."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    a, on_a = _browser(cluster, "a"), cluster.via_nginx("a")
    assert _sign_in(a, on_a, "htx@cluster.test", PRODUCER_PASSWORD).status_code == 303
    rows = cluster.sql("SELECT p.id, p.stock FROM products p WHERE p.producer_id = (SELECT id FROM producers "
                       "ORDER BY id LIMIT 1) AND p.stock >= 5 ORDER BY p.id")  # fmt: skip
    product_id = next(pid for pid, _ in rows if requests.get(f"{cluster.base}/api/v1/products/{pid}", verify=False,
                                                              timeout=10).status_code == 200)  # fmt: skip
    form = a.get(f"{on_a}/portal/live/new", timeout=10)
    now = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))
    a.headers["Referer"] = f"{on_a}/portal/live/new"
    saved = a.post(f"{on_a}/portal/live/new", timeout=10, allow_redirects=False, data={
        "csrf_token": _csrf(form.text), "title": "Phiên live cụm máy", "pin": str(product_id),
        "starts_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
    })  # fmt: skip
    assert saved.status_code == 303, saved.text
    code = re.search(re.escape(cluster.base) + r"/live/([A-Za-z0-9_-]+)", a.get(on_a + saved.headers["Location"],
                     timeout=10).text).group(1)  # fmt: skip

    opened, seen, lock = threading.Barrier(9), [], threading.Lock()

    def watch() -> None:
        with requests.get(f"{cluster.base}/live/{code}/events", stream=True, verify=False, timeout=20) as response:
            assert response.status_code == 200
            first = None
            for line in response.iter_lines(decode_unicode=True):
                if not line.startswith("data:"):
                    continue
                stock = json.loads(line[5:])["products"][str(product_id)]["stock"]
                if first is None:
                    first = stock
                    opened.wait(timeout=30)
                elif stock != first:
                    with lock:
                        seen.append((stock, time.monotonic()))
                    return

    watchers = [threading.Thread(target=watch, daemon=True) for _ in range(8)]
    for watcher in watchers:
        watcher.start()
    opened.wait(timeout=30)
    for _ in range(6):  # the web workers are free: the streams are not theirs
        begun = time.monotonic()
        assert requests.get(f"{cluster.base}/api/v1/categories", verify=False, timeout=5).status_code == 200
        assert time.monotonic() - begun < 2
    before = cluster.sql("SELECT stock FROM products WHERE id = %(id)s", id=product_id)[0][0]
    placed = flows.place(flows.browser(cluster), cluster.base, [product_id], "live-stream@cluster.test")
    sold_at = time.monotonic()
    assert placed.status_code == 201, placed.text
    for watcher in watchers:
        watcher.join(timeout=10)
    assert [stock for stock, _ in seen] == [before - 1] * 8
    assert max(at for _, at in seen) - sold_at < 2
