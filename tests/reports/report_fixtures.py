"""A small, fixed province for the reports' tests: every figure in tests/test_reports*.py is worked out by hand here.

Today is 21/11/2026 (tests.conftest.TODAY). Producers: A (Bình Liêu), B and C (Vân Đồn, Bình Liêu).

  product  maker  locality   group   price    certificate (today)          on sale
  p1       A      Bình Liêu  food     85.000  4★ to 10/01/2028             yes (photo, 500 g, live on Shopee)
  p2       B      Vân Đồn    drinks  120.000  3★ to 20/01/2027 (60 days)   yes (no photo, no weight, live on Lazada)
  p3       B      Vân Đồn    food    200.000  lapsed 01/01/2026            no (unrated today)
  p4       C      Bình Liêu  food     90.000  4★ to 10/12/2026 (19 days)   yes (no photo; Shopee pending)

Orders (times UTC; Vietnam is UTC+7):
  O1 paid       vietqr 05/11 10:00  p1×2 + p2×1 = 290.000   counted
  O2 delivered  vnpay  10/11 03:00  p3×1        = 200.000   counted
  O3 refunded   momo   12/11 03:00  p1×1        =  85.000   not a sale (shown as refunded)
  O4 cancelled  vietqr 13/11 03:00  p2×3                    not counted (cancelled before paying)
  O5 shipped    stripe 31/10 17:30  p2×2        = 240.000   counted in NOVEMBER (00:30 on 01/11 in Vietnam)
  O6 paid       vietqr 30/11 17:30  p1×1        =  85.000   counted in DECEMBER (00:30 on 01/12 in Vietnam)
  O7 pending    vietqr 15/11 03:00  p1×1                    not counted (not paid)
  S1 Shopee            20/11 03:00  p1×3        = 255.000   counted (our price when recorded)
  S2 Lazada            18/11 03:00  p2×1 = 120.000 + an unknown SKU ×5 (no product: not counted)

November 2026, the province: 5 orders (O1 O2 O5 S1 S2), 10 units, 1.105.000 ₫.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from catalogue.extensions import db
from catalogue.orders.models import Order
from catalogue.products.models import ProductImage
from catalogue.sync.models import MarketplaceListing, MarketplaceSale, MarketplaceSaleLine
from tests import factories


def _at(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def _order(code: str, status: str, method: str, at: datetime, lines: list) -> Order:
    return factories.order(lines, code, status, payment_method=method, created_at=at)


def _sale(marketplace: str, external_id: str, at: datetime, lines: list) -> MarketplaceSale:
    sale = MarketplaceSale(marketplace=marketplace, external_order_id=external_id, created_at=at)
    for product, sku, quantity in lines:
        sale.lines.append(
            MarketplaceSaleLine(
                sku=sku,
                quantity=quantity,
                product_id=product.id if product else None,
                unit_price_vnd=product.price_vnd if product else None,
                stock_taken=product is not None,
                problem=None if product else "unknown SKU",
            )
        )
    db.session.add(sale)
    return sale


def province() -> dict:
    """The table above, committed; returns its producers and products by letter."""
    ref = factories.reference_data()
    a = factories.producer("HTX Miến dong Bình Liêu", ref["binh_lieu"])
    b = factories.producer("Công ty Rượu Vân Đồn", ref["van_don"], "company")
    c = factories.producer("HTX Chè Bình Liêu", ref["binh_lieu"])
    p1 = factories.product("Miến dong", a, ref["processed"], stars=4, issued_on=date(2025, 1, 10), price_vnd=85000)
    p2 = factories.product("Rượu mơ", b, ref["spirits"], stars=3, issued_on=date(2024, 1, 20), price_vnd=120000)
    p2.net_weight_g = None
    p3 = factories.product("Trà hoa vàng", b, ref["processed"], stars=4, issued_on=date(2023, 1, 1), price_vnd=200000)
    p4 = factories.product("Chè Bình Liêu", c, ref["processed"], stars=4, issued_on=date(2023, 12, 10), price_vnd=90000)
    db.session.add(ProductImage(product=p1, position=0, path="p1.jpg", alt="Miến dong", width=800, height=600))
    db.session.add_all(
        [
            MarketplaceListing(product_id=p1.id, marketplace="shopee", external_id="S-1", status="live"),
            MarketplaceListing(product_id=p2.id, marketplace="lazada", external_id="L-2", status="live"),
            MarketplaceListing(product_id=p4.id, marketplace="shopee", external_id=None, status="pending"),
        ]
    )
    _order("QN-O1", "paid", "vietqr", _at(2026, 11, 5, 10), [(p1, 2), (p2, 1)])
    _order("QN-O2", "delivered", "vnpay", _at(2026, 11, 10, 3), [(p3, 1)])
    _order("QN-O3", "refunded", "momo", _at(2026, 11, 12, 3), [(p1, 1)])
    _order("QN-O4", "cancelled", "vietqr", _at(2026, 11, 13, 3), [(p2, 3)])
    _order("QN-O5", "shipped", "stripe", _at(2026, 10, 31, 17, 30), [(p2, 2)])
    _order("QN-O6", "paid", "vietqr", _at(2026, 11, 30, 17, 30), [(p1, 1)])
    _order("QN-O7", "pending_payment", "vietqr", _at(2026, 11, 15, 3), [(p1, 1)])
    _sale("shopee", "SP-1", _at(2026, 11, 20, 3), [(p1, p1.sku, 3)])
    _sale("lazada", "LZ-1", _at(2026, 11, 18, 3), [(p2, p2.sku, 1), (None, "NOT-OURS", 5)])
    db.session.commit()
    return {"a": a, "b": b, "c": c, "p1": p1, "p2": p2, "p3": p3, "p4": p4, "ref": ref}
