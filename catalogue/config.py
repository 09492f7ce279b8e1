"""Settings read from the environment (contract §2).

Development and testing get safe defaults; production refuses to start without
the secrets it needs, so a missing key fails loudly instead of silently.
"""

from __future__ import annotations

import os
import secrets
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ENVIRONMENTS = ("development", "testing", "production")


class ConfigError(RuntimeError):
    """Raised when the environment cannot produce a usable configuration."""


def normalise_database_url(url: str) -> str:
    """Point PostgreSQL URLs at the psycopg 3 driver we ship."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _secret_key(environment: str, instance_path: Path) -> str:
    """Return SECRET_KEY from env, or (outside production) a key kept in instance/."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if environment == "production":
        raise ConfigError("SECRET_KEY must be set in production.")
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    if environment == "testing":
        return secrets.token_hex(32)
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key + "\n")
    key_file.chmod(0o600)
    return key


STRIPE_PLACEHOLDER_SECRET = "sk_test_placeholder"
STRIPE_PLACEHOLDERS = {  # development and tests: test-mode keys that reach no account
    "STRIPE_SECRET_KEY": STRIPE_PLACEHOLDER_SECRET,
    "STRIPE_PUBLISHABLE_KEY": "pk_test_placeholder",
    "STRIPE_WEBHOOK_SECRET": "whsec_placeholder",
}
STRIPE_KEYS = tuple(STRIPE_PLACEHOLDERS)


def _stripe_keys(environment: str) -> dict[str, str | None]:
    """The three Stripe keys: test-mode placeholders outside production; in production all three
    (Stripe on) or none (Stripe off: a shop taking only VietQR, VNPay or MoMo), never some."""
    given = {name: (os.environ.get(name) or "").strip() or None for name in STRIPE_KEYS}
    if environment != "production":
        return {name: value or STRIPE_PLACEHOLDERS[name] for name, value in given.items()}
    partly = half_set(given, STRIPE_KEYS)
    if partly:
        raise ConfigError(f"{partly}: set all three Stripe keys to take cards, or none to leave Stripe off.")
    return given


def half_set(config: dict[str, Any], names: tuple[str, ...]) -> str | None:
    """'B, C must be set in production when A is' when some of `names` are set but not all; else None."""
    missing = [name for name in names if not config.get(name)]
    present = [name for name in names if name not in missing]
    if not (missing and present):
        return None
    verb = "is" if len(present) == 1 else "are"
    return f"{', '.join(missing)} must be set in production when {', '.join(present)} {verb}"


ORDER_LIMIT_SETTINGS = (
    "ORDER_MAX_UNITS_PER_LINE", "ORDER_MAX_UNITS_PER_ORDER", "ORDER_LIMIT_PER_CLIENT", "ORDER_LIMIT_PER_CONTACT",
    "ORDER_PLACEMENTS_IN_FLIGHT", "ORDER_PLACEMENTS_PER_SECOND", "ORDER_ADMISSION_WAIT_MS", "ORDER_RETRY_AFTER_SECONDS",
)  # fmt: skip


def _absolute_url(name: str, value: str | None) -> str | None:
    """`value` when it is an absolute http(s) URL (or unset): the payment page's CSP names its origin."""
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigError(f"{name} must be an absolute https address such as https://js.stripe.com/v3/, not {value!r}.")
    return value


def _payment_settings(environment: str) -> dict[str, Any]:
    """Stripe keys (test-mode placeholders outside production, optional in production), reservations,
    shipping, mail."""
    settings: dict[str, Any] = dict(_stripe_keys(environment))
    settings.update(
        {
            "STRIPE_API_BASE": _absolute_url("STRIPE_API_BASE", os.environ.get("STRIPE_API_BASE") or None),
            "STRIPE_JS_URL": _absolute_url(
                "STRIPE_JS_URL", os.environ.get("STRIPE_JS_URL", "https://js.stripe.com/v3/")
            ),
            "RESERVATION_MINUTES": int(os.environ.get("RESERVATION_MINUTES", "15")),
            # Order placement caps and limits (catalogue.orders.placement_limits; unset: its defaults).
            **{name: os.environ.get(name) or None for name in ORDER_LIMIT_SETTINGS},
            # Delivery (catalogue.delivery): how long a carrier's fee is remembered, how long checkout waits for it.
            "SHIPPING_QUOTE_CACHE_SECONDS": int(os.environ.get("SHIPPING_QUOTE_CACHE_SECONDS", "600")),
            "SHIPPING_QUOTE_TIMEOUT": float(os.environ.get("SHIPPING_QUOTE_TIMEOUT", "3")),
            "CACHE_REDIS_URL": os.environ.get("CACHE_REDIS_URL") or None,
            "MAIL_SERVER": os.environ.get("MAIL_SERVER") or None,
            "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
            "MAIL_FROM": os.environ.get("MAIL_FROM", "OCOP Quảng Ninh <no-reply@ocop-quangninh.vn>"),
        }
    )
    return settings


# The domestic rails and the bank feeds (contract §7): unset means that rail is off; in development
# VietQR is offered against the clearly marked demo account (catalogue.payments.vietqr.DEMO_ACCOUNT).
RAIL_SETTINGS = (
    "VIETQR_BANK_BIN", "VIETQR_ACCOUNT_NO", "VIETQR_ACCOUNT_NAME", "BANK_WEBHOOK_API_KEY", "CASSO_WEBHOOK_KEY",
    "VNPAY_TMN_CODE", "VNPAY_HASH_SECRET", "VNPAY_URL", "VNPAY_API", "MOMO_PARTNER_CODE", "MOMO_ACCESS_KEY",
    "MOMO_SECRET_KEY", "MOMO_API_BASE", "ZALOPAY_APP_ID", "ZALOPAY_KEY1", "ZALOPAY_KEY2", "ZALOPAY_API_BASE",
)  # fmt: skip


# Carriers (contract §8): a carrier is on when all its settings but the API base are set; some but not all
# is refused in production (catalogue.carriers.registry names it everywhere else). CARRIER_DEFAULT picks
# which one books when both are on.
CARRIER_SETTING_GROUPS = {
    "GHN": ("GHN_TOKEN", "GHN_SHOP_ID", "GHN_WEBHOOK_TOKEN"),
    "Viettel Post": ("VIETTELPOST_USERNAME", "VIETTELPOST_PASSWORD", "VIETTELPOST_WEBHOOK_TOKEN"),
}
CARRIER_SETTINGS = (
    "GHN_API_BASE", "GHN_TOKEN", "GHN_SHOP_ID", "GHN_WEBHOOK_TOKEN", "VIETTELPOST_API_BASE", "VIETTELPOST_USERNAME",
    "VIETTELPOST_PASSWORD", "VIETTELPOST_WEBHOOK_TOKEN", "CARRIER_DEFAULT",
)  # fmt: skip


def _carrier_settings(environment: str) -> dict[str, Any]:
    """GHN_*, VIETTELPOST_*, CARRIER_DEFAULT from the environment (None when unset)."""
    settings = {name: (os.environ.get(name) or "").strip() or None for name in CARRIER_SETTINGS}
    if environment == "production":
        for brand, names in CARRIER_SETTING_GROUPS.items():
            partly = half_set(settings, names)
            if partly:
                raise ConfigError(f"{partly}: set all of {brand}'s settings to ship with {brand}, or none.")
    return settings


def _rail_settings() -> dict[str, Any]:
    """VIETQR_*, BANK_WEBHOOK_API_KEY, CASSO_WEBHOOK_KEY, VNPAY_*, MOMO_* from the environment (None when unset)."""
    return {name: (os.environ.get(name) or "").strip() or None for name in RAIL_SETTINGS}


# The seller's facts a Vietnamese shop website must show (Decree 52/2013, art. 29, amended by 85/2021).
# Development and tests get these clearly marked sample values; production refuses to start without them.
OPERATOR_SAMPLE = {
    "OPERATOR_NAME": "Công ty TNHH Dữ liệu Mẫu OCOP (dữ liệu mẫu)",
    "OPERATOR_ADDRESS": "Số 1 đường Mẫu, phường Hồng Gai, tỉnh Quảng Ninh (địa chỉ mẫu)",
    "OPERATOR_HOTLINE": "0203 000 0000",
    "OPERATOR_EMAIL": "hotro@example.com",
    "OPERATOR_REGISTRATION_NO": "0000000000",
    "OPERATOR_REGISTRATION_ISSUER": "Sở Tài chính tỉnh Quảng Ninh (mẫu)",
    "OPERATOR_REGISTRATION_DATE": "2024-01-02",
}


def _operator_settings(environment: str) -> dict[str, Any]:
    """Who runs the shop: from OPERATOR_*; sample values (flagged OPERATOR_IS_SAMPLE) outside production."""
    given = {name: (os.environ.get(name) or "").strip() for name in OPERATOR_SAMPLE}
    missing = [name for name, value in given.items() if not value]
    if missing and environment == "production":
        raise ConfigError(
            f"{', '.join(missing)} must be set in production: a shop website shows who runs it "
            "(Decree 52/2013/NĐ-CP, art. 29)."
        )
    try:
        date.fromisoformat(given["OPERATOR_REGISTRATION_DATE"] or OPERATOR_SAMPLE["OPERATOR_REGISTRATION_DATE"])
    except ValueError as error:
        raise ConfigError("OPERATOR_REGISTRATION_DATE must be a date such as 2024-01-02.") from error
    settings: dict[str, Any] = {name: value or OPERATOR_SAMPLE[name] for name, value in given.items()}
    settings["OPERATOR_IS_SAMPLE"] = bool(missing)
    # Optional: the page of the shop's notice to the Ministry of Industry and Trade (online.gov.vn).
    settings["OPERATOR_MOIT_NOTICE_URL"] = os.environ.get("OPERATOR_MOIT_NOTICE_URL") or None
    settings["RETURN_WINDOW_DAYS"] = int(os.environ.get("RETURN_WINDOW_DAYS", "7"))
    return settings


MARKETPLACE_VARIABLES = (
    "SHOPEE_API_BASE",
    "SHOPEE_PARTNER_ID",
    "SHOPEE_PARTNER_KEY",
    "SHOPEE_SHOP_ID",
    "SHOPEE_ACCESS_TOKEN",
    "SHOPEE_PUSH_URL",
    "LAZADA_API_BASE",
    "LAZADA_APP_KEY",
    "LAZADA_APP_SECRET",
    "LAZADA_ACCESS_TOKEN",
    "TIKTOK_API_BASE",
    "TIKTOK_APP_KEY",
    "TIKTOK_APP_SECRET",
    "TIKTOK_ACCESS_TOKEN",
    "TIKTOK_SHOP_CIPHER",
)


INVOICE_PROVIDER_NAMES = ("vnpt", "viettel", "misa")


def _invoice_settings(environment: str, instance: Path) -> dict[str, Any]:
    """E-invoices (catalogue/invoices): certificates' folder and password, shipping share, providers."""
    password = os.environ.get("INVOICE_CERT_PASSWORD") or None
    settings: dict[str, Any] = {
        "INVOICE_CERT_DIR": os.environ.get("INVOICE_CERT_DIR") or str(instance / "invoice-certs"),
        "INVOICE_CERT_PASSWORD": password,  # unset: derived from SECRET_KEY (catalogue.invoices.settings)
        # Outside production a producer without a certificate signs with a generated development one.
        "INVOICE_DEV_CERTIFICATES": environment != "production",
        # by_value: each producer invoices its share of shipping in proportion to its goods; none: nobody does.
        "INVOICE_SHIPPING_SPLIT": os.environ.get("INVOICE_SHIPPING_SPLIT", "by_value"),
        "INVOICE_SHIPPING_VAT_RATE": os.environ.get("INVOICE_SHIPPING_VAT_RATE", "8%"),
        "INVOICE_CONNECT_TIMEOUT": float(os.environ.get("INVOICE_CONNECT_TIMEOUT", "3.05")),
        "INVOICE_READ_TIMEOUT": float(os.environ.get("INVOICE_READ_TIMEOUT", "15")),
        "INVOICE_SEND_ATTEMPTS": int(os.environ.get("INVOICE_SEND_ATTEMPTS", "3")),
        "INVOICE_RETRY_MINUTES": int(os.environ.get("INVOICE_RETRY_MINUTES", "10")),
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL") or None,
    }
    for name in INVOICE_PROVIDER_NAMES:
        prefix = f"INVOICE_{name.upper()}_"
        for field in ("URL", "USERNAME", "SECRET", "TAX_CODE"):
            settings[prefix + field] = (os.environ.get(prefix + field) or "").strip() or None
    return settings


def _check_rate_limit_storage(environment: str, config: dict[str, Any]) -> None:
    """Production counts rate limits where every worker and node sees them (contract §8): `memory://` is per worker,
    so with 2 workers on 2 machines a limit of 5 is 20, and the order-placement caps mean nothing."""
    storage = str(config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if environment == "production" and storage.startswith("memory://"):
        raise ConfigError(
            "RATELIMIT_STORAGE_URI must name a shared store in production (e.g. redis://host:6379/0), "
            "not memory://: each worker would count on its own."
        )


STORAGE_SERVE_MODES = ("stream", "redirect")


def _storage_settings(environment: str) -> dict[str, Any]:
    """Where files live (catalogue.storage): STORAGE_URL (contract §8), the S3 settings, the sealing key."""
    serve = os.environ.get("STORAGE_SERVE") or "stream"
    if serve not in STORAGE_SERVE_MODES:
        raise ConfigError(f"STORAGE_SERVE must be stream or redirect, not {serve!r}.")
    return {
        "STORAGE_URL": os.environ.get("STORAGE_URL") or None,  # unset: file:// MEDIA_ROOT
        "STORAGE_SHARED": os.environ.get("STORAGE_SHARED") == "1",
        "STORAGE_ENCRYPTION_KEY": os.environ.get("STORAGE_ENCRYPTION_KEY") or None,  # unset: derived from SECRET_KEY
        "STORAGE_SERVE": serve,  # public files: streamed by the app, or a redirect to a signed URL (bench/README.md)
        "STORAGE_URL_EXPIRES": int(os.environ.get("STORAGE_URL_EXPIRES", "300")),
        **{name: os.environ.get(name) or None for name in STORAGE_S3_VARIABLES},
    }


STORAGE_S3_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")


def _check_storage(environment: str, config: dict[str, Any]) -> None:
    """STORAGE_URL names a store we have; production keeps files where every node sees them (contract §8) and
    seals certificates with a key of its own, not one derived from SECRET_KEY (rotating that would lose them)."""
    url = config.get("STORAGE_URL") or ""
    if url and not url.startswith(("file:///", "s3://")):
        raise ConfigError(f"STORAGE_URL must be file:///abs/path or s3://bucket/prefix, not {url!r}.")
    if environment != "production":
        return
    if not url.startswith("s3://") and not config.get("STORAGE_SHARED"):
        raise ConfigError(
            "STORAGE_URL must name shared storage in production (s3://bucket/prefix): a local folder is seen "
            "by one node only. A folder on a mount every node shares (NFS, CephFS) is allowed with STORAGE_SHARED=1."
        )
    keys = [key.strip() for key in (config.get("STORAGE_ENCRYPTION_KEY") or "").split(",") if key.strip()]
    if not keys:
        raise ConfigError(
            "STORAGE_ENCRYPTION_KEY must be set in production (a Fernet key: "
            'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())").'
        )
    from cryptography.fernet import Fernet

    for key in keys:
        try:
            Fernet(key)
        except ValueError as error:
            raise ConfigError("STORAGE_ENCRYPTION_KEY must be Fernet keys (32 url-safe base64 bytes).") from error


LOG_FORMATS = ("json", "text")


def _observability_settings(environment: str) -> dict[str, Any]:
    """Logs, metrics and traces (catalogue.observability): JSON logs by default in production."""
    log_format = os.environ.get("LOG_FORMAT") or ("json" if environment == "production" else "text")
    if log_format not in LOG_FORMATS:
        raise ConfigError(f"LOG_FORMAT must be json or text, not {log_format!r}.")
    return {
        "LOG_FORMAT": log_format,
        "LOG_LEVEL": (os.environ.get("LOG_LEVEL") or "INFO").upper(),
        "METRICS_TOKEN": os.environ.get("METRICS_TOKEN") or None,
        # How many proxies (nginx, a load balancer) stand in front and set X-Forwarded-For/-Proto; 0: none.
        "PROXY_COUNT": int(os.environ.get("PROXY_COUNT") or 0),
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "OTEL_EXPORTER_OTLP_ENDPOINT": os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or None,
        "OTEL_SERVICE_NAME": os.environ.get("OTEL_SERVICE_NAME") or "ocop-catalogue",
    }


def _public_base_url(environment: str, value: str) -> str:
    """The shop's public origin, without a trailing slash: required in production (contract §8).

    Absolute URLs (stamps, mails, feeds, sitemaps) and the HTTPS redirect are built from it, never
    from the request's Host header, which the client chooses.
    """
    value = value.strip().rstrip("/")
    if not value:
        if environment == "production":
            raise ConfigError(
                "PUBLIC_BASE_URL must be set in production: the shop's public address, such as "
                "https://ocop.quangninh.gov.vn (links in mails, stamps and feeds are built from it)."
            )
        return ""
    parts = urlsplit(value)
    wanted = ("https",) if environment == "production" else ("https", "http")
    if parts.scheme not in wanted or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(
            f"PUBLIC_BASE_URL must be an absolute {' or '.join(wanted)} address such as "
            f"https://ocop.quangninh.gov.vn, not {value!r}."
        )
    return value


def load_config(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the Flask config mapping from the environment plus explicit overrides."""
    overrides = overrides or {}
    environment = overrides.get("CATALOGUE_ENV") or os.environ.get("CATALOGUE_ENV", "development")
    if environment not in ENVIRONMENTS:
        raise ConfigError(f"CATALOGUE_ENV must be one of {', '.join(ENVIRONMENTS)}, not {environment!r}.")
    instance = Path(instance_path)
    database_url = os.environ.get("DATABASE_URL")
    if not database_url:
        if environment == "production":
            raise ConfigError("DATABASE_URL must be set in production.")
        database_url = f"sqlite:///{instance / 'catalogue.db'}"
    config: dict[str, Any] = {
        "CATALOGUE_ENV": environment,
        "TESTING": environment == "testing",
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "MEDIA_ROOT": os.environ.get("MEDIA_ROOT", str(instance / "media")),
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", ""),
        # Marketplace order pushes (catalogue/sync/pushes.py): the worker's own variables.
        "MARKETPLACE_SETTINGS": {name: os.environ[name] for name in MARKETPLACE_VARIABLES if os.environ.get(name)},
        "JSON_SORT_KEYS": False,
        # No request body may exceed this (photos are refused above 5 MB by the image service).
        "MAX_CONTENT_LENGTH": 10 * 1024 * 1024,
        # Entries of the in-process cache of public answers, per worker; 0 turns it off (catalogue/caching.py).
        "RESPONSE_CACHE_SIZE": int(os.environ.get("RESPONSE_CACHE_SIZE", "2048")),
        # Stamp scans are buffered and written in batches (catalogue/traceability/scans.py): in Redis, shared by every
        # worker, when SCAN_BUFFER_URL (else REDIS_URL) names one, else in each worker's memory; each worker flushes
        # every SCAN_FLUSH_SECONDS (0: never by itself, the tests flush) or once SCAN_FLUSH_SIZE scans wait.
        "SCAN_BUFFER_URL": os.environ.get("SCAN_BUFFER_URL") or os.environ.get("REDIS_URL") or None,
        "SCAN_FLUSH_SECONDS": float(os.environ.get("SCAN_FLUSH_SECONDS", "0" if environment == "testing" else "30")),
        "SCAN_FLUSH_SIZE": int(os.environ.get("SCAN_FLUSH_SIZE", "500")),
        # The live page's stock stream (catalogue/storefront/live.py, docs/live-selling.md): how often one process
        # reads the watched sessions' stock, how long a stream stays open before the browser reconnects, and how
        # many streams one process holds (beyond it: 503, and the page polls).
        "LIVE_POLL_SECONDS": float(os.environ.get("LIVE_POLL_SECONDS", "1")),
        "LIVE_STREAM_SECONDS": float(os.environ.get("LIVE_STREAM_SECONDS", "300")),
        "LIVE_MAX_STREAMS": int(os.environ.get("LIVE_MAX_STREAMS", "1000")),
        # Products' JSON, one entry per product version, per worker; 0 turns it off (catalogue/fragments.py).
        "FRAGMENT_CACHE_SIZE": int(os.environ.get("FRAGMENT_CACHE_SIZE", "10000")),
        # Storefront: Vietnamese first; cookies HttpOnly, SameSite, Secure in production.
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).resolve().parent / "translations"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": environment == "production",
        "FORCE_HTTPS": environment == "production",
        "PERMANENT_SESSION_LIFETIME": 60 * 60 * 24 * 30,
        # The cookie is sent only when the session changed. The cart lives in it, and a response that
        # re-sent an unchanged cookie (Flask's default for permanent sessions) put back the one its
        # request carried: a favicon fetched while the shopper emptied the cart brought the items back.
        # A cart is kept 30 days from its last change; a sign-in's idle and absolute limits are the
        # server's (below), and `_seen` rewrites its cookie once a minute.
        "SESSION_REFRESH_EACH_REQUEST": False,
        # Portal sign-ins end after this long without a request (idle) and this long after signing in
        # (absolute), whatever the cookie says (catalogue/portal/auth.py). The office holds every
        # producer's data and signs in at a desk: a working morning idle, a working day in all. A
        # producer checks orders from a phone between chores: a working day idle, a week in all.
        "SESSION_IDLE_MINUTES": {
            "admin": int(os.environ.get("SESSION_IDLE_MINUTES_OFFICE", "120")),
            "producer": int(os.environ.get("SESSION_IDLE_MINUTES_PRODUCER", "480")),
        },
        "SESSION_ABSOLUTE_HOURS": {
            "admin": int(os.environ.get("SESSION_ABSOLUTE_HOURS_OFFICE", "12")),
            "producer": int(os.environ.get("SESSION_ABSOLUTE_HOURS_PRODUCER", str(7 * 24))),
        },
        # An order opened from a link (catalogue/order_links.py): the cookie it is exchanged for lives
        # this long; the emails' read-only links this many days.
        "ORDER_COOKIE_SECONDS": int(os.environ.get("ORDER_COOKIE_SECONDS", str(2 * 3600))),
        "ORDER_LINK_DAYS": int(os.environ.get("ORDER_LINK_DAYS", "180")),
        "WTF_CSRF_TIME_LIMIT": None,
        # werkzeug's scrypt; only the test suite overrides it (with a cheap one), never the environment.
        "PASSWORD_HASH_METHOD": "scrypt",
        # Login attempts are counted here: memory:// per process; production sets a Redis URL.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        # Static files are referenced with a content hash (asset_url), so they can be cached for a year.
        "SEND_FILE_MAX_AGE_DEFAULT": 365 * 24 * 3600,
        # flask-smorest / OpenAPI
        "API_TITLE": "OCOP Quảng Ninh catalogue",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "v1/openapi.json",
        # /api/docs is our own page (catalogue.api.docs): Swagger UI served from the installed package.
        "API_SPEC_OPTIONS": {
            "info": {"description": "Quảng Ninh OCOP products: catalogue, orders and marketplace sync."},
            "components": {
                "securitySchemes": {
                    "bearerAuth": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "An API token (`flask tokens create`), or an order's access token (its buyer).",
                    }
                }
            },
        },
    }
    config.update(_payment_settings(environment))
    config.update(_rail_settings())
    config.update(_carrier_settings(environment))
    config.update(_operator_settings(environment))
    config.update(_invoice_settings(environment, instance))
    config.update(_observability_settings(environment))
    config.update(_storage_settings(environment))
    config.update(overrides)
    if "SECRET_KEY" not in config:
        config["SECRET_KEY"] = _secret_key(environment, instance)
    _check_rate_limit_storage(environment, config)
    config["PUBLIC_BASE_URL"] = _public_base_url(environment, config.get("PUBLIC_BASE_URL") or "")
    _check_storage(environment, config)
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # SQLite's pool must not pre-ping and benefits from a busy timeout under concurrency.
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
    return config
