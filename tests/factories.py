"""Build catalogue rows for tests that need precise data."""

from __future__ import annotations

from datetime import date
from itertools import count

from catalogue.extensions import db
from catalogue.geography.models import Locality
from catalogue.producers.models import Producer
from catalogue.products.models import Category, Certificate, OcopGroup, Product, expiry_for
from catalogue.products.services import refresh_derived_fields
from catalogue.text import slugify, sort_key

_serial = count(1)


def reference_data() -> dict:
    """Two localities, two groups with one product set each."""
    binh_lieu = Locality(code="binh-lieu", name="Bình Liêu", kind="district", sku_prefix="BL")
    van_don = Locality(code="van-don", name="Vân Đồn", kind="district", sku_prefix="VD")
    food = OcopGroup(code="thuc-pham", name="Thực phẩm", position=0)
    drinks = OcopGroup(code="do-uong", name="Đồ uống", position=1)
    processed = Category(code="thuc-pham-che-bien", name="Thực phẩm chế biến", group=food, position=0)
    spirits = Category(code="ruou-trang", name="Rượu trắng", group=drinks, position=1)
    db.session.add_all([binh_lieu, van_don, processed, spirits])
    db.session.flush()
    return {"binh_lieu": binh_lieu, "van_don": van_don, "processed": processed, "spirits": spirits}


def producer(name: str, locality: Locality, legal_form: str = "cooperative") -> Producer:
    """A producer with a unique slug."""
    made = Producer(
        slug=slugify(name), name=name, legal_form=legal_form, locality=locality, name_sort_key=sort_key(name)
    )
    db.session.add(made)
    db.session.flush()
    return made


def product(
    name: str,
    maker: Producer,
    category: Category,
    *,
    stars: int = 4,
    issued_on: date = date(2025, 1, 10),
    price_vnd: int = 85000,
    stock: int = 10,
    status: str = "active",
    description: str = "",
    certificates: list[tuple[int, date]] | None = None,
) -> Product:
    """A product rated by one certificate (or the given history, latest last)."""
    serial = next(_serial)
    with db.session.no_autoflush:  # the row is complete only after refresh_derived_fields
        made = _new_product(serial, name, maker, category, description, price_vnd, stock, status)
    db.session.flush()
    for stars_given, issued in certificates or [(stars, issued_on)]:
        certificate = Certificate(
            product=made,
            stars=stars_given,
            certificate_no=f"{serial}/QĐ-UBND",
            issuing_level="province",
            issued_on=issued,
            expires_on=expiry_for(issued),
        )
        db.session.add(certificate)
        made.current_certificate = certificate
    db.session.flush()
    return made


def _new_product(serial, name, maker, category, description, price_vnd, stock, status) -> Product:
    made = Product(
        sku=f"QN-T-{serial:04d}",
        slug=f"{slugify(name)}-{serial}",
        name=name,
        description=description,
        unit="gói 500 g",
        net_weight_g=500,
        price_vnd=price_vnd,
        stock=stock,
        status=status,
        producer=maker,
        category=category,
        locality=maker.locality,
    )
    db.session.add(made)
    refresh_derived_fields(made)
    return made


def order(lines: list[tuple], code: str, status: str, **fields):
    """An order of (product, quantity) lines with a sample buyer in Quảng Ninh, added (not committed)."""
    from catalogue.orders.models import Order
    from catalogue.orders.services import line_for

    subtotal = sum(item.price_vnd * quantity for item, quantity in lines)
    made = Order(
        code=code,
        status=status,
        access_token_hash="0" * 64,
        customer_name="Nguyễn Thị Lan",
        customer_email="lan@example.com",
        customer_phone="0912345678",
        shipping_line1="12 đường Hạ Long",
        shipping_ward="Phường Bãi Cháy",
        shipping_ward_code="22",
        shipping_province="Quảng Ninh",
        shipping_province_code="22",
        subtotal_vnd=subtotal,
        shipping_fee_vnd=30000,
        total_vnd=subtotal + 30000,
        weight_g=500,
        **fields,
    )
    for item, quantity in lines:
        made.lines.append(line_for(item, quantity))
    db.session.add(made)
    return made
