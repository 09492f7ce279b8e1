"""schemathesis over every /api/v1 operation of the OpenAPI document, with each role's token (issue 22, "Proof").

In process (the WSGI app itself, no socket), derandomized and bounded: a few generated cases per
operation and role. Every answer must be no server error, and conform to the document: its status
code documented, its content type the documented one, its body valid against the documented schema.
"""

from __future__ import annotations

import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.access_helpers import auth, cast

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
ROLES = ("anonymous", "owner", "admin", "sync_token")  # anonymous, a producer, the office, the marketplace worker
EXAMPLES = 3
BUDGET_SECONDS = 90


@pytest.mark.slow
def test_every_api_operation_answers_as_documented_for_every_role(app):
    world = cast()
    app.config.update(RAISE_UNEXPECTED_ERRORS=False)  # a 500 is what this test counts, not a traceback to stop at
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [operation for operation in operations if operation.path.startswith("/api/v1/")]
    failures: list[str] = []
    started = time.monotonic()

    for operation in operations:
        for role in ROLES:
            # Invalid input as the public and as the office (the widest access): validation comes before the role's
            # data, so the other roles add time, not cases.
            negative = _has_inputs(operation) and role in ("anonymous", "admin")
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)[: 2 if negative else 1]:
                _fuzz(operation, mode, role, auth(world["tokens"][role]), failures)

    assert len(operations) >= 28
    assert failures == [], f"{len(failures)} failures:\n\n" + "\n\n".join(failures)
    assert time.monotonic() - started < BUDGET_SECONDS


def _has_inputs(operation) -> bool:
    """Whether the operation takes anything a client could send wrong (path, query, body)."""
    return bool(len(operation.path_parameters) or len(operation.query) or len(operation.body))


def _fuzz(operation, mode: GenerationMode, role: str, headers: dict, failures: list[str]) -> None:
    """A few derandomized cases of `operation` (valid ones, or invalid ones: `mode`) with `role`'s headers; each
    failed check is added to `failures`."""

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(mode, headers=headers or None))
    def run(case):
        response = case.call()
        try:
            case.validate_response(response, checks=CHECKS)
        except Exception as error:  # every failure is collected, so one run lists them all
            failures.append(f"{role} {mode.value} {operation.label}: {str(error)[:700]}")

    try:
        run()
    except Unsatisfiable:  # an operation with nothing to make invalid (no parameters, no body) has no negative case
        if mode is GenerationMode.POSITIVE:
            raise
