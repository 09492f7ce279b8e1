"""What a shopper or producer reads is Vietnamese first: inline form messages, card declines, statuses, dates."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import wtforms
from babel.messages.pofile import read_po
from flask_babel import force_locale
from sqlalchemy import select

from catalogue.extensions import db
from catalogue.formatting import STATUS_LABELS, status_label, vn_date, vn_datetime
from catalogue.orders.models import ORDER_STATUSES, Order
from catalogue.products.models import PRODUCT_STATUSES
from catalogue.sync.models import LISTING_STATUSES
from tests.access_helpers import cast, paid_order, portal_client
from tests.fakes import intent_event, signed
from tests.order_helpers import shelf, stock_of
from tests.storefront_helpers import cart_of, csrf_token

ROOT = Path(__file__).resolve().parents[1]
BAD_CHECKOUT = {
    "name": "A",
    "email": "not-an-email",
    "phone": "12",
    "province": "Nowhere",
    "ward": "",
    "line1": "ab",
}
ERRORS = re.compile(r'<p class="field-error" id="([\w-]+)-error">([^<]+)</p>')


def _english_texts() -> set[str]:
    """Every English sentence the shop or WTForms could show: none may reach a Vietnamese page."""
    with open(ROOT / "catalogue/translations/en/LC_MESSAGES/messages.po", "rb") as handle:
        ours = {m.string for m in read_po(handle) if m.id and m.string and m.string != m.id and len(m.string) > 12}
    with open(Path(wtforms.__file__).parent / "locale" / "wtforms.pot", "rb") as handle:
        theirs = {m.id for m in read_po(handle) if m.id and isinstance(m.id, str)}
    return {text.split("%(")[0] for text in ours | theirs if len(text.split("%(")[0]) > 8}


@pytest.fixture
def with_cart(app, empty_client):
    products = shelf()
    token = csrf_token(empty_client, f"/products/{products['mien'].slug}")
    empty_client.post("/cart/add", data={"product_id": products["mien"].id, "quantity": 2, "csrf_token": token})
    return products


def _orders() -> int:
    return len(db.session.scalars(select(Order.id)).all())


def test_bad_checkout_input_is_shown_in_vietnamese_beside_each_field(empty_client, with_cart):
    token = csrf_token(empty_client, "/checkout")

    response = empty_client.post("/checkout", data={**BAD_CHECKOUT, "csrf_token": token})

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert dict(ERRORS.findall(html)) == {
        "name": "Cần từ 2 đến 120 ký tự.",
        "email": "Email chưa đúng.",
        "phone": "Số điện thoại Việt Nam, ví dụ 0912345678.",
        "province": "Vui lòng chọn một mục trong danh sách.",
        "ward": "Vui lòng nhập thông tin này.",
        "line1": "Cần từ 3 đến 200 ký tự.",
    }
    assert [text for text in _english_texts() if text in html] == []
    assert _orders() == 0 and stock_of(with_cart["mien"]) == 10 and cart_of(empty_client) != {}


def test_bad_checkout_input_reads_in_english_for_an_english_reader(empty_client, with_cart):
    with empty_client.session_transaction() as session:
        session["lang"] = "en"
    token = csrf_token(empty_client, "/checkout")

    response = empty_client.post("/checkout", data={**BAD_CHECKOUT, "csrf_token": token})

    assert response.status_code == 422
    assert dict(ERRORS.findall(response.get_data(as_text=True))) == {
        "name": "Between 2 and 120 characters, please.",
        "email": "This email address is not valid.",
        "phone": "A Vietnamese phone number, e.g. 0912345678.",
        "province": "Please choose an option from the list.",
        "ward": "Please fill this in.",
        "line1": "Between 3 and 200 characters, please.",
    }
    assert _orders() == 0


@pytest.mark.parametrize(
    ("quantity", "message"),
    [("500", "Số lượng từ 1 đến 99."), ("0", "Số lượng từ 1 đến 99."), ("nhiều", "Vui lòng nhập một số nguyên.")],
)
def test_a_bad_quantity_re_renders_the_product_page_with_its_message(empty_client, with_cart, quantity, message):
    product = with_cart["last3"]
    token = csrf_token(empty_client, f"/products/{product.slug}")
    form = {"product_id": product.id, "quantity": quantity, "csrf_token": token}

    response = empty_client.post("/cart/add", data=form)

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"<h1>{product.name}</h1>" in html
    assert f'<p class="field-error" id="quantity-error">{message}</p>' in html
    assert f'value="{quantity}"' in html  # what the buyer typed stays in the box
    assert cart_of(empty_client) == {str(with_cart["mien"].id): 2}


def test_a_bad_cart_quantity_re_renders_the_cart_with_the_message_on_its_line(empty_client, with_cart):
    mien = with_cart["mien"]
    token = csrf_token(empty_client, "/cart")

    response = empty_client.post("/cart/update", data={"product_id": mien.id, "quantity": "100", "csrf_token": token})

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'<p class="field-error" id="quantity-{mien.id}-error">Số lượng từ 0 đến 99.</p>' in html
    assert cart_of(empty_client) == {str(mien.id): 2}


def _placed_order(client) -> tuple[str, str]:
    token = csrf_token(client, "/checkout")
    location = client.post(
        "/checkout",
        data={
            "name": "Nguyễn Thị Lan",
            "email": "lan@example.com",
            "phone": "0912345678",
            "province": "Quảng Ninh",
            "ward": "Phường Bãi Cháy",
            "line1": "12 đường Hạ Long",
            "csrf_token": token,
        },
    ).headers["Location"]
    page = client.get(location).get_data(as_text=True)
    return location, re.search(r'data-csrf-token="([^"]+)"', page).group(1)


@pytest.mark.parametrize(
    ("card", "message"),
    [
        ("card_declined_insufficient_funds", "Thẻ không đủ số dư. Vui lòng dùng thẻ khác."),
        ("card_declined_expired_card", "Thẻ đã hết hạn. Vui lòng dùng thẻ khác."),
        ("card_declined_incorrect_cvc", "Mã CVC chưa đúng. Vui lòng kiểm tra 3 chữ số ở mặt sau thẻ."),
        ("card_declined_processing_error", "Có lỗi khi xử lý thẻ. Vui lòng thử lại sau ít phút."),
        ("card_declined_something_new", "Thanh toán chưa thành công. Vui lòng thử lại hoặc dùng thẻ khác."),
    ],
)
def test_a_declined_card_is_explained_in_vietnamese_by_its_reason(empty_client, with_cart, card, message):
    location, token = _placed_order(empty_client)

    declined = empty_client.post(location + "/pay", json={"payment_method": card}, headers={"X-CSRFToken": token})

    assert declined.status_code == 402
    assert declined.get_json() == {"error": message}
    assert stock_of(with_cart["mien"]) == 8  # still reserved, retryable


def _deliver(client, event):
    payload, signature = signed(event)
    return client.post(
        "/webhooks/stripe", data=payload, headers={"Stripe-Signature": signature}, content_type="application/json"
    )


def test_a_failed_payment_keeps_the_reason_code_and_the_order_page_words_it(empty_client, with_cart):
    location, _ = _placed_order(empty_client)
    code = location.rsplit("/", 1)[1]
    intent = db.session.scalar(select(Order.payment_intent_id).where(Order.code == code))
    failed = intent_event("evt_1", "payment_failed", intent, code, "Your card has expired.", "expired_card")

    _deliver(empty_client, failed)

    db.session.expire_all()
    assert db.session.scalar(select(Order.payment_error).where(Order.code == code)) == "expired_card"
    html = empty_client.get(location).get_data(as_text=True)
    assert "Lần trước: Thẻ đã hết hạn. Vui lòng dùng thẻ khác." in html
    assert "Your card has expired." not in html
    with empty_client.session_transaction() as session:
        session["lang"] = "en"
    assert "The card has expired. Please use another card." in empty_client.get(location).get_data(as_text=True)


def test_the_portal_shows_an_order_status_in_words_and_its_moment_in_vietnam_time(app):
    world = cast()
    order = paid_order([(world["product"], 2)])
    order.created_at = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)
    db.session.commit()
    client = portal_client(app, world, "owner")

    html = client.get("/portal/orders").get_data(as_text=True)

    assert "· 06:30 21/11/2026 (giờ Việt Nam) · Đã thanh toán</span>" in html
    assert "· paid<" not in html


def test_every_stored_status_has_a_label():
    assert tuple(STATUS_LABELS["order"]) == ORDER_STATUSES
    assert tuple(STATUS_LABELS["product"]) == PRODUCT_STATUSES
    assert tuple(STATUS_LABELS["listing"]) == LISTING_STATUSES


def test_dates_and_moments_read_the_vietnamese_way_and_the_english_way(app):
    moment = datetime(2026, 6, 12, 7, 5, tzinfo=UTC)
    with app.test_request_context("/"):
        with force_locale("vi"):
            vietnamese = (
                vn_date(date(2026, 6, 12)),
                vn_datetime(moment),
                vn_datetime(moment.replace(tzinfo=None)),  # SQLite gives stored UTC back naive
                vn_date(datetime(2026, 6, 11, 18, 0, tzinfo=UTC)),  # already the 12th in Vietnam
                status_label("paid", "order"),
                vn_date(None),
            )
        with force_locale("en"):
            english = (vn_date(date(2026, 6, 12)), vn_datetime(moment), status_label("paid", "order"))

    assert vietnamese == (
        "12/06/2026",
        "14:05 12/06/2026 (giờ Việt Nam)",
        "14:05 12/06/2026 (giờ Việt Nam)",
        "12/06/2026",
        "Đã thanh toán",
        "",
    )
    assert english == ("Jun 12, 2026", "Jun 12, 2026, 2:05\u202fPM (Vietnam time)", "Paid")
