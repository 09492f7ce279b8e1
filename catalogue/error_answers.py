"""The one place where every error becomes an HTTP answer.

Under /api/ (and /webhooks/) every error is the contract's JSON body
`{"code", "status", "message", "errors"}` (catalogue.errors.error_body); elsewhere an HTML page.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_babel import get_locale, gettext
from werkzeug.exceptions import HTTPException, InternalServerError

from catalogue.errors import DomainError, error_body
from catalogue.refusals import refusal_words

log = logging.getLogger(__name__)

JSON_PREFIXES = ("/api/", "/webhooks/")


def wants_json() -> bool:
    """True for API and webhook paths, and for clients that prefer JSON."""
    if request.path.startswith(JSON_PREFIXES):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def answer(status: int, message: str, errors: dict | None = None, headers=None, code: str | None = None) -> Response:
    """The error as JSON or as the error page, whichever the client reads; `headers` kept but its content type.

    A domain refusal's `code` goes into the JSON as `error_code`; the page words it (catalogue.refusals), in the
    reader's language, Vietnamese first, instead of the service's English message."""
    if wants_json():
        response = jsonify(error_body(status, message, errors, code))
    else:
        response = Response(_error_page(status, refusal_words(code) or message), mimetype="text/html")
    response.status_code = status
    for name, value in headers or []:
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


# A letter only Vietnamese writes (a tone or a vowel mark, or đ): a sentence without one is not Vietnamese.
_VIETNAMESE = re.compile("[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]", re.IGNORECASE)


def _status_sentences() -> dict[int, str]:
    return {
        400: gettext("Yêu cầu chưa hợp lệ. Hãy quay lại trang trước, kiểm tra thông tin rồi thử lại."),
        401: gettext("Bạn cần đăng nhập để mở trang này."),
        403: gettext(
            "Tài khoản của bạn không có quyền xem hoặc thay đổi mục này. Hãy đăng nhập bằng tài khoản phụ trách "
            "mục này, hoặc liên hệ văn phòng OCOP nếu bạn cần quyền."
        ),
        405: gettext("Trang này không nhận thao tác vừa gửi. Hãy mở lại trang từ menu rồi thao tác trên trang đó."),
        409: gettext("Dữ liệu vừa được thay đổi ở nơi khác. Hãy tải lại trang để xem bản mới nhất rồi thử lại."),
        413: gettext("Tệp hoặc dữ liệu gửi lên quá lớn. Hãy chọn tệp nhỏ hơn."),
        415: gettext("Loại tệp hoặc dữ liệu này không được nhận. Hãy kiểm tra lại rồi thử lại."),
        422: gettext("Thông tin gửi lên chưa hợp lệ. Hãy kiểm tra lại các ô rồi thử lại."),
        429: gettext("Bạn thao tác quá nhanh. Hãy đợi một lát rồi thử lại."),
    }


def for_reader(message: str | None, status: int = 400) -> str:
    """`message` when the page's reader can read it, else what the status means for them, with what to do.

    Services and Werkzeug word refusals in English for the API; a page read in Vietnamese shows only
    Vietnamese, so an English sentence (none of Vietnamese's letters) gives way to the status's sentence.
    """
    locale = str(get_locale() or "vi")
    if message and (locale != "vi" or _VIETNAMESE.search(message)):
        return message
    sentences = _status_sentences()
    return sentences.get(status) or sentences[400]


def _error_page(status: int, message: str) -> str:
    """The storefront's error page; plain text if even that cannot be rendered."""
    try:
        return render_template("errors/error.html", status=status, message=for_reader(message, status))
    except Exception:  # a broken template must not turn an error page into a crash loop
        log.exception("Error page failed to render")
        return f"{status} {HTTPStatus(status).phrase}: {message}"


def handle_http_exception(error: HTTPException) -> Response:
    """Werkzeug/flask-smorest errors, including webargs' 422 with field messages."""
    if error.code == 304:  # flask-smorest signals "not modified" as an exception
        return Response(status=304)
    data = getattr(error, "data", None) or {}
    errors = data.get("messages") or data.get("errors") or {}
    locations = {"query", "json", "form", "headers", "path", "files"}
    if isinstance(errors, dict) and len(errors) == 1 and set(errors) <= locations:
        # webargs nests messages by location; flatten the single location when it names fields
        # (a body that is not JSON at all stays {"json": [...]}: errors is always an object).
        inner = next(iter(errors.values()))
        errors = inner if isinstance(inner, dict) else errors
    if not isinstance(errors, dict):
        errors = {"_schema": errors}
    message = data.get("message") or error.description or HTTPStatus(error.code).phrase
    if errors and error.code == 422 and not data.get("message"):
        message = "Some fields are invalid: " + ", ".join(sorted(map(str, errors))) + "."
    return answer(error.code or 500, message, errors, headers=error.get_headers())


def handle_domain_error(error: DomainError) -> Response:
    """Domain refusals become 4xx answers with the service's message."""
    return answer(int(error.http_status), error.message, error.errors, headers=error.headers, code=error.code)


def handle_unexpected(error: Exception) -> Response:
    """Anything else is logged and becomes a 500 without internals (tests make it raise)."""
    if current_app.config.get("RAISE_UNEXPECTED_ERRORS"):
        raise error
    log.exception("Unhandled error on %s %s", request.method, request.path, exc_info=error)
    return answer(500, InternalServerError.description)


def register_error_handlers(app: Flask) -> None:
    """Install the handlers; they override flask-smorest's JSON-only one."""
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(Exception, handle_unexpected)
