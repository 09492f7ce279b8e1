"""Cart rules: products on sale only, never beyond stock, priced by the server."""

from datetime import date

import pytest

from catalogue.cart.services import add_item, price_cart, set_quantity
from catalogue.errors import InvalidInput, NotFound
from catalogue.extensions import db
from tests import factories
from tests.conftest import TODAY
from tests.storefront_helpers import cart_of, csrf_token


@pytest.fixture
def shelf(app):
    ref = factories.reference_data()
    maker = factories.producer("HTX Bình Liêu", ref["binh_lieu"])
    products = {
        "plenty": factories.product("Miến dong", maker, ref["processed"], price_vnd=85000, stock=50),
        "three": factories.product("Bánh đa", maker, ref["processed"], price_vnd=40000, stock=3),
        "none": factories.product("Chè", maker, ref["processed"], stock=0),
        "draft": factories.product("Rượu", maker, ref["spirits"], status="draft"),
        "expired": factories.product("Măng", maker, ref["processed"], issued_on=date(2023, 1, 1)),
    }
    db.session.commit()
    return products


def test_adding_sums_quantities_and_prices_on_the_server(shelf):
    cart, notices = add_item({}, shelf["plenty"].id, 2, TODAY)
    cart, _ = add_item(cart, shelf["plenty"].id, 1, TODAY)
    cart, _ = add_item(cart, shelf["three"].id, 1, TODAY)

    priced, kept = price_cart(cart, TODAY)

    assert notices == [] and kept == cart == {shelf["plenty"].id: 3, shelf["three"].id: 1}
    assert priced.total_vnd == 3 * 85000 + 40000
    assert priced.item_count == 4


def test_quantity_is_capped_at_stock_with_a_notice(shelf):
    cart, notices = add_item({}, shelf["three"].id, 5, TODAY)

    assert cart == {shelf["three"].id: 3}
    assert [(n.kind, n.available) for n in notices] == [("limited", 3)]


def test_sold_out_products_are_not_added(shelf):
    cart, notices = add_item({}, shelf["none"].id, 1, TODAY)

    assert cart == {}
    assert [n.kind for n in notices] == ["sold_out"]


@pytest.mark.parametrize("name", ["draft", "expired"])
def test_products_not_on_sale_are_refused(shelf, name):
    with pytest.raises(NotFound):
        add_item({}, shelf[name].id, 1, TODAY)


def test_out_of_range_quantity_is_refused(shelf):
    with pytest.raises(InvalidInput):
        set_quantity({}, shelf["plenty"].id, -1, TODAY)


def test_zero_removes_the_line(shelf):
    cart, _ = set_quantity({shelf["plenty"].id: 2}, shelf["plenty"].id, 0, TODAY)
    assert cart == {}


def test_pricing_drops_lines_that_sold_out_since(shelf):
    cart = {shelf["plenty"].id: 2, shelf["three"].id: 3}
    shelf["three"].stock = 1
    shelf["plenty"].status = "archived"
    db.session.commit()

    priced, kept = price_cart(cart, TODAY)

    assert kept == {shelf["three"].id: 1}
    assert sorted(n.kind for n in priced.notices) == ["limited", "unavailable"]
    assert priced.total_vnd == 40000


def test_cart_page_adjusts_and_explains(shelf, empty_client):
    token = csrf_token(empty_client, f"/products/{shelf['three'].slug}")
    response = empty_client.post(
        "/cart/add", data={"product_id": shelf["three"].id, "quantity": 9, "csrf_token": token}
    )

    assert response.status_code == 303
    assert cart_of(empty_client) == {str(shelf["three"].id): 3}
    html = empty_client.get("/cart").get_data(as_text=True)
    assert "Chỉ còn 3 sản phẩm “Bánh đa”" in html
    assert "120.000\xa0₫" in html


def test_adding_a_product_not_on_sale_is_a_404_and_changes_nothing(shelf, empty_client):
    token = csrf_token(empty_client, f"/products/{shelf['plenty'].slug}")
    response = empty_client.post(
        "/cart/add", data={"product_id": shelf["draft"].id, "quantity": 1, "csrf_token": token}
    )
    assert response.status_code == 404
    assert cart_of(empty_client) == {}


def test_invalid_quantity_in_form_is_shown_beside_it_and_changes_nothing(shelf, empty_client):
    token = csrf_token(empty_client, f"/products/{shelf['plenty'].slug}")
    response = empty_client.post(
        "/cart/add", data={"product_id": shelf["plenty"].id, "quantity": "lots", "csrf_token": token}
    )
    assert response.status_code == 422
    assert '<p class="field-error" id="quantity-error">Vui lòng nhập một số nguyên.</p>' in response.get_data(
        as_text=True
    )
    assert cart_of(empty_client) == {}
