"""The shop's Prometheus metrics: defined once per process, counted where things happen.

Plain `prometheus_client` objects, no Flask: a domain counts with one call
(`metrics.ORDERS_PLACED.inc()`), and `catalogue.observability` serves them at `/metrics`.
Under gunicorn (several worker processes) and Celery, set `PROMETHEUS_MULTIPROC_DIR` to an
empty folder shared by the node's processes (the client's multiprocess mode): each process
writes its own files there and `/metrics` adds them up, so a scrape sees the whole node, not
the one worker that answered it.

Labels are bounded sets only (a route's rule, never its URL; a rail or carrier name, never an
order code), so the number of series stays small whatever the traffic.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram, disable_created_metrics

disable_created_metrics()  # no `_created` twin of every series: nothing here graphs it

# HTTP, by route rule (`/api/v1/products/<slug>`, or "unmatched"), method and status.
HTTP_REQUESTS = Counter("catalogue_http_requests_total", "Requests answered", ("route", "method", "status"))
HTTP_DURATION = Histogram(
    "catalogue_http_request_duration_seconds",
    "Time to answer a request",
    ("route", "method"),
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

# Business: what the office and the operator want to see moving.
ORDERS_PLACED = Counter("catalogue_orders_placed_total", "Orders placed on the shop")
ORDERS_TURNED_AWAY = Counter(
    "catalogue_orders_turned_away_total", "Order placements told to come back (503): as many were being placed at once"
)
PAYMENTS = Counter("catalogue_payments_total", "Orders paid, by the rail that settled them", ("rail",))
UNITS_SOLD = Counter("catalogue_units_sold_total", "Units sold, by channel (shop or the marketplace)", ("channel",))
INVOICES = Counter("catalogue_invoices_total", "E-invoices by outcome (issued, queued, failed)", ("result",))
PARCELS_BOOKED = Counter("catalogue_parcels_booked_total", "Parcels booked with a carrier", ("carrier",))
SYNC_CALLS = Counter(
    "catalogue_marketplace_calls_total", "Marketplace sync calls by marketplace and result", ("marketplace", "result")
)
CACHE = Counter("catalogue_response_cache_total", "Response cache look-ups (hit, miss)", ("result",))

# Celery jobs, counted by the worker processes (catalogue.tasks connects the signals).
TASKS = Counter("catalogue_tasks_total", "Background jobs by task and outcome", ("task", "state"))
TASK_DURATION = Histogram(
    "catalogue_task_duration_seconds",
    "Time a background job ran",
    ("task",),
    buckets=(0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0),
)
