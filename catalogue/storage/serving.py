"""Files as HTTP answers: public ones at /media/<key>, private ones only from views that checked access.

Public files are streamed by the app by default (STORAGE_SERVE=stream): the URL stays the
app's own (browsers, CDNs and nginx cache it; og:image and feeds keep working), the store may
sit on a private network, and conditional requests answer 304. STORAGE_SERVE=redirect answers
a 302 to a short-lived signed URL instead, which spares the web node the bytes when the store
is reachable by shoppers (figures of both in bench/README.md).
"""

from __future__ import annotations

import mimetypes

from flask import Response, abort, current_app, redirect, send_file
from werkzeug.exceptions import ServiceUnavailable

from catalogue.storage import BadKey, FileMissing, StorageError, StoredFile, storage
from catalogue.storage.local import LocalStorage

PUBLIC_MAX_AGE = 86400


def serve_public(key: str) -> Response:
    """A public file (photos, placeholders), cached by browsers for a day; 404 for anything else."""
    store = storage()
    try:
        if isinstance(store, LocalStorage):
            return send_file(store.path_of(key), max_age=PUBLIC_MAX_AGE, conditional=True)
        if current_app.config.get("STORAGE_SERVE") == "redirect":
            return _signed_redirect(store, key)
        return send_stored(store.open(key), max_age=PUBLIC_MAX_AGE, mimetype=_type_of(key))
    except (BadKey, FileMissing, FileNotFoundError, IsADirectoryError, NotADirectoryError):
        abort(404)
    except StorageError as error:
        current_app.logger.exception("The file store did not answer")
        raise ServiceUnavailable("The file store does not answer; try again in a moment.") from error


def _signed_redirect(store, key: str) -> Response:
    expires = int(current_app.config.get("STORAGE_URL_EXPIRES") or 300)
    response = redirect(store.url_for(key, expires_in=expires), code=302)
    # Browsers may reuse the redirect while the signature is good, with a margin for slow clocks.
    response.headers["Cache-Control"] = f"private, max-age={max(expires - 60, 0)}"
    return response


def send_stored(
    stored: StoredFile,
    mimetype: str | None = None,
    max_age: int | None = 0,
    as_attachment: bool = False,
    download_name: str | None = None,
    conditional: bool = True,
) -> Response:
    """Stream an open stored file with its validators (ETag, Last-Modified) so a repeat answers 304.

    `conditional=False` always answers the whole file (e.g. a private report whose answer depends on
    who asks, and which no cache may keep); `max_age=None` leaves Cache-Control to the caller.
    """
    response = send_file(
        stored.stream,
        mimetype=mimetype or stored.content_type,
        as_attachment=as_attachment,
        download_name=download_name,
        etag=stored.etag or False,
        last_modified=stored.last_modified,
        max_age=max_age,
        conditional=False,
    )
    response.content_length = stored.size
    if not conditional:
        return response
    from flask import request

    return response.make_conditional(request)


def _type_of(key: str) -> str | None:
    return mimetypes.guess_type(key)[0]
