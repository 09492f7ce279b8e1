"""Domain errors: a business rule's refusal, and the HTTP status it is answered with.

The answer itself (JSON under /api/, an HTML page elsewhere) is made in catalogue.error_answers,
at the edge: a domain raises these without knowing about requests.
"""

from __future__ import annotations

from http import HTTPStatus


class DomainError(Exception):
    """A business rule refused the request; `http_status` says how to answer.

    `code` names the refusal per domain (`order.not_cancellable`, `payment.wrong_amount`): pages word
    it by code in the reader's language, JSON answers carry it as `error_code` (the body's `code` is the
    HTTP status, as the contract has always said). None where no page words it yet.
    """

    http_status = HTTPStatus.BAD_REQUEST
    code: str | None = None
    headers: tuple[tuple[str, str], ...] = ()  # sent with the answer (a 503's Retry-After)

    def __init__(self, message: str, errors: dict | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
        if code is not None:
            self.code = code


class NotFound(DomainError):
    """The thing asked for does not exist (or is not visible to the caller)."""

    http_status = HTTPStatus.NOT_FOUND


class InvalidInput(DomainError):
    """Input is well-formed but breaks a rule; `errors` names the fields."""

    http_status = HTTPStatus.UNPROCESSABLE_ENTITY


class Conflict(DomainError):
    """The request conflicts with the current state (e.g. not enough stock)."""

    http_status = HTTPStatus.CONFLICT


class PermissionDenied(DomainError):
    """The caller is known but may not do this."""

    http_status = HTTPStatus.FORBIDDEN


def error_body(status: int, message: str, errors: dict | None = None, error_code: str | None = None) -> dict:
    """The contract's error body: `errors` is always an object, empty when no field is to blame; a domain's
    refusal adds its `error_code` (a compatible addition: clients that do not know it ignore it)."""
    body = {"code": status, "status": HTTPStatus(status).phrase, "message": message, "errors": errors or {}}
    if error_code:
        body["error_code"] = error_code
    return body
