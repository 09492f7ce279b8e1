"""A product page miss renders nothing that a shopper before it saw alike: the parts are kept per shown revision.

catalogue/storefront/product_page.py. Whether what is kept is exact after each kind of change is
tests/products/test_read_path.py's matter (it compares every page with one computed with the caches off);
here: the shared parts are rendered once, the stock level is the one just read and the CSRF token the session's own.
"""

import re

import pytest

from catalogue.extensions import db
from catalogue.products.stock import take_stock
from catalogue.storefront import product_page
from tests import factories
from tests.conftest import count_statements

_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.mark.parametrize("backend", ["sqlite"])  # no SQL that differs between the databases
def test_a_page_miss_reuses_the_shared_parts_with_its_own_stock_and_token(app, monkeypatch):
    monkeypatch.setitem(app.extensions, "response_cache", None)  # every request is a miss
    ref = factories.reference_data()
    maker = factories.producer("HTX Miến dong Bình Liêu", ref["binh_lieu"])
    sold = factories.product("Miến dong Bình Liêu", maker, ref["processed"], stock=12)
    factories.product("Bánh đa Bình Liêu", maker, ref["processed"], stock=5)
    db.session.commit()
    renders = []
    render = product_page.render_parts
    monkeypatch.setattr(product_page, "render_parts", lambda *args: renders.append(args) or render(*args))
    first, second = app.test_client(), app.test_client()
    path = f"/products/{sold.slug}"

    before = first.get(path).text
    assert take_stock(sold.id, 9)
    db.session.commit()
    with count_statements(db.engine, raw=True) as statements:
        after = second.get(path).text
    again = first.get(path).text

    assert len(renders) == 1  # once for both shoppers and both stock levels
    assert 'class="stock-in"' in before and 'max="12"' in before and 'class="stock-low"' not in before
    assert "Chỉ còn 3 sản phẩm" in after and 'max="3"' in after and "Chỉ còn 3 sản phẩm" in again
    # The shown revision and the stock, in one statement: no product, related product or certificate loaded.
    assert len(statements) == 1 and "UNION ALL" in statements[0] and "slug" in statements[0]
    assert "Bánh đa Bình Liêu" in after  # the related card is part of what is kept
    # Each shopper's page carries the token of its own session: it works there and only there.
    own, other = _TOKEN.search(again).group(1), _TOKEN.search(after).group(1)
    assert own != other
    form = {"product_id": sold.id, "quantity": 1}
    assert first.post("/cart/add", data={**form, "csrf_token": other}).status_code == 400
    assert first.post("/cart/add", data={**form, "csrf_token": own}).status_code == 303
    assert second.post("/cart/add", data={**form, "csrf_token": other}).status_code == 303  # a first visit's too
