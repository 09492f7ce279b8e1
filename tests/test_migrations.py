"""The migrations build exactly the schema the models describe, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from catalogue.extensions import db


def _differences(connection):
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    ignored_tables = {"product_search", "alembic_version"}
    return [
        difference
        for difference in compare_metadata(context, db.metadata)
        if not _is_search_index(difference, ignored_tables)
    ]


def _is_search_index(difference, ignored_tables) -> bool:
    """The full-text index is dialect-specific SQL, outside the models by design."""
    kind, obj = difference[0], difference[1]
    if kind == "remove_table":
        return obj.name in ignored_tables or obj.name.startswith("product_search_")
    if kind == "remove_index":
        return obj.name == "ix_products_search_text"
    return False


def test_models_and_migrations_agree(app):
    with db.engine.connect() as connection:
        assert _differences(connection) == []


def test_full_text_index_exists_after_upgrade(app, backend):
    inspector = inspect(db.engine)
    if backend == "sqlite":
        assert "product_search" in inspector.get_table_names()
    else:
        assert "ix_products_search_text" in {index["name"] for index in inspector.get_indexes("products")}


def test_downgrade_to_base_and_upgrade_again(app):
    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM products")).scalar() == 0
        assert _differences(connection) == []
