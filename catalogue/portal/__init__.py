"""The producers' portal and the OCOP office's pages, under /portal (session sign-in)."""

from __future__ import annotations

from flask import Flask, g


def init_portal(app: Flask) -> None:
    """Flask-Login and the portal blueprints (the login's rate limiter is an extension, bound in create_app)."""
    from catalogue.portal import (
        bulk,  # noqa: F401 - a producer's bulk update and photo routes join portal
        channels,  # noqa: F401 - oversells and channel buffers join portal (and the banner portal_admin)
        delivery,  # noqa: F401 - pickup addresses and the zone table join portal and portal_admin
        imports,  # noqa: F401 - the decision-list import's routes join portal_admin
        live,  # noqa: F401 - live sessions' routes join portal
        lots,  # noqa: F401 - lots' routes join portal and portal_admin
        moderation,  # noqa: F401 - the review queue's routes join portal_admin
        parcels,  # noqa: F401 - parcels' booking joins portal, automatic booking portal_admin
        reports,  # noqa: F401 - the dashboard's and reports' routes join both blueprints
    )
    from catalogue.portal.account import portal_account
    from catalogue.portal.admin import portal_admin
    from catalogue.portal.auth import login_manager, portal_auth
    from catalogue.portal.invoices import portal_invoices
    from catalogue.portal.payments import portal_payments
    from catalogue.portal.views import portal
    from catalogue.portal.wording import listing_problem
    from catalogue.sync.models import MARKETPLACE_NAMES

    login_manager.init_app(app)
    app.register_blueprint(portal_auth)
    app.register_blueprint(portal)
    app.register_blueprint(portal_admin)
    app.register_blueprint(portal_account)
    app.register_blueprint(portal_payments)
    app.register_blueprint(portal_invoices)
    app.before_request(_forget_request_facts)
    app.jinja_env.filters["listing_problem"] = listing_problem
    # A marketplace as people read it, from the one table of names (catalogue.sync.models), never a template's own copy.
    app.jinja_env.filters["marketplace_name"] = lambda name: MARKETPLACE_NAMES.get(name, name)


def _forget_request_facts() -> None:
    """Who is signed in and the CSRF token are per-request facts, but Flask-Login and Flask-WTF
    cache them on `g`, which lives on the app context, and an app context can outlive a request
    (tests and CLI code that push one): start every request from the session instead."""
    g.pop("_login_user", None)
    g.pop("csrf_token", None)
