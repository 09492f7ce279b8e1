"""The live page (/live/<code>): a session's pinned products, their stock as it moves, and "Mua ngay".

Works without JavaScript (the page shows the stock as it was, a reload shows it again, and
"Mua ngay" is a form); with it, the page listens to /live/<code>/events (server-sent events) and
falls back to polling /live/<code>/stock.json. "Mua ngay" puts a signed marker in the session
(Flask's signed cookie) naming the session and the product; the checkout page, opened with
?live=<code>, checks out that product alone with VietQR chosen, and the order carries the
session. The price is never taken from the request: the order service prices it, live only
inside the session's window (catalogue.orders.services.LiveTerms).
"""

from __future__ import annotations

import json
import secrets
import time

from flask import Blueprint, Response, abort, current_app, jsonify, redirect, render_template, session, url_for
from flask_babel import gettext
from wtforms import HiddenField, IntegerField
from wtforms.validators import DataRequired, InputRequired, NumberRange

from catalogue import clock
from catalogue.errors import NotFound
from catalogue.extensions import db
from catalogue.forms import Form
from catalogue.live import services as live
from catalogue.live.models import LiveSession
from catalogue.live.stream import StockHub, changed
from catalogue.storefront.forms import QUANTITY_RANGE, QUANTITY_REQUIRED, UNKNOWN_PRODUCT

live_page = Blueprint("live", __name__)
MARKER = "live"  # the session key of a "Mua ngay": {"id", "code", "product", "quantity"}
HEARTBEAT_SECONDS = 15


class BuyNowForm(Form):
    product_id = HiddenField(validators=[DataRequired(UNKNOWN_PRODUCT)])
    quantity = IntegerField(
        validators=[InputRequired(QUANTITY_REQUIRED), NumberRange(min=1, max=99, message=QUANTITY_RANGE)], default=1
    )


def _session(code: str) -> LiveSession:
    try:
        return live.session_by_code(code)
    except NotFound:
        abort(404)


@live_page.get("/live/<code>")
def page(code: str):
    found = _session(code)
    now = clock.now()
    pins = live.pinned(found, now, clock.today())
    session_id, title = found.id, found.title
    starts_at, ends_at, is_open = found.starts_at, found.ends_at, live.is_open(found, now)
    live.count_visit(session_id)
    response = current_app.make_response(
        render_template(
            "storefront/live.html",
            session=found,
            title=title,
            starts_at=starts_at,
            ends_at=ends_at,
            is_open=is_open,
            pins=pins,
            form=BuyNowForm(),
            code=found.code,
        )
    )
    response.headers["Cache-Control"] = "no-store"  # stock and price move; each view is counted
    return response


@live_page.post("/live/<code>/buy")
def buy(code: str):
    """ "Mua ngay": straight to checkout with this product alone, VietQR chosen, the session marked."""
    found = _session(code)
    form = BuyNowForm()
    pinned_ids = {pin.product_id for pin in found.pins}
    try:
        product_id = int(form.product_id.data or 0)
    except ValueError:
        product_id = 0
    if not form.validate() or product_id not in pinned_ids:
        abort(400)
    visitor = session.get("visitor") or secrets.token_urlsafe(16)
    session["visitor"] = visitor
    session[MARKER] = {"id": found.id, "code": found.code, "product": product_id, "quantity": form.quantity.data}
    live.reached_checkout(found.id, visitor)
    return redirect(url_for("checkout.checkout_page", live=found.code), code=303)


@live_page.get("/live/<code>/stock.json")
def stock(code: str):
    """The pinned products' stock and versions (the page's polling fallback)."""
    found = _session(code)
    response = jsonify({"products": {str(k): v for k, v in live.stock_of(found.id).items()}})
    response.headers["Cache-Control"] = "no-store"
    return response


@live_page.get("/live/<code>/events")
def events(code: str):
    """text/event-stream: a `stock` event with every pin at once, then one per change; ends after a while
    (the browser reconnects by itself, `retry`); 503 when this process holds its most streams."""
    found = _session(code)
    session_id = found.id
    current = live.stock_of(session_id)
    db.session.remove()  # the stream holds no connection: the hub's poller reads for every stream
    hub = _hub()
    config = current_app.config
    seconds = float(config.get("LIVE_STREAM_SECONDS", 300))
    heartbeat = min(HEARTBEAT_SECONDS, seconds)
    if hub.streams >= hub.max_streams:
        answer = jsonify({"error": "Too many open streams; poll stock.json."})
        answer.status_code, answer.headers["Retry-After"] = 503, "5"
        return answer

    def stream():
        with hub.watching(session_id, current) as admitted:
            if not admitted:
                yield "retry: 5000\n\n"
                return
            sent, seen = current, 0
            yield "retry: 2000\n" + _event(sent)
            ends = time.monotonic() + seconds
            while time.monotonic() < ends:
                seen, snapshot = hub.wait(session_id, seen, min(heartbeat, ends - time.monotonic()))
                delta = changed(sent, snapshot)
                if delta:
                    sent = snapshot
                    yield _event(delta)
                else:
                    yield ": keepalive\n\n"

    response = Response(stream(), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


def _event(products: dict) -> str:
    return "event: stock\ndata: " + json.dumps({"products": {str(k): v for k, v in products.items()}}) + "\n\n"


def _hub() -> StockHub:
    app = current_app._get_current_object()
    hub = app.extensions.get("live_stock_hub")
    if hub is None:

        def read(session_id: int) -> dict:
            with app.app_context():
                try:
                    return live.stock_of(session_id)
                finally:
                    db.session.remove()

        hub = app.extensions["live_stock_hub"] = StockHub(
            read,
            interval=float(app.config.get("LIVE_POLL_SECONDS", 1.0)),
            max_streams=int(app.config.get("LIVE_MAX_STREAMS", 1000)),
        )
    return hub


def checkout_marker(code: str | None) -> dict | None:
    """The "Mua ngay" marker for the checkout opened with ?live=<code>, when it is this browser's."""
    marker = session.get(MARKER)
    if not code or not isinstance(marker, dict) or marker.get("code") != code:
        return None
    return marker


def live_terms(marker: dict):
    """The terms of the marker's session (None if it is gone)."""
    found = db.session.get(LiveSession, marker["id"])
    return live.terms(found) if found is not None else None


def cap_text(error: live.CapExceeded) -> str:
    return gettext(
        "Mỗi người mua tối đa %(cap)s «%(product)s» trong phiên live này; bạn đã đặt %(already)s.",
        cap=error.cap,
        product=error.product_name,
        already=error.already,
    )


def placed(marker: dict, order_code: str) -> None:
    """The live checkout placed its order: the marker is spent, the checkout row knows the order."""
    session.pop(MARKER, None)
    if session.get("visitor"):
        live.checkout_placed(marker["id"], session["visitor"], order_code)
