"""traceability: production lots, their test reports, scans per lot and day, and a product's GTIN

`lots` are a product's production lots (lot number unique within the product, a short code
unique everywhere for `/t/{code}` stamps); `lot_reports` their test or inspection reports;
`lot_scan_days` one counter row per lot and day, upserted on every scan of its stamp.
`products.gtin` is an optional EAN-13 (Vietnam's prefix 893).

Revision ID: 0010_traceability
Revises: 0009_payments
Create Date: 2026-12-02 01:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0010_traceability"
down_revision = "0009_payments"
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN and a unique index: recreating `products` (a batch alter on SQLite) would drop the
    # full-text triggers of 0001 (see 0008).
    op.add_column("products", sa.Column("gtin", sa.String(length=13), nullable=True))
    op.create_index("ix_products_gtin", "products", ["gtin"], unique=True)

    op.create_table(
        "lots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("lot_number", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("produced_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("origin_ward_code", sa.String(length=10), nullable=False),
        sa.Column("origin_ward_name", sa.String(length=120), nullable=False),
        sa.Column("suspected_copy_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity > 0", name="ck_lots_quantity_positive"),
        sa.CheckConstraint("expires_on >= produced_on", name="ck_lots_dates"),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
        sa.UniqueConstraint("product_id", "lot_number", name="uq_lots_product_lot_number"),
    )
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lots_product_id"), ["product_id"], unique=False)

    op.create_table(
        "lot_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('pdf', 'image')", name="ck_lot_reports_kind"),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("lot_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lot_reports_lot_id"), ["lot_id"], unique=False)

    op.create_table(
        "lot_scan_days",
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("scans", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("lot_id", "day"),
    )


def downgrade():
    op.drop_table("lot_scan_days")
    with op.batch_alter_table("lot_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lot_reports_lot_id"))
    op.drop_table("lot_reports")
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lots_product_id"))
    op.drop_table("lots")
    op.drop_index("ix_products_gtin", table_name="products")
    op.drop_column("products", "gtin")  # SQLite 3.35+ drops a column in place, keeping the triggers
