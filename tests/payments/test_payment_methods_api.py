"""POST /api/v1/orders takes `payment_method`; the answer carries what that rail needs (contract §7)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from qr_pay import QRPay
from sqlalchemy import func, select

from catalogue.extensions import db
from catalogue.orders.models import Order
from catalogue.payments.registry import rails_from_config
from catalogue.payments.vietqr import DEMO_ACCOUNT
from tests.conftest import require_service
from tests.order_helpers import body, shelf, stock_of
from tests.payments.rail_helpers import post_sepay, sepay_body, use_rails


@pytest.fixture
def products(app):
    return shelf()


def _orders() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Order.id)))


def test_without_payment_method_stripe_answers_as_today(app, empty_client, products):
    use_rails(app)

    answer = empty_client.post("/api/v1/orders", json=body((products["mien"].id, 1)))

    assert answer.status_code == 201
    assert answer.get_json()["payment"] == {
        "provider": "stripe", "payment_intent_id": "pi_fake_1", "client_secret": "pi_fake_1_secret_x",
        "publishable_key": "pk_test_fake",
    }  # fmt: skip
    assert answer.get_json()["payment_method"] == "stripe"


def test_without_stripe_the_first_rail_is_the_default(app, empty_client, products):
    use_rails(app, stripe=False)

    answer = empty_client.post("/api/v1/orders", json=body((products["mien"].id, 1)))

    assert answer.status_code == 201
    assert answer.get_json()["payment"]["provider"] == "vietqr"


def test_vietqr_answers_the_payload_the_image_and_the_transfer_as_text(app, empty_client, products):
    use_rails(app)

    answer = empty_client.post("/api/v1/orders", json=body((products["mien"].id, 2), payment_method="vietqr"))

    order = answer.get_json()
    payment, content = order["payment"], order["code"].replace("-", "")
    assert answer.status_code == 201
    assert {key: value for key, value in payment.items() if key not in ("qr_payload", "qr_image_url")} == {
        "provider": "vietqr", "reference": content, "amount_vnd": 200_000, "deadline": order["reserved_until"],
        "bank_bin": "970436", "account_no": "1023456789", "account_name": "HTX OCOP QUANG NINH",
        "content": content, "is_demo": False,
    }  # fmt: skip
    assert (
        payment["qr_image_url"] == f"http://shop.test/orders/{order['code']}/vietqr.svg?token={order['access_token']}"
    )
    decoded = QRPay.decode(payment["qr_payload"], verify_crc=True)
    assert (decoded.bin_id, decoded.consumer_id, decoded.transaction_amount) == ("970436", "1023456789", "200000")
    assert decoded.purpose_of_transaction == content
    assert order["money"] == {"state": "unpaid", "total_vnd": 200_000, "paid_vnd": 0, "due_vnd": 200_000,
                              "surplus_vnd": 0, "to_return_vnd": 0, "refunded_vnd": 0}  # fmt: skip


def test_the_qr_image_is_served_to_the_buyer_and_reads_back_to_the_payload(app, empty_client, products, tmp_path):
    use_rails(app)
    order = empty_client.post("/api/v1/orders", json=body((products["mien"].id, 2), payment_method="vietqr")).get_json()

    # `?token=` is exchanged for the order's cookie (a 303 to the same URL without it), as on every order page.
    image = empty_client.get(f"/orders/{order['code']}/vietqr.svg", query_string={"token": order["access_token"]},
                             follow_redirects=True)  # fmt: skip
    stranger = app.test_client().get(f"/orders/{order['code']}/vietqr.svg", query_string={"token": "wrong"},
                                     follow_redirects=True)  # fmt: skip

    assert (image.status_code, image.mimetype) == (200, "image/svg+xml")
    assert image.headers["Cache-Control"] == "private, no-store"
    assert stranger.status_code == 404
    executable = shutil.which("zbarimg")
    require_service(executable is not None, "the QR reader test needs Debian's zbar-tools (apt-get install zbar-tools)")
    import cairosvg

    (tmp_path / "qr.png").write_bytes(cairosvg.svg2png(bytestring=image.data, scale=2))
    read = subprocess.run([executable, "--quiet", "--raw", str(tmp_path / "qr.png")], capture_output=True, text=True,
                          timeout=30)  # fmt: skip
    assert read.stdout.strip() == order["payment"]["qr_payload"]


def test_the_order_shows_what_is_still_due_after_a_partial_transfer(app, empty_client, products):
    use_rails(app)
    order = empty_client.post("/api/v1/orders", json=body((products["mien"].id, 2), payment_method="vietqr")).get_json()
    post_sepay(empty_client, sepay_body(1, order["payment"]["content"], 120_000))
    token = {"Authorization": f"Bearer {order['access_token']}"}

    status = empty_client.get(f"/api/v1/orders/{order['code']}", headers=token).get_json()
    again = empty_client.post(f"/api/v1/orders/{order['code']}/payments", json={"payment_method": "vietqr"},
                              headers=token).get_json()  # fmt: skip

    assert (status["status"], status["money"]["state"], status["money"]["due_vnd"]) == (
        "pending_payment", "partly_paid", 80_000)  # fmt: skip
    assert again["amount_vnd"] == 80_000
    assert QRPay.decode(again["qr_payload"], verify_crc=True).transaction_amount == "80000"


@pytest.mark.parametrize(
    ("method", "message"),
    [("paypal", "Must be one of"), ("vnpay", "Not configured"), ("momo", "Not configured"), (5, "Not a valid")],
)
def test_an_unknown_or_unconfigured_method_is_422_naming_the_field_and_reserves_nothing(
    app, empty_client, products, method, message
):
    use_rails(app)

    answer = empty_client.post("/api/v1/orders", json=body((products["mien"].id, 2), payment_method=method))

    assert answer.status_code == 422
    errors = answer.get_json()["errors"]
    field_errors = errors.get("json", errors).get("payment_method")
    assert field_errors and message in field_errors[0]
    assert _orders() == 0
    assert stock_of(products["mien"]) == 10


def test_stripe_off_refuses_stripe_by_name(app, empty_client, products):
    use_rails(app, stripe=False)

    answer = empty_client.post("/api/v1/orders", json=body((products["mien"].id, 2), payment_method="stripe"))

    assert answer.status_code == 422
    assert answer.get_json()["errors"]["payment_method"] == ["Not configured here; available: vietqr."]
    assert _orders() == 0


def test_another_buyer_cannot_start_a_payment_on_the_order(app, empty_client, products):
    use_rails(app)
    order = empty_client.post("/api/v1/orders", json=body((products["mien"].id, 2), payment_method="vietqr")).get_json()

    answer = empty_client.post(f"/api/v1/orders/{order['code']}/payments", json={"payment_method": "vietqr"},
                               headers={"Authorization": "Bearer not-the-token"})  # fmt: skip

    assert answer.status_code == 404


def test_development_without_settings_offers_vietqr_on_the_marked_demo_account():
    rails = rails_from_config({"CATALOGUE_ENV": "development", "STRIPE_SECRET_KEY": "sk_test_placeholder"})
    production = rails_from_config({"CATALOGUE_ENV": "production", "STRIPE_SECRET_KEY": "sk_live_x"})

    assert (rails.methods, rails.default_method(), rails.is_demo) == (("vietqr",), "vietqr", True)
    assert rails.vietqr.account == DEMO_ACCOUNT
    assert (production.methods, production.is_demo) == (("stripe",), False)
