"""moderation: the office's review of producers' new and re-rated listings

Revision ID: 0008_moderation
Revises: 0006_sync
Create Date: 2026-11-21 09:00:00

Every product that exists already was published under the old rules, so it starts
approved (the server default); only listings a producer creates or re-rates from
now on wait for the office.

SQLite cannot add a constraint to a table, and recreating `products` (Alembic's
batch mode) would drop the full-text triggers of 0001: there the new columns carry
their constraints inline, which SQLite's ADD COLUMN accepts, and the downgrade
recreates the table and then the triggers.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0008_moderation"
down_revision = "0007_certificates"
branch_labels = None
depends_on = None

REVIEW_CHECK = "review_status IN ('approved', 'pending', 'rejected')"
# Frozen copies of 0001's SQLite full-text triggers, recreated after a table rebuild.
SQLITE_SEARCH_TRIGGERS = (
    "CREATE TRIGGER products_search_insert AFTER INSERT ON products BEGIN "
    "INSERT INTO product_search(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER products_search_delete AFTER DELETE ON products BEGIN "
    "INSERT INTO product_search(product_search, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER products_search_update AFTER UPDATE OF search_text ON products BEGIN "
    "INSERT INTO product_search(product_search, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO product_search(rowid, search_text) VALUES (new.id, new.search_text); END",
)


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE products ADD COLUMN review_status VARCHAR(20) DEFAULT 'approved' NOT NULL "
            f"CONSTRAINT ck_products_review_status CHECK ({REVIEW_CHECK})"
        )
        op.execute(
            "ALTER TABLE products ADD COLUMN requested_certificate_id INTEGER "
            "CONSTRAINT fk_products_requested_certificate REFERENCES ocop_certificates (id)"
        )
    else:
        op.add_column(
            "products", sa.Column("review_status", sa.String(length=20), server_default="approved", nullable=False)
        )
        op.add_column("products", sa.Column("requested_certificate_id", sa.Integer(), nullable=True))
        op.create_check_constraint("ck_products_review_status", "products", REVIEW_CHECK)
        op.create_foreign_key(
            "fk_products_requested_certificate", "products", "ocop_certificates", ["requested_certificate_id"], ["id"]
        )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reviewed_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("rejection_reason", sa.Text(), server_default="", nullable=False))
        batch_op.create_index(batch_op.f("ix_products_review_status"), ["review_status"], unique=False)
        # The public listing now also filters on the review: keep its covering index covering.
        batch_op.drop_index("ix_products_listing")
        batch_op.create_index(
            "ix_products_listing", ["status", "review_status", "current_certificate_id", "name_sort_key"], unique=False
        )


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("products", schema=None, recreate="always" if sqlite else "auto") as batch_op:
        batch_op.drop_index("ix_products_listing")
        batch_op.create_index("ix_products_listing", ["status", "current_certificate_id", "name_sort_key"], unique=False)
        batch_op.drop_index(batch_op.f("ix_products_review_status"))
        batch_op.drop_constraint("ck_products_review_status", type_="check")
        if not sqlite:  # SQLite reflects the inline foreign key unnamed; the rebuild drops it with its column
            batch_op.drop_constraint("fk_products_requested_certificate", type_="foreignkey")
        batch_op.drop_column("rejection_reason")
        batch_op.drop_column("reviewed_at")
        batch_op.drop_column("reviewed_by")
        batch_op.drop_column("requested_certificate_id")
        batch_op.drop_column("review_status")
    if sqlite:
        for statement in SQLITE_SEARCH_TRIGGERS:
            op.execute(statement)
