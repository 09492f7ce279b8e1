"""What a shopper or producer reads is Vietnamese first: inline form messages, card declines, statuses, dates."""

from __future__ import annotations

import ast
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import wtforms
from babel.messages.pofile import read_po
from flask_babel import force_locale
from sqlalchemy import select
from werkzeug.exceptions import default_exceptions

from catalogue.error_answers import handle_domain_error, handle_http_exception
from catalogue.errors import PermissionDenied
from catalogue.extensions import db
from catalogue.formatting import STATUS_LABELS, status_label, vn_date, vn_datetime
from catalogue.orders.models import ORDER_STATUSES, Order
from catalogue.products.models import PRODUCT_STATUSES
from catalogue.sync.models import LISTING_STATUSES, MarketplaceListing
from tests.access_helpers import cast, paid_order, portal_client
from tests.fakes import intent_event, signed
from tests.order_helpers import shelf, stock_of
from tests.storefront_helpers import cart_of, csrf_token
from tests.traceability.traceability_helpers import a_lot

ROOT = Path(__file__).resolve().parents[2]
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


# --- Error pages, flashes and the messages services return (issue 23) --------------------------------

_WERKZEUG_ENGLISH = {cls.description for cls in default_exceptions.values() if cls.description}
_PAGE_TEXT = re.compile(r'<section class="error-page">(.*?)</section>', re.S)


def _english_on(html: str) -> list[str]:
    """English sentences on a page: ours (the English catalogue), WTForms' and Werkzeug's defaults."""
    return [text for text in _english_texts() | {d[:40] for d in _WERKZEUG_ENGLISH} if text in html]


@pytest.mark.parametrize("status", sorted(code for code in default_exceptions if 400 <= code < 600))
def test_every_error_page_reads_in_vietnamese(app, status):
    with app.test_request_context("/portal/products/1", headers={"Accept": "text/html"}):
        html = handle_http_exception(default_exceptions[status]()).get_data(as_text=True)

    text = _PAGE_TEXT.search(html).group(1)
    assert _english_on(text) == []
    assert re.search("[ạảấầẩậắằẳặẹẻếềểệịỉọỏốồổộớờởợụủứừửựỳỷỹđ]", text), text


def test_a_services_english_refusal_reads_as_the_statuses_vietnamese_sentence(app):
    refusal = PermissionDenied("Only the product's producer or the OCOP office may change it.")
    with app.test_request_context("/portal/products/1", headers={"Accept": "text/html"}):
        page = handle_domain_error(refusal).get_data(as_text=True)
    with app.test_request_context("/api/v1/products/1"):
        api = handle_domain_error(refusal).get_json()

    assert "Only the product" not in page and "Không có quyền truy cập" in page
    assert "Tài khoản của bạn không có quyền xem hoặc thay đổi mục này." in page
    assert api["message"] == "Only the product's producer or the OCOP office may change it."  # the API stays English


def test_portal_403_and_405_pages_are_vietnamese_under_their_heading(app):
    world = cast()
    lot = a_lot(world["product"])
    db.session.commit()
    other = portal_client(app, world, "other_producer")

    forbidden = other.get(f"/portal/products/{world['product'].id}/lots/{lot.id}")
    admin_only = other.get("/portal/admin/products")
    not_allowed = other.get(f"/portal/products/{world['product'].id}/archive")

    for response, status, heading in (
        (forbidden, 403, "Không có quyền truy cập"),
        (admin_only, 403, "Không có quyền truy cập"),
        (not_allowed, 405, "Thao tác không được hỗ trợ"),
    ):
        html = response.get_data(as_text=True)
        assert response.status_code == status
        assert f"<h1>{heading}</h1>" in html
        assert _english_on(_PAGE_TEXT.search(html).group(1)) == []


def _calls(name: str, folder: Path) -> list[tuple[str, ast.Call]]:
    found = []
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == name:
                found.append((f"{path.relative_to(ROOT)}:{node.lineno}", node))
    return found


def test_every_flash_says_a_translated_sentence():
    # A flash is gettext()/ngettext() text, or a wording function's (named …_text, or refusal_words) that returns
    # one; `a if c else b` and `a or b` when every part is.
    flashes = _calls("flash", ROOT / "catalogue")
    wording = {"gettext", "ngettext", "_", "refusal_words"}

    def worded(said) -> bool:
        if isinstance(said, ast.IfExp):
            return worded(said.body) and worded(said.orelse)
        if isinstance(said, ast.BoolOp):
            return all(worded(value) for value in said.values)
        func = getattr(said, "func", None)
        name = getattr(func, "id", None) or getattr(func, "attr", None) or ""
        return isinstance(said, ast.Call) and (name in wording or name.endswith("_text"))

    bad = [where for where, call in flashes if not worded(call.args[0])]

    assert len(flashes) > 30
    assert bad == []


def test_a_services_message_reaches_a_page_only_through_for_reader():
    # Services word refusals in English for the API: a page shows `error.message` only via for_reader,
    # which keeps it when the reader can read it and otherwise says what the status means in Vietnamese.
    bad = []
    for folder in ("portal", "storefront"):
        for path in sorted((ROOT / "catalogue" / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            allowed = {
                id(arg)
                for call in ast.walk(tree)
                if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "for_reader"
                for arg in call.args
            }
            for node in ast.walk(tree):
                if isinstance(node, ast.Attribute) and node.attr == "message" and id(node) not in allowed:
                    bad.append(f"{path.relative_to(ROOT)}:{node.lineno}")

    assert bad == []


@pytest.mark.parametrize(
    ("error", "words"),
    [
        ("No image: Shopee needs at least one product photo.", "Shopee cần ít nhất một ảnh sản phẩm: hãy tải ảnh lên"),
        ("No net weight: Shopee needs the weight to work out shipping.", "hãy nhập “Khối lượng tịnh (g)”"),
        ("Will retry: HTTP 503", "hệ thống sẽ tự thử lại, bạn không cần làm gì"),
        ("Shopee said: category attribute brand is required", "Shopee chưa nhận sản phẩm này. Hãy kiểm tra tên"),
    ],
)
def test_a_marketplace_error_is_worded_for_the_producer_with_what_to_do(app, error, words):
    world = cast()
    db.session.add(
        MarketplaceListing(product_id=world["product"].id, marketplace="shopee", status="error", error=error)
    )
    db.session.commit()

    html = portal_client(app, world, "owner").get("/portal/").get_data(as_text=True)

    assert words in html
    assert error not in html and "Shopee: lỗi (No" not in html


def test_the_invoice_queue_and_its_csv_name_the_provider_and_status_in_vietnamese(app):
    from catalogue.invoices.sending import send_due
    from tests.invoices.invoice_helpers import issue_for

    world = cast()
    order = paid_order([(world["product"], 1)])
    issue_for(order, world["owner_producer"])  # its provider is "none": not chosen yet
    send_due(datetime(2026, 11, 21, 3, tzinfo=UTC))
    office = portal_client(app, world, "admin")

    queue = office.get("/portal/admin/invoices").get_data(as_text=True)
    rows = office.get("/portal/invoices.csv").get_data(as_text=True).splitlines()

    row = re.search(r'data-testid="invoice-queue">.*?</table>', queue, re.S).group(0)
    assert "<td>Chưa chọn</td>" in row and "<td>none</td>" not in row and "none" not in row
    assert "Chưa chọn nhà cung cấp hóa đơn điện tử" in row
    assert "Chờ gửi" in row
    assert rows[1].split(",")[11] == "Chờ gửi" and ",queued," not in rows[1]


def test_dropped_shop_filters_are_named_in_words_not_parameters(client):
    html = client.get("/products?stars=9&min_price=abc").get_data(as_text=True)

    assert "Một số bộ lọc không hợp lệ đã được bỏ qua: số sao OCOP, giá từ." in html
    assert "bỏ qua: stars" not in html
