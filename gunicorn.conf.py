"""gunicorn's settings for the shop (read from the working directory: `gunicorn wsgi:app` in the repository root).

The request limits, one request per connection, the collector's freeze and the metrics hook live here; workers,
bind and timeouts stay on each deployment's command line.

A request line over gunicorn's limit is answered by gunicorn itself, as an HTML page, before the app
sees it. So gunicorn's limit is set to its maximum and the app refuses long URLs below it
(catalogue.MAX_URL_LENGTH: 414 with the contract's JSON error under /api/ and /webhooks/, a page
elsewhere). Only a line longer than gunicorn's maximum still gets gunicorn's own answer.
"""

import gc
import os

from prometheus_client import multiprocess

limit_request_line = 8190  # gunicorn's maximum; above catalogue.MAX_URL_LENGTH (4096) plus method and version
limit_request_fields = 100  # gunicorn's default, stated
limit_request_field_size = 8190  # gunicorn's default, stated

# One request per connection, as gunicorn's sync workers serve: a threaded (gthread) worker keeps a kept-alive
# connection for as long as its client sends on it, so nginx's pooled connections (or a load generator's) could
# all sit on the worker that accepted them, one core busy under its interpreter lock while the others idled:
# 40-44 orders/s on 2 cores when they did, 73-103 when they fell on both workers, 67-79 every time with each
# request on a connection of its own, taken by whichever worker accepts first (bench/README.md, "Orders").
keepalive = 0


def child_exit(server, worker) -> None:
    """A dead worker's live gauges leave the node's /metrics (prometheus_client's multiprocess mode).

    Nothing is imported here: gunicorn runs this hook from the master's SIGCHLD handling, and when the workers
    stop together (a shutdown) a second worker's exit arrived while the first one's import of the app's modules
    was under way, which failed half-initialised ("ImportError … partially initialized module"). The one module
    it needs is imported with this file, and it is prometheus_client's, not the app's: the master never
    imports the app."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker) -> None:
    """The objects a worker holds from its start on (modules, the app, its mappers, templates) leave the garbage
    collector's reach: `gc.freeze()`, once the app is loaded.

    They live as long as the worker, yet each full collection walked them all, about 215 000 objects, while
    every thread of the worker waited: 140–300 ms pauses, several a minute under load, which were the slow tail
    of the flash sale's orders (bench/README.md, "Flash sale"). Frozen, they are never collected as cycles;
    refcounting still frees whatever of them drops out of use (a start-up object that later dies in a cycle
    stays, a few at most). What the requests make is collected as before, in pauses of tens of milliseconds."""
    gc.freeze()
