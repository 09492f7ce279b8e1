"""Fixtures of the delivery tests: each carrier's case (GHN, Viettel Post) and its fake, served for the test."""

from __future__ import annotations

import pytest

from tests.delivery.carrier_harness import CASES


@pytest.fixture(params=CASES, ids=str)
def case(request):
    """One carrier's case (tests.delivery.carrier_harness): a test asking for it runs once per carrier."""
    return request.param


@pytest.fixture
def fake(case):
    """The case's carrier fake on 127.0.0.1 (a test module may define its own `fake` for one carrier)."""
    with case.make_fake() as server:
        yield server
