"""The shoppers' storefront: Vietnamese first, light, works without JavaScript."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Flask, current_app, redirect, request, session, url_for
from flask_babel import Babel, get_locale, refresh
from flask_babel import gettext as _
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFError

from catalogue.error_answers import answer as _answer
from catalogue.formatting import register_filters
from catalogue.money import format_vnd
from catalogue.payments import payment_rails
from catalogue.payments.port import origin_of
from catalogue.storefront.messages import decline_text
from catalogue.storefront.rendering import product_json_ld, rich_text
from catalogue.urls import absolute_url, raster_image_url


class _Talisman(Talisman):
    """Talisman, with the work it repeats on every request done once.

    Talisman recomputes a view's options (defaults merged into the view's own, four
    times per request) and rebuilds the Content-Security-Policy string from its dict
    on every response. The options depend only on the endpoint and the configuration,
    the policy string only on the policy (a constant, CONTENT_SECURITY_POLICY), so they
    are remembered; the headers are still set on every response by Talisman's own code,
    and what varies per request (HTTPS redirect, HSTS, nonces) is still decided per request.
    """

    def init_app(self, app: Flask, **kwargs) -> None:
        self._options_by_endpoint: dict[str | None, dict] = {}
        self._policies: dict[int, tuple[object, str]] = {}
        super().init_app(app, **kwargs)

    def _get_local_options(self) -> dict:
        endpoint = request.endpoint
        options = self._options_by_endpoint.get(endpoint)
        if options is None:
            options = self._options_by_endpoint[endpoint] = super()._get_local_options()
        return options

    def _force_https(self):
        """Talisman's HTTPS redirect, to PUBLIC_BASE_URL when set: never to a host the client named."""
        answer = super()._force_https()
        base = current_app.config.get("PUBLIC_BASE_URL")
        if answer is None or not base:
            return answer
        path = request.full_path if request.query_string else request.path
        return redirect(base + path, code=answer.status_code)

    def _parse_policy(self, policy) -> str:
        if self._get_local_options()["content_security_policy_nonce_in"]:
            return super()._parse_policy(policy)  # a nonce is per request
        key = id(policy)
        known = self._policies.get(key)
        if known is None or known[0] is not policy:
            known = self._policies[key] = (policy, super()._parse_policy(policy))
        return known[1]


babel = Babel()

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "img-src": ["'self'", "data:"],
    "style-src": "'self'",
    "script-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def select_locale() -> str:
    """Vietnamese unless the shopper chose English (remembered in the session)."""
    return session.get("lang", "vi")


def init_storefront(app: Flask) -> None:
    """Babel, CSRF, security headers, template helpers and the storefront blueprints."""
    from catalogue.storefront.checkout import checkout
    from catalogue.storefront.live import live_page
    from catalogue.storefront.pages import operator_facts  # also adds the policy and look-up pages
    from catalogue.storefront.resolver import resolver
    from catalogue.storefront.seo import seo
    from catalogue.storefront.views import storefront

    babel.init_app(app, locale_selector=select_locale)
    # Registered before Talisman so it runs after it (Flask runs after_request handlers in reverse).
    app.after_request(_adjust_csp)
    # One Talisman per app: it keeps its options (force_https…) on itself, so a process-wide one took the last
    # app's; an app made for production (HTTPS forced) then redirected every other app's requests (tests, CLI).
    talisman = app.extensions["talisman"] = _Talisman()
    talisman.init_app(
        app,
        force_https=app.config["FORCE_HTTPS"],
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        content_security_policy=CONTENT_SECURITY_POLICY,
        referrer_policy="strict-origin-when-cross-origin",
        frame_options="DENY",
    )
    app.register_blueprint(storefront)
    app.register_blueprint(checkout)
    app.register_blueprint(live_page)
    from catalogue.storefront.invoice_pages import invoice_pages

    app.register_blueprint(invoice_pages)
    app.register_blueprint(seo)
    app.register_blueprint(resolver)
    app.jinja_env.filters["vnd"] = format_vnd
    app.jinja_env.filters["rich_text"] = rich_text
    register_filters(app)
    app.jinja_env.filters["decline_text"] = decline_text
    app.jinja_env.globals["cart_count"] = lambda: sum(session.get("cart", {}).values())
    app.jinja_env.globals["absolute_url"] = absolute_url
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["asset_url"] = _asset_url
    app.jinja_env.globals["product_json_ld"] = product_json_ld
    app.jinja_env.globals["og_image_url"] = raster_image_url
    app.context_processor(operator_facts)
    app.register_error_handler(CSRFError, _csrf_error)
    # The locale is a per-request fact; Babel caches it on the app context, which can outlive a request.
    app.before_request(refresh)


@lru_cache(maxsize=64)
def _asset_hash(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def _asset_url(filename: str) -> str:
    """A static file's URL carrying its content hash, so it can be cached for a year."""
    return url_for("static", filename=filename, v=_asset_hash(str(Path(current_app.static_folder) / filename)))


def _csrf_error(error: CSRFError):
    return _answer(400, _("Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Vui lòng tải lại trang và thử lại."))


# The pages whose forms post to a hand-off: the POST answers a 303 to the gateway's page (VNPay,
# MoMo), and Chromium checks form-action on that redirect too, so these allow the gateways' origins.
HANDOFF_PAGES = frozenset({"checkout.checkout_page", "checkout.order"})


def _adjust_csp(response):
    """The payment page may load Stripe.js and talk to Stripe; the pages that hand the buyer to a
    redirect rail's gateway (HANDOFF_PAGES) may post to exactly the configured gateways' origins.

    Every other page keeps the strict policy (the API docs too: their assets are our own).
    """
    if request.endpoint == "resolver.report":  # an uploaded file: nothing in it may run
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response
    if request.endpoint not in HANDOFF_PAGES or "Content-Security-Policy" not in response.headers:
        return response
    policy = response.headers["Content-Security-Policy"]
    origins = payment_rails().handoff_origins
    if origins:
        policy = policy.replace("form-action 'self'", " ".join(("form-action 'self'", *origins)))
    if request.endpoint == "checkout.order":
        js = origin_of(current_app.config["STRIPE_JS_URL"])  # absolute: the configuration checked it
        api = origin_of(current_app.config["STRIPE_API_BASE"] or "https://api.stripe.com")
        policy = policy.replace("script-src 'self'", f"script-src 'self' {js}")
        policy = f"{policy}; frame-src {js} https://hooks.stripe.com; connect-src 'self' {js} {api}"
    response.headers["Content-Security-Policy"] = policy
    return response
