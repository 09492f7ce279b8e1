"""localstripe (a fake Stripe for tests and benches; never shipped), keeping its objects in memory only.

    python tests/localstripe_in_memory.py --port PORT

localstripe's store writes every object it holds to /tmp/localstripe.pickle on each write
(`localstripe.resources.Store.__setitem__`), so the n-th PaymentIntent of a run pays for pickling the n - 1
before it, in localstripe's one thread: a create took 8 ms at first and 24 ms after 1 500 (bench/README.md,
"Orders"), which a bench read as the shop slowing down and a long test run as a slow Stripe. Every localstripe
on the machine also wrote that one fixed file, so a server stopped mid-write left it truncated for the next.
Stripe keeps nothing on the shop's machine; this localstripe keeps nothing on disk either, and starts empty.
"""

from __future__ import annotations

import sys

from localstripe import resources, server


def _write_nothing(store: resources.Store) -> None:
    """Nothing is written: the objects live as long as the server."""


def keep_in_memory() -> None:
    """localstripe's store, in this process, writes nothing to disk from now on."""
    resources.Store.dump_to_disk = _write_nothing


if __name__ == "__main__":
    keep_in_memory()
    if "--from-scratch" not in sys.argv:
        sys.argv.append("--from-scratch")  # and nothing is read from an earlier run's file
    sys.exit(server.start())
