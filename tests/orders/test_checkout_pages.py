"""The checkout pages: inline validation, refusals that change nothing, the buyer's order page."""

import re

import pytest
from sqlalchemy import func, select

from catalogue.extensions import db
from catalogue.orders.models import Order
from tests.order_helpers import shelf, stock_of
from tests.storefront_helpers import cart_of, csrf_token

FORM = {
    "name": "Nguyễn Thị Lan",
    "email": "lan@example.com",
    "phone": "0912 345 678",
    "province": "Quảng Ninh",
    "ward": "Phường Bãi Cháy",
    "line1": "12 đường Hạ Long",
}


@pytest.fixture
def with_cart(app, empty_client):
    products = shelf()
    mien = products["mien"]
    token = csrf_token(empty_client, f"/products/{mien.slug}")
    empty_client.post("/cart/add", data={"product_id": mien.id, "quantity": 2, "csrf_token": token})
    return products


def _submit(client, **changes):
    token = csrf_token(client, "/checkout")
    return client.post("/checkout", data={**FORM, **changes, "csrf_token": token})


def test_empty_cart_cannot_check_out(empty_client, app):
    response = empty_client.get("/checkout")
    assert response.status_code == 302 and response.headers["Location"] == "/cart"


def test_checkout_page_shows_total_with_shipping_and_wards(empty_client, with_cart):
    html = empty_client.get("/checkout").get_data(as_text=True)

    # No ward typed yet: the parcels wait for the address (no fee is guessed), the total is the goods.
    assert 'data-testid="checkout-total" data-checkout-total>170.000\xa0₫<' in html
    assert "Nhập phường/xã để xem phí vận chuyển." in html
    assert '<option value="Phường Bãi Cháy">' in html and '<option value="Đặc khu Cô Tô">' in html
    assert '<option selected value="Quảng Ninh">' in html

    # Without JavaScript, "Tính phí vận chuyển" prices the parcels for the ward typed and places nothing.
    response = _submit(empty_client, calculate="Tính phí vận chuyển")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-testid="checkout-total" data-checkout-total>200.000\xa0₫<' in html
    assert html.count('data-testid="parcel"') == 1 and "HTX Miến dong Bình Liêu" in html
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0


def test_placing_the_order_reserves_stock_empties_the_cart_and_opens_the_order(empty_client, with_cart):
    response = _submit(empty_client)

    assert response.status_code == 303
    code = re.fullmatch(r"/orders/(QN-\w{4}-\w{4})", response.headers["Location"]).group(1)
    assert cart_of(empty_client) == {}
    assert stock_of(with_cart["mien"]) == 8
    page = empty_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Chờ thanh toán" in page and 'id="payment-form"' in page
    assert db.session.scalar(select(Order.customer_phone).where(Order.code == code)) == "0912345678"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "12345", "Số điện thoại Việt Nam, ví dụ 0912345678."),
        ("email", "lan@", "Email chưa đúng."),
        ("name", "", "Vui lòng nhập thông tin này."),
        ("ward", "Phường Hoàn Kiếm", "Không có phường/xã này ở Quảng Ninh."),
    ],
)
def test_invalid_details_are_shown_inline_and_nothing_is_reserved(empty_client, with_cart, field, value, message):
    response = _submit(empty_client, **{field: value})

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'<p class="field-error" id="{field}-error">{message}</p>' in html
    assert 'aria-invalid="true"' in html
    assert stock_of(with_cart["mien"]) == 10
    assert db.session.scalar(select(func.count(Order.id))) == 0
    assert cart_of(empty_client) == {str(with_cart["mien"].id): 2}


def test_checkout_without_csrf_is_refused(empty_client, with_cart):
    response = empty_client.post("/checkout", data=FORM)
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(Order.id))) == 0


def test_order_page_needs_the_token(empty_client, with_cart, app):
    location = _submit(empty_client).headers["Location"]
    stranger = app.test_client()

    assert stranger.get(location).status_code == 404
    assert stranger.get(location + "?token=wrong", follow_redirects=True).status_code == 404


def test_pay_endpoint_refusals(empty_client, with_cart, app):
    location = _submit(empty_client).headers["Location"]
    page = empty_client.get(location).get_data(as_text=True)
    token = re.search(r'data-csrf-token="([^"]+)"', page).group(1)
    pay = location + "/pay"

    no_csrf = empty_client.post(pay, json={"payment_method": "card_1"})
    bad_method = empty_client.post(pay, json={"payment_method": "x"}, headers={"X-CSRFToken": token})
    declined = empty_client.post(pay, json={"payment_method": "card_declined"}, headers={"X-CSRFToken": token})
    stranger_client = app.test_client()
    stranger = stranger_client.post(pay, json={"payment_method": "card_1"},
                                    headers={"X-CSRFToken": csrf_token(stranger_client)})  # fmt: skip

    assert no_csrf.status_code == 400
    assert bad_method.status_code == 400
    assert declined.status_code == 402
    assert declined.get_json() == {
        "error": "Thẻ bị từ chối. Vui lòng thử thẻ khác hoặc liên hệ ngân hàng phát hành thẻ."
    }
    assert stranger.status_code == 404  # its own CSRF token passes; the order is not the stranger's
    assert stock_of(with_cart["mien"]) == 8


def test_pay_endpoint_says_when_3d_secure_is_needed(empty_client, with_cart):
    location = _submit(empty_client).headers["Location"]
    token = re.search(r'data-csrf-token="([^"]+)"', empty_client.get(location).get_data(as_text=True)).group(1)

    response = empty_client.post(location + "/pay", json={"payment_method": "card_3ds"}, headers={"X-CSRFToken": token})

    assert response.get_json() == {"status": "requires_action"}


def test_buyer_cancels_from_the_order_page(empty_client, with_cart):
    location = _submit(empty_client).headers["Location"]
    token = csrf_token(empty_client, location)

    response = empty_client.post(location + "/cancel", data={"csrf_token": token})

    assert response.status_code == 303
    assert "Đã huỷ" in empty_client.get(location).get_data(as_text=True)
    assert stock_of(with_cart["mien"]) == 10


def test_payment_page_allows_stripe_and_nothing_else(empty_client, with_cart, app):
    location = _submit(empty_client).headers["Location"]

    csp = empty_client.get(location).headers["Content-Security-Policy"]
    product_csp = empty_client.get(f"/products/{with_cart['mien'].slug}").headers["Content-Security-Policy"]

    assert "script-src 'self' https://js.stripe.com" in csp
    assert "frame-src https://js.stripe.com https://hooks.stripe.com" in csp
    assert "js.stripe.com" not in product_csp


def test_payment_page_names_stripe_by_origin_as_a_browser_does(empty_client, with_cart, app):
    """A default port written in the address is no part of the origin the CSP names (catalogue.payments.port)."""
    app.config.update(STRIPE_JS_URL="https://JS.stripe.com:443/v3/", STRIPE_API_BASE="https://api.stripe.com:443")
    location = _submit(empty_client).headers["Location"]

    csp = empty_client.get(location).headers["Content-Security-Policy"]

    assert "script-src 'self' https://js.stripe.com;" in csp
    assert "connect-src 'self' https://js.stripe.com https://api.stripe.com" in csp


def test_pay_endpoint_when_the_provider_is_down_keeps_the_reservation(empty_client, with_cart, app):
    location = _submit(empty_client).headers["Location"]
    token = re.search(r'data-csrf-token="([^"]+)"', empty_client.get(location).get_data(as_text=True)).group(1)
    app.extensions["payment_gateway"].unavailable = True

    response = empty_client.post(location + "/pay", json={"payment_method": "card_1"}, headers={"X-CSRFToken": token})

    app.extensions["payment_gateway"].unavailable = False
    assert response.status_code == 503
    assert response.get_json() == {
        "error": "Thanh toán thẻ tạm thời gián đoạn; đơn hàng vẫn được giữ. Vui lòng thử lại sau ít phút."
    }
    assert stock_of(with_cart["mien"]) == 8


def test_the_ward_list_follows_the_province(client):
    """Issue 23: the checkout's ward suggestions stayed Quảng Ninh's for a Hà Nội buyer."""
    response = client.get("/checkout/wards.json", query_string={"province": "Thành phố Hà Nội"})

    assert response.status_code == 200
    wards = response.get_json()["wards"]
    assert "Phường Ba Đình" in wards and "Phường Bãi Cháy" not in wards
    assert "max-age" in response.headers["Cache-Control"]
    unknown = client.get("/checkout/wards.json", query_string={"province": "Atlantis"})
    assert unknown.status_code == 404 and "Atlantis" in unknown.get_json()["message"]
