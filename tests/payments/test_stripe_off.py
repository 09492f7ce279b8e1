"""A shop without Stripe keys: in production Stripe is off, not a reason to refuse to start (contract §2, §7).

Setting only some of the three keys still refuses to start, naming the missing ones, and so does
a production shop with no rail at all: it could not take money. With Stripe off the checkout
does not offer it, `payment_method=stripe` is a 422, an order without `payment_method` gets the
first rail offered (VietQR first), and Stripe's webhook answers 400. Development keeps its
test-mode placeholders.
"""

from __future__ import annotations

import shutil
import uuid

import pytest
from sqlalchemy import func, select

from catalogue import create_app
from catalogue.config import RAIL_SETTINGS, STRIPE_KEYS, ConfigError, load_config
from catalogue.extensions import db
from catalogue.orders.models import Order
from catalogue.payments import init_payments
from catalogue.payments.registry import rails_from_config
from catalogue.payments.stripe_rail.gateway import NoStripe, StripeGateway
from tests.fakes import WEBHOOK_SECRET, intent_event, signed
from tests.order_helpers import body, shelf, stock_of
from tests.payments.payment_fakes import MOMO_TEST, VNPAY_TEST
from tests.payments.rail_helpers import VIETQR
from tests.production_helpers import production_env
from tests.storefront_helpers import csrf_token

FORM = {"name": "Nguyễn Thị Lan", "email": "lan@example.com", "phone": "0912 345 678", "province": "Quảng Ninh",
        "ward": "Phường Bãi Cháy", "line1": "12 đường Hạ Long"}  # fmt: skip
STRIPE = {"STRIPE_SECRET_KEY": "sk_live_x", "STRIPE_PUBLISHABLE_KEY": "pk_live_x", "STRIPE_WEBHOOK_SECRET": "whsec_x"}
VNPAY = {"VNPAY_TMN_CODE": VNPAY_TEST["tmn_code"], "VNPAY_HASH_SECRET": VNPAY_TEST["hash_secret"]}
MOMO = {"MOMO_PARTNER_CODE": MOMO_TEST["partner_code"], "MOMO_ACCESS_KEY": MOMO_TEST["access_key"],
        "MOMO_SECRET_KEY": MOMO_TEST["secret_key"]}  # fmt: skip


@pytest.fixture
def production(monkeypatch, tmp_path):
    """A production environment with the shop's facts and no payment setting; `set(**env)` adds some."""
    for name in (*STRIPE_KEYS, *RAIL_SETTINGS, "STRIPE_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    production_env(monkeypatch, rails={})

    def configure(**env):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return create_app().config  # the rails are checked as the app starts (catalogue.payments)

    return configure


@pytest.mark.parametrize(("rail", "methods"), [(VIETQR, ("vietqr",)), (VNPAY, ("vnpay",)), (MOMO, ("momo",)),
                                               ({**VIETQR, **MOMO}, ("vietqr", "momo"))])  # fmt: skip
def test_production_without_stripe_keys_starts_with_stripe_off(production, rail, methods):
    config = production(**rail)

    assert {name: config[name] for name in STRIPE_KEYS} == dict.fromkeys(STRIPE_KEYS)
    rails = rails_from_config(config)
    assert (rails.stripe, rails.methods, rails.default_method()) == (False, methods, methods[0])


def test_production_with_the_three_stripe_keys_takes_cards(production):
    rails = rails_from_config(production(**STRIPE, **VIETQR))

    assert (rails.methods, rails.default_method()) == (("vietqr", "stripe"), "stripe")


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"STRIPE_SECRET_KEY": "sk_live_x"},
         "STRIPE_PUBLISHABLE_KEY, STRIPE_WEBHOOK_SECRET must be set in production when STRIPE_SECRET_KEY is: set all "
         "three Stripe keys to take cards, or none to leave Stripe off."),
        ({"STRIPE_SECRET_KEY": "sk_live_x", "STRIPE_PUBLISHABLE_KEY": "pk_live_x"},
         "STRIPE_WEBHOOK_SECRET must be set in production when STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY are: set all "
         "three Stripe keys to take cards, or none to leave Stripe off."),
        ({"STRIPE_WEBHOOK_SECRET": "whsec_x", "STRIPE_PUBLISHABLE_KEY": " "},
         "STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY must be set in production when STRIPE_WEBHOOK_SECRET is: set all "
         "three Stripe keys to take cards, or none to leave Stripe off."),
    ],
)  # fmt: skip
def test_production_refuses_some_of_the_stripe_keys_naming_the_missing_ones(production, given, message):
    with pytest.raises(ConfigError) as refused:
        production(**VIETQR, **given)

    assert str(refused.value) == message


def test_production_refuses_to_start_without_any_payment_rail(production):
    with pytest.raises(ConfigError, match=r"^No payment rail is configured: set the Stripe keys \(STRIPE_SECRET_KEY, "
                                          r".*a shop in production must take money\.$"):  # fmt: skip
        production()


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"VNPAY_TMN_CODE": "OCOPQN01"},
         "VNPAY_HASH_SECRET must be set in production when VNPAY_TMN_CODE is: set all of VNPay's settings to take "
         "VNPay, or none to leave it off."),
        ({"MOMO_PARTNER_CODE": "MOMOQN", "MOMO_SECRET_KEY": "s"},
         "MOMO_ACCESS_KEY must be set in production when MOMO_PARTNER_CODE, MOMO_SECRET_KEY are: set all of MoMo's "
         "settings to take MoMo, or none to leave it off."),
        ({"VIETQR_ACCOUNT_NO": "1023456789"},
         "VIETQR_BANK_BIN, VIETQR_ACCOUNT_NAME must be set in production when VIETQR_ACCOUNT_NO is: set all of "
         "VietQR's settings to take VietQR, or none to leave it off."),
    ],
)  # fmt: skip
def test_production_refuses_a_domestic_rail_with_some_of_its_settings(production, given, message):
    with pytest.raises(ConfigError) as refused:
        production(**STRIPE, **given)  # another rail is complete: the half-set one must not be silently off

    assert str(refused.value) == message


def test_production_refuses_a_rail_whose_settings_are_malformed(production):
    with pytest.raises(ConfigError, match="VIETQR_BANK_BIN is 6 digits"):
        production(**{**VIETQR, "VIETQR_BANK_BIN": "97043"})


def test_development_keeps_the_test_mode_placeholders(monkeypatch, tmp_path):
    for name in (*STRIPE_KEYS, *RAIL_SETTINGS, "STRIPE_API_BASE", "CATALOGUE_ENV"):
        monkeypatch.delenv(name, raising=False)

    config = load_config(str(tmp_path))

    assert [config[name] for name in STRIPE_KEYS] == ["sk_test_placeholder", "pk_test_placeholder", "whsec_placeholder"]
    assert rails_from_config(config).methods == ("vietqr",)  # the demo account; placeholders take no cards
    assert rails_from_config({**config, "STRIPE_API_BASE": "http://localhost:8420"}).stripe  # localstripe


# --- the shop with Stripe off, on both databases ----------------------------------------------


@pytest.fixture
def no_stripe(app, empty_client):
    """The app as production builds it without Stripe keys: VietQR only, the NoStripe gateway."""
    app.config.update(VIETQR, PAYMENT_GATEWAY=None, **dict.fromkeys(STRIPE_KEYS))
    init_payments(app)
    products = shelf()
    return {"app": app, "client": empty_client, "product": products["mien"]}


def _orders() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Order.id)))


def test_nothing_can_reach_stripe(no_stripe):
    gateway = no_stripe["app"].extensions["payment_gateway"]

    assert isinstance(gateway, NoStripe) and gateway.publishable_key == ""
    assert no_stripe["app"].extensions["payment_rails"].methods == ("vietqr",)


def test_an_api_order_without_payment_method_gets_the_first_rail(no_stripe):
    answer = no_stripe["client"].post("/api/v1/orders", json=body((no_stripe["product"].id, 1)))

    assert answer.status_code == 201, answer.get_json()
    assert (answer.get_json()["payment_method"], answer.get_json()["payment"]["provider"]) == ("vietqr", "vietqr")


def test_an_api_order_asking_for_stripe_is_422_and_reserves_nothing(no_stripe):
    answer = no_stripe["client"].post(
        "/api/v1/orders", json=body((no_stripe["product"].id, 1), payment_method="stripe")
    )

    assert answer.status_code == 422
    assert answer.get_json()["message"] == "Payment by stripe is not available in this shop."
    assert answer.get_json()["errors"] == {"payment_method": ["Not configured here; available: vietqr."]}
    assert _orders() == 0 and stock_of(no_stripe["product"]) == 10


def test_the_checkout_does_not_offer_cards_and_refuses_them(no_stripe):
    client = no_stripe["client"]
    token = csrf_token(client, f"/products/{no_stripe['product'].slug}")
    client.post("/cart/add", data={"product_id": no_stripe["product"].id, "quantity": 2, "csrf_token": token})

    html = client.get("/checkout").get_data(as_text=True)
    form = {**FORM, "csrf_token": csrf_token(client, "/checkout")}
    refused = client.post("/checkout", data={**form, "payment_method": "stripe"})

    assert 'value="vietqr"' in html and 'value="stripe"' not in html and "Thẻ quốc tế" not in html
    assert refused.status_code == 422
    assert '<p class="field-error" id="payment_method-error">Vui lòng chọn một mục trong danh sách.</p>' in (
        refused.get_data(as_text=True))  # fmt: skip
    assert _orders() == 0
    placed = client.post("/checkout", data={**form, "payment_method": "vietqr"})
    assert placed.status_code == 303
    assert "js.stripe.com" not in client.get(placed.headers["Location"]).get_data(as_text=True)


def test_the_stripe_webhook_refuses_clearly_and_changes_nothing(no_stripe):
    placed = no_stripe["client"].post("/api/v1/orders", json=body((no_stripe["product"].id, 1))).get_json()
    payload, signature = signed(intent_event("evt_1", "succeeded", "pi_1", placed["code"]), WEBHOOK_SECRET)

    answer = no_stripe["client"].post("/webhooks/stripe", data=payload, headers={"Stripe-Signature": signature})

    assert answer.status_code == 400
    assert answer.get_json()["message"] == "Stripe is not configured in this shop: the event was not applied."
    db.session.expire_all()
    assert db.session.scalar(select(Order.status).where(Order.code == placed["code"])) == "pending_payment"


def test_a_production_app_starts_and_serves_without_stripe(production, sqlite_template, tmp_path):
    path = tmp_path / "production.db"
    shutil.copy(sqlite_template, path)
    production(**VIETQR, DATABASE_URL=f"sqlite:///{path}")
    # Production counts rate limits in the shared Redis: a prefix of its own keeps earlier runs' orders out of its caps.
    app = create_app({"MEDIA_ROOT": str(tmp_path / "media"), "RAISE_UNEXPECTED_ERRORS": True,
                      "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}"})  # fmt: skip

    with app.app_context():
        product = shelf()["mien"]
        client, https = app.test_client(), "https://ocop.example.vn"  # production sends plain HTTP to HTTPS
        default = client.post("/api/v1/orders", json=body((product.id, 1)), base_url=https)
        stripe = client.post("/api/v1/orders", json=body((product.id, 1), payment_method="stripe"), base_url=https)
        webhook = client.post("/webhooks/stripe", data=b"{}", headers={"Stripe-Signature": "t=1,v1=0"}, base_url=https)
        db.session.remove()
        db.engine.dispose()

    assert isinstance(app.extensions["payment_gateway"], NoStripe)
    assert (default.status_code, default.get_json()["payment"]["provider"]) == (201, "vietqr")
    assert stripe.status_code == 422
    assert webhook.status_code == 400


def test_development_still_builds_the_stripe_gateway(monkeypatch, tmp_path):
    for name in (*STRIPE_KEYS, "CATALOGUE_ENV", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'dev.db'}", "MEDIA_ROOT": str(tmp_path)})

    assert isinstance(app.extensions["payment_gateway"], StripeGateway)
    assert app.extensions["payment_gateway"].publishable_key == "pk_test_placeholder"
