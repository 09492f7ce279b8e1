"""Every catalogue change moves the revision forward and stamps the products it changed."""

from datetime import date

from sqlalchemy import select

from catalogue.extensions import db
from catalogue.products.models import Certificate, Product, ProductImage
from catalogue.products.revision import current_revision, next_change_seq
from catalogue.products.stock import return_stock, take_stock
from catalogue.seeding import expiry_for
from tests import factories


def _one_product() -> Product:
    ref = factories.reference_data()
    maker = factories.producer("HTX Miến dong Bình Liêu", ref["binh_lieu"])
    made = factories.product("Miến dong Bình Liêu", maker, ref["processed"], stock=5)
    db.session.commit()
    return made


def _change_seq(product_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(select(Product.change_seq).where(Product.id == product_id))


def test_a_new_database_starts_at_revision_zero(app):
    assert current_revision() == 0


def test_creating_a_product_stamps_it_with_a_new_revision(app):
    product = _one_product()

    assert current_revision() > 0
    assert _change_seq(product.id) == current_revision()


def test_an_orm_price_edit_bumps_the_revision_and_the_product(app):
    product = _one_product()
    before = current_revision()

    product.price_vnd = 90000
    db.session.commit()

    assert current_revision() == before + 1
    assert _change_seq(product.id) == before + 1


def test_one_flush_takes_one_number_however_many_products_change(app):
    product = _one_product()
    other = factories.product("Bánh đa Bình Liêu", product.producer, product.category)
    db.session.commit()
    before = current_revision()

    product.stock, other.stock = 7, 8
    db.session.commit()

    assert current_revision() == before + 1
    assert _change_seq(product.id) == _change_seq(other.id) == before + 1


def test_a_new_certificate_stamps_its_product(app):
    product = _one_product()
    before = current_revision()

    db.session.add(
        Certificate(
            product_id=product.id,
            stars=5,
            certificate_no="99/QĐ-UBND",
            issuing_level="province",
            issued_on=date(2026, 1, 5),
            expires_on=expiry_for(date(2026, 1, 5)),
        )
    )
    db.session.commit()

    assert current_revision() == before + 1
    assert _change_seq(product.id) == before + 1


def test_a_new_image_stamps_its_product(app):
    product = _one_product()
    before = current_revision()

    db.session.add(ProductImage(product=product, path="a.svg", alt="", width=10, height=10))
    db.session.commit()

    assert _change_seq(product.id) == current_revision() == before + 1


def test_a_producer_rename_bumps_the_revision(app):
    product = _one_product()
    before = current_revision()

    product.producer.name = "HTX Miến dong Bình Liêu mới"
    db.session.commit()

    assert current_revision() == before + 1


def test_taking_and_returning_stock_bump_the_revision_and_the_product(app, backend):
    product = _one_product()
    before = current_revision()

    assert take_stock(product.id, 2)
    db.session.commit()
    taken = _change_seq(product.id)
    assert taken > before

    return_stock(product.id, 2)
    db.session.commit()
    assert _change_seq(product.id) > taken
    if backend == "sqlite":  # one counter for everything
        assert (taken, _change_seq(product.id), current_revision()) == (before + 1, before + 2, before + 2)
    else:  # a sale above zero leaves the counter row (and its lock) alone: its number comes from the sequence
        assert current_revision() == before


def test_a_refused_stock_take_leaves_the_product_unstamped(app):
    product = _one_product()
    stamped = _change_seq(product.id)

    assert not take_stock(product.id, 6)
    db.session.commit()

    assert _change_seq(product.id) == stamped


def test_a_rollback_gives_the_number_back(app):
    _one_product()
    before = current_revision()

    next_change_seq()
    db.session.rollback()

    assert current_revision() == before


def test_reads_and_unchanged_writes_leave_the_revision_alone(app):
    product = _one_product()
    before = current_revision()

    assert app.test_client().get("/api/v1/products").status_code == 200
    assert app.test_client().get(f"/api/v1/products/{product.id}").status_code == 200
    product.price_vnd = product.price_vnd  # set to the value it has: nothing to write
    db.session.commit()

    assert current_revision() == before
